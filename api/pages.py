"""Public pages: the storefront, Checkout creation and the success page."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
