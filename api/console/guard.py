"""Console routes: the session cookie on each, sign-in required where it must be."""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from api.console.auth import ConsoleSession, signed_in_staff

Handler = Callable[[Request, str], Awaitable[Response]]
_NEXT = re.compile(r"/support(/[A-Za-z0-9_./-]*)?(\?[A-Za-z0-9_=&%.@+-]*)?")
MAX_FIELDS = 8
MAX_FORM = 16 * 1024
_URLENCODED = "application/x-www-form-urlencoded"


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


async def read_form(request: Request) -> FormData:
    """A console form (``application/x-www-form-urlencoded``), at most :data:`MAX_FORM`
    bytes (refused while reading, never held whole) and :data:`MAX_FIELDS` fields."""
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_FORM:
            raise HTTPException(413, f"form over {MAX_FORM} bytes")
    if not raw:
        return FormData()
    if request.headers.get("content-type", "").split(";")[0].strip() != _URLENCODED:
        raise HTTPException(415, f"a console form is sent as {_URLENCODED}")
    try:
        pairs: list[tuple[str, str | UploadFile]] = list(parse_qsl(
            raw.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS,
            errors="strict"))
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(400, f"a form of at most {MAX_FIELDS} UTF-8 fields") from None
    return FormData(pairs)


def safe_next(raw: Any) -> str:
    """Where to go after signing in: a console path, never another site."""
    return raw if isinstance(raw, str) and len(raw) <= 300 and _NEXT.fullmatch(raw) \
        else "/support"
