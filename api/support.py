"""Support routes: what needs a person, and the actions that mend it."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
