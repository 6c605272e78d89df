"""Staff routes: the audit queries over the ledger (staff only, JSON).

Authentication is declared on the routes (``api/auth.py``), parameters are parsed by
``api/params.py`` and errors are answered by the app's one table (``api/errors.py``).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from api.auth import staff_route
from api.params import (
    DEFAULT_LOG_PAGE,
    BadParameter,
    parse_after,
    parse_limit,
    parse_time,
    parse_version,
    path_session_id,
    query,
)
from api.system import Services
from api.views import history_entry, log_entry, session_view


async def get_session(request: Request) -> Response:
    """A session's state: now, after its N-th event (``version``) or at a time (``at``)."""
    session_id = path_session_id(request)
    raw_version, raw_at = query(request, "version"), query(request, "at")
    if raw_version is not None and raw_at is not None:
        raise BadParameter("give version or at, not both")
    version = parse_version(raw_version) if raw_version is not None else None
    at = parse_time(raw_at) if raw_at is not None else None
    services: Services = request.app.state.services
    session = await run_in_threadpool(services.ledger.session, session_id, version=version, at=at)
    return JSONResponse(session_view(session))


async def get_history(request: Request) -> Response:
    """Every event of a session, oldest first."""
    session_id = path_session_id(request)
    services: Services = request.app.state.services
    events = await run_in_threadpool(services.ledger.history, session_id)
    return JSONResponse({"session": session_id, "events": [history_entry(e) for e in events]})


async def get_events(request: Request) -> Response:
    """The whole ledger in order, a page at a time (``after``, ``limit``)."""
    raw_after, raw_limit = query(request, "after"), query(request, "limit")
    after = parse_after(raw_after) if raw_after is not None else 0
    limit = parse_limit(raw_limit) if raw_limit is not None else DEFAULT_LOG_PAGE
    services: Services = request.app.state.services
    page = await run_in_threadpool(services.ledger.entries, after, limit)
    return JSONResponse({
        "events": [log_entry(position, event) for position, event in page],
        "next": page[-1][0] if page else after,
    })


routes: list[BaseRoute] = [
    staff_route("/sessions/{session_id}", get_session, methods=["GET"]),
    staff_route("/sessions/{session_id}/history", get_history, methods=["GET"]),
    staff_route("/events", get_events, methods=["GET"]),
]
