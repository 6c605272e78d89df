"""Console routes: the session cookie on each, sign-in required where it must be."""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import quote

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from api.console.auth import ConsoleSession, signed_in_staff

Handler = Callable[[Request, str], Awaitable[Response]]
_NEXT = re.compile(r"/support(/[A-Za-z0-9_./-]*)?(\?[A-Za-z0-9_=&%.@+-]*)?")
MAX_FIELDS = 8


def console_route(path: str, endpoint: Callable[[Request], Awaitable[Response]], *,
                  methods: Sequence[str]) -> Route:
    """A console route: it reads and writes the signed session cookie."""
    return Route(path, endpoint, methods=list(methods), middleware=[Middleware(ConsoleSession)])


def signed_in(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Runs ``handler(request, staff)`` for a signed-in staff member; anyone else is sent to
    sign in (303), and nothing is done."""

    @functools.wraps(handler)
    async def guarded(request: Request) -> Response:
        staff = signed_in_staff(request)
        if staff is None:
            target = request.url.path if request.method == "GET" else "/support"
            if request.method == "GET" and request.url.query:
                target += f"?{request.url.query}"
            return RedirectResponse(f"/support/sign-in?next={quote(safe_next(target), safe='')}",
                                    status_code=303)
        return await handler(request, staff)

    return guarded


def safe_next(raw: Any) -> str:
    """Where to go after signing in: a console path, never another site."""
    return raw if isinstance(raw, str) and len(raw) <= 300 and _NEXT.fullmatch(raw) \
        else "/support"
