"""``checkout-ledger serve``: uvicorn on the configured host and port, plus the worker."""

from __future__ import annotations

from dataclasses import replace

import uvicorn

from api.app import create_app
from api.logs import configure_logging
from api.settings import Settings
from api.system import create_tables
from api.worker import WorkerSupervisor


def run(settings: Settings) -> None:
    configure_logging()
    if settings.local_mode:
        from api.local_mode import start_local_stripe

        settings = start_local_stripe(settings)
    separate_worker = settings.store.kind != "memory"
    worker = None
    if separate_worker:
        create_tables(settings)
        settings = replace(settings, create_tables=False)
        worker = WorkerSupervisor(settings)
    try:
        uvicorn.run(
            create_app(settings, follow=not separate_worker),
            host=settings.host,
            port=settings.port,
            access_log=False,  # one line per webhook costs more than the webhook itself
            proxy_headers=False,  # nothing here reads the client's address
            log_level="info",
        )
    finally:
        if worker is not None:
            worker.stop()
