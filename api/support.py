"""Support routes: what needs a person, and the actions that mend it (staff only, JSON)."""

from __future__ import annotations

import re
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from api.staff import SESSION_ID, staff_name
from api.system import Services
from api.views import case_view, fulfillment_record_view
from domain.apps.fulfill_checkout import FulfillerFailed
from domain.errors import SessionNotFound
from domain.ports import StripeRefused, StripeUnavailable, UnknownAtStripe

MAX_REASON = 1000
MAX_BODY = 16 * 1024


async def get_failures(request: Request) -> Response:
    """``{"failures": [...]}``: the open cases, oldest first."""
    staff_name(request)
    services: Services = request.app.state.services
    failures = await run_in_threadpool(services.support.failures)
    return JSONResponse({"failures": [case_view(case) for case in failures]})


async def fulfill_session(request: Request) -> Response:
    """Run the session's fulfillment again on behalf of a staff member (never twice)."""
    actor = staff_name(request)
    session_id = request.path_params["session_id"]
    if not SESSION_ID.match(session_id):
        raise HTTPException(400, f"malformed checkout session id {session_id!r} (cs_...)")
    reason = _reason(await _json_object(request))
    services: Services = request.app.state.services
    try:
        outcome = await run_in_threadpool(
            services.fulfillment.fulfill_on_request, session_id, actor, reason)
        error = None
    except (SessionNotFound, UnknownAtStripe) as missing:
        raise HTTPException(404, str(missing)) from None
    except StripeRefused as refused:
        raise HTTPException(502, f"Stripe refused: {refused}") from None
    except StripeUnavailable as unavailable:
        raise HTTPException(503, f"Stripe unavailable; nothing fulfilled, try again: {unavailable}"
                            ) from None
    except FulfillerFailed as failed:
        outcome, error = None, failed.error
    fulfillment = await run_in_threadpool(services.fulfillment.fulfillment, session_id)
    return JSONResponse({
        "session": session_id,
        "status": "failed" if outcome is None else outcome.status,
        "newly_fulfilled": outcome is not None and outcome.newly_fulfilled,
        "error": error,
        "actor": actor,
        "fulfillment": fulfillment_record_view(fulfillment),
    })


async def _json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object; an empty body is an empty object; 400 otherwise."""
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise HTTPException(413, f"body over {MAX_BODY} bytes")
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)  # bounded nesting: no RecursionError on hostile input
    except orjson.JSONDecodeError:
        raise HTTPException(400, "body must be JSON, e.g. {\"reason\": \"...\"}") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "body must be a JSON object, e.g. {\"reason\": \"...\"}")
    return body


def _reason(body: dict[str, Any]) -> str | None:
    unknown = set(body) - {"reason"}
    if unknown:
        raise HTTPException(400, f"unknown field(s): {', '.join(sorted(unknown))}")
    reason = body.get("reason")
    if reason is None:
        return None
    if not isinstance(reason, str) or len(reason) > MAX_REASON:
        raise HTTPException(400, f"reason must be a string of at most {MAX_REASON} characters")
    return reason.strip() or None


routes: list[BaseRoute] = [
    Route("/support/failures", get_failures, methods=["GET"]),
    Route("/support/sessions/{session_id}/fulfill", fulfill_session, methods=["POST"]),
]


async def reprocess_event(request: Request) -> Response:
    """Apply a stored Stripe event again (the way back for an ``event_unprocessable``
    case), recorded with the staff member's name; never applied twice."""
    actor = staff_name(request)
    event_id = request.path_params["event_id"]
    if not EVENT_ID.match(event_id):
        raise HTTPException(400, f"malformed Stripe event id {event_id!r} (evt_...)")
    reason = _reason(await _json_object(request))
    services: Services = request.app.state.services
    stored = await run_in_threadpool(services.inbox.get, event_id)
    if stored is None:
        raise HTTPException(404, f"no stored Stripe event {event_id}")
    outcome, error = await run_in_threadpool(services.ledger.reprocess, stored, actor, reason)
    return JSONResponse({"event": event_id, "type": stored.type, "status": outcome,
                         "error": error, "actor": actor})


EVENT_ID = re.compile(r"^evt_[A-Za-z0-9_]{1,250}$")
routes.append(Route("/support/events/{event_id}/reprocess", reprocess_event, methods=["POST"]))
