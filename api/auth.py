"""Staff authentication, declared on the routes: ``staff_route(...)`` instead of a check in
every handler.

A staff route answers ``401 {"error": ...}`` unless the request carries
``Authorization: Bearer <token>`` of a configured staff member; the handler then finds
the staff member's name in ``request.state.actor`` (see :func:`actor`).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

_UNAUTHORIZED = orjson.dumps({"error": "staff token required: Authorization: Bearer <token>"})


class StaffOnly:
    """Pure ASGI: lets a request through only with a staff token, naming its bearer in
    ``scope["state"]["actor"]``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = _staff_name(scope)
        if name is None:
            await send({"type": "http.response.start", "status": 401, "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(_UNAUTHORIZED)).encode()),
                (b"www-authenticate", b"Bearer")]})
            await send({"type": "http.response.body", "body": _UNAUTHORIZED})
            return
        scope.setdefault("state", {})["actor"] = name
        await self.app(scope, receive, send)


def _staff_name(scope: Scope) -> str | None:
    tokens: dict[str, str] = scope["app"].state.services.settings.staff_tokens
    header = next((value for name, value in scope["headers"] if name == b"authorization"), b"")
    scheme, _, token = header.partition(b" ")
    if scheme.lower() != b"bearer":
        return None
    offered = token.strip()
    found = None
    for known, name in tokens.items():  # every token compared, in constant time
        if hmac.compare_digest(known.encode(), offered):
            found = name
    return found


def staff_route(path: str, endpoint: Callable[..., Any], *,
                methods: Sequence[str] | None = None) -> Route:
    """A route only staff may call."""
    return Route(path, endpoint, methods=methods, middleware=[Middleware(StaffOnly)])


def actor(request: Request) -> str:
    """The name of the staff member the request was authenticated as."""
    return str(request.state.actor)
