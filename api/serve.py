"""``checkout-ledger serve``: uvicorn on the configured host and port, plus the worker.

Before anything is printed or started (local mode's emulator, the worker), the port is
bound and the store is reached: a port in use or an unreachable database stops start-up
with one line (:class:`CannotServe`).
"""

from __future__ import annotations

import errno
import os
import socket
from dataclasses import replace
from typing import Any

import uvicorn
from eventsourcing.persistence import PersistenceError
from uvicorn.supervisors import Multiprocess

from adapters.stores import StoreUnavailable
from api.app import create_app
from api.logs import configure_logging
from api.settings import Settings
from api.slow_clients import BodyTimeout
from api.system import create_tables
from api.worker import WorkerSupervisor

# Slow and idle clients (the README's "HTTP routes", "Slow and greedy clients"): a kept-alive
# connection that sends nothing is closed after KEEP_ALIVE_SECONDS, a request body must
# arrive within BODY_SECONDS, and beyond MAX_CONCURRENCY connections or requests at once new
# requests hear 503.
KEEP_ALIVE_SECONDS = 5
BODY_SECONDS = 10.0
MAX_CONCURRENCY = 256


class CannotServe(Exception):
    """Start-up cannot go on; the message is one line naming the setting at fault."""


def run(settings: Settings, workers: int = 1, *, with_worker: bool = True) -> None:
    """Serve with ``workers`` web processes (more than one: PostgreSQL only) and, except
    on the in-memory store, one worker process beside them (none with ``with_worker=False``:
    workers run on their own, ``checkout-ledger worker``)."""
    if workers < 1:
        raise CannotServe("--workers: must be at least 1")
    if not with_worker and settings.store.kind == "memory":
        raise CannotServe("--no-worker: the in-memory store is followed in the web process "
                          "itself (DATABASE_URL is memory://)")
    if workers > 1 and settings.store.kind != "postgres":
        raise CannotServe(f"--workers {workers}: several web processes need PostgreSQL "
                          f"(DATABASE_URL is {settings.store.kind}: one web process only)")
    listening = bind(settings.host, settings.port)
    try:
        settings.store.check_reachable()
    except StoreUnavailable as error:
        listening.close()
        raise CannotServe(f"DATABASE_URL: {error}") from None
    configure_logging()
    if settings.local_mode:
        from api.local_mode import start_local_stripe

        settings = start_local_stripe(settings)
    separate_worker = settings.store.kind != "memory"
    worker = None
    if separate_worker:
        try:
            create_tables(settings)
        except PersistenceError as error:
            listening.close()
            raise CannotServe(f"DATABASE_URL: cannot create the tables in "
                              f"{settings.store.where}: {error}") from None
        settings = replace(settings, create_tables=False)
        worker = WorkerSupervisor(settings) if with_worker else None
    options: dict[str, Any] = {
        "host": settings.host,  # only named in uvicorn's "running on" line: the socket is bound
        "port": settings.port,
        "access_log": False,  # one line per webhook costs more than the webhook itself
        "proxy_headers": False,  # nothing here reads the client's address
        "log_level": "info",
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "limit_concurrency": MAX_CONCURRENCY,
    }
    try:
        if workers == 1:
            app = BodyTimeout(create_app(settings, follow=not separate_worker,
                                         freeze_heap=True), seconds=BODY_SECONDS)
            uvicorn.Server(uvicorn.Config(app, **options)).run(sockets=[listening])
        else:
            # uvicorn's supervisor: N processes accepting on the one socket, each restarted
            # if it dies; each builds its app from the settings passed in the environment.
            os.environ.update(settings.to_env())
            config = uvicorn.Config("api.serve:web_app", factory=True, workers=workers,
                                    **options)
            Multiprocess(config, sockets=[listening]).run()
    finally:
        if worker is not None:
            worker.stop()


def web_app() -> BodyTimeout:
    """One web process of ``serve --workers N`` (settings from the environment; it ingests
    and answers, the worker process follows)."""
    configure_logging()
    settings = Settings.from_env(serving=True)
    return BodyTimeout(create_app(replace(settings, create_tables=False), follow=False,
                                  freeze_heap=True), seconds=BODY_SECONDS)


def bind(host: str, port: int) -> socket.socket:
    """The service's listening socket, bound now (so a second ``serve`` finds out first)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
    except OSError as error:
        listening.close()
        if error.errno == errno.EADDRINUSE:
            raise CannotServe(f"PORT: {host}:{port} is already in use (is another "
                              "checkout-ledger serve running?)") from None
        raise CannotServe(f"HOST/PORT: cannot listen on {host}:{port}: "
                          f"{error.strerror or error}") from None
    return listening
