"""Staff routes: bearer-token auth and the audit queries over the ledger."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.system import Services
from api.views import history_entry, log_entry, session_view
from domain.errors import SessionNotFound

SESSION_ID = re.compile(r"^cs_[A-Za-z0-9_]{1,250}$")
MAX_LOG_PAGE = 1000


def staff_name(request: Request) -> str:
    """The name of the staff member whose token the request carries; 401 otherwise."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    name = request.app.state.services.settings.staff_tokens.get(token.strip())
    if scheme.lower() != "bearer" or name is None:
        raise HTTPException(401, "staff token required: Authorization: Bearer <token>")
    return name


def _session_id(request: Request) -> str:
    session_id = request.path_params["session_id"]
    if not SESSION_ID.match(session_id):
        raise HTTPException(400, f"malformed checkout session id {session_id!r} (cs_...)")
    return session_id


def _int_param(request: Request, name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"-?\d{1,12}", raw) or not low <= int(raw) <= high:
        raise HTTPException(400, f"{name} must be an integer from {low} to {high}")
    return int(raw)


def _at_param(request: Request) -> datetime | None:
    raw = request.query_params.get("at")
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(400, "at must be an ISO-8601 time, e.g. 2026-11-22T15:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def get_session(request: Request) -> Response:
    staff_name(request)
    session_id = _session_id(request)
    version = _int_param(request, "version", None, 1, 10**9)
    at = _at_param(request)
    if version is not None and at is not None:
        raise HTTPException(400, "give version or at, not both")
    services: Services = request.app.state.services
    try:
        session = await run_in_threadpool(
            services.ledger.session, session_id, version=version, at=at
        )
    except SessionNotFound as missing:
        raise HTTPException(404, str(missing)) from None
    return JSONResponse(session_view(session))


async def get_history(request: Request) -> Response:
    staff_name(request)
    session_id = _session_id(request)
    services: Services = request.app.state.services
    try:
        events = await run_in_threadpool(services.ledger.history, session_id)
    except SessionNotFound as missing:
        raise HTTPException(404, str(missing)) from None
    return JSONResponse({"session": session_id, "events": [history_entry(e) for e in events]})


async def get_events(request: Request) -> Response:
    staff_name(request)
    after = _int_param(request, "after", 0, 0, 10**15)
    limit = _int_param(request, "limit", 100, 1, MAX_LOG_PAGE)
    assert after is not None and limit is not None
    services: Services = request.app.state.services
    page = await run_in_threadpool(services.ledger.entries, after, limit)
    return JSONResponse({
        "events": [log_entry(position, event) for position, event in page],
        "next": page[-1][0] if page else after,
    })
