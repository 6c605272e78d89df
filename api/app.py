"""``create_app(settings)``: the Starlette application (run by uvicorn with ``--factory``)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from eventsourcing.persistence import PersistenceError
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from adapters.heap import freeze_startup_heap
from adapters.progress import read_progress
from api import console, customers, health, pages, payment_links, staff, subscriptions, support
from api.errors import exception_handlers
from api.openapi import openapi
from api.security_headers import SecurityHeaders
from api.settings import Settings
from api.system import NO_SEAMS, Seams, Services, build
from api.webhook import WebhookEndpoint
from domain.apps.support import FAILURE_KINDS

log = logging.getLogger(__name__)


async def metrics(request: Request) -> Response:
    state = request.app.state
    with contextlib.suppress(PersistenceError):
        await run_in_threadpool(_measure_backlog, state.services)
    return Response(state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


def _measure_backlog(services: Services) -> None:
    """The gauges read from the store at scrape time (true whichever process works)."""
    metrics = services.metrics
    lags: dict[str, int] = {}
    progress = read_progress(services.followers)
    for follower in services.followers:  # a processor's backlog over all its upstream logs
        name = follower.processor.name.lower()
        lags[name] = lags.get(name, 0) + progress[follower.name][1]
    for name, lag in lags.items():
        metrics.lag.labels(name).set(lag)
    counts: dict[str, int] = {}
    for case in services.support.failures():
        counts[case.kind] = counts.get(case.kind, 0) + 1
    for kind in {*counts, *FAILURE_KINDS}:
        metrics.open_failures.labels(kind).set(counts.get(kind, 0))


class IngestFirst:
    """Sends ``POST /webhook`` straight to the ingestion endpoint (no routing, no
    middleware on the hot path) and everything else to the Starlette application."""

    def __init__(self, app: Starlette, webhook: WebhookEndpoint) -> None:
        self.app = app
        self.webhook = webhook

    @property
    def state(self) -> Any:
        return self.app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/webhook":
            await self.webhook(scope, receive, send)
        else:
            await self.app(scope, receive, send)


async def _method_not_allowed(request: Request) -> Response:
    raise HTTPException(405, "POST only")


def create_app(settings: Settings | None = None, *, follow: bool = True,
               seams: Seams = NO_SEAMS, freeze_heap: bool = False) -> IngestFirst:
    """Build the service from ``settings`` (read from the environment when omitted).

    ``follow=False`` leaves the background processing to a worker process; ``seams``
    replace outside collaborators (tests); ``freeze_heap`` (a server process, once ready)
    keeps what start-up made out of the cycle collector's way (``adapters.heap``).
    """
    settings = settings or Settings.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services = build(settings, seams=seams)
        app.state.services = services
        app.state.metrics = services.metrics
        app.state.progress = health.ProgressWatch(seams.stall_after, every=seams.health_every)
        await run_in_threadpool(lambda: services.start(follow=follow))
        if freeze_heap:
            freeze_startup_heap()
        log.info("checkout-ledger ready on %s store", settings.store.kind)
        try:
            yield
        finally:
            await run_in_threadpool(services.stop)

    routes = [
        Route("/webhook", _method_not_allowed, methods=["GET", "PUT", "PATCH", "DELETE"]),
        Route("/healthz", health.healthz),
        Route("/metrics", metrics),
        Route("/openapi.json", openapi),
        *pages.routes,
        *staff.routes,
        *support.routes,
        *console.routes,
        *customers.routes,
        *subscriptions.routes,
        *payment_links.routes,
        Mount("/static", StaticFiles(directory=Path(__file__).with_name("static")), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers=exception_handlers(),
        middleware=[Middleware(SecurityHeaders)],
    )
    # Starlette would answer ``/success/`` with a redirect built from the request's Host
    # header (an open redirect through a forged Host): no such path exists here, 404.
    app.router.redirect_slashes = False
    return IngestFirst(app, WebhookEndpoint(app.state))
