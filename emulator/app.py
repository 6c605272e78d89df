"""``create_app``: the emulator as a Starlette app (``/v1`` API, hosted page, ``/_emulator``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from emulator import hosted_page
from emulator.config import EmulatorConfig
from emulator.faults import FaultInjection
from emulator.routes import (
    billing,
    catalog,
    checkout,
    clocks,
    control,
    customers,
    events,
    faults,
    invoicing,
    page_clock,
    payment_links,
    payment_pages,
    payments,
    setup_intents,
    stripecli,
)
from emulator.runtime import Runtime
from emulator.v1 import unknown_route


def create_app(config: EmulatorConfig | None = None) -> Starlette:
    """A new emulator with its own empty state; background work runs during the app's lifespan."""
    runtime = Runtime(config or EmulatorConfig())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime.start()
        try:
            yield
        finally:
            runtime.stop()

    routes = [
        *catalog.routes, *customers.routes, *checkout.routes, *events.routes, *payments.routes,
        *billing.routes, *clocks.routes, *payment_links.routes, *stripecli.routes,
        *payment_pages.routes, *setup_intents.routes, *invoicing.routes,
        *hosted_page.routes, *control.routes, *faults.routes, *page_clock.routes,
        Route("/v1/{path:path}", unknown_route,
              methods=["GET", "POST", "DELETE", "PUT", "PATCH"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan,
                    middleware=[Middleware(FaultInjection, table=runtime.faults)])
    app.state.runtime = runtime
    return app
