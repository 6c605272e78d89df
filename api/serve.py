"""``checkout-ledger serve``: uvicorn on the configured host and port."""

from __future__ import annotations

import logging

import uvicorn

from api.app import create_app
from api.settings import Settings


def run(settings: Settings) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if settings.local_mode:
        from api.local_mode import start_local_stripe

        settings = start_local_stripe(settings)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        access_log=False,  # one line per webhook costs more than the webhook itself
        log_level="info",
    )
