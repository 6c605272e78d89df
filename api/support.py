"""Support routes: what needs a person, and the actions that mend it (staff only, JSON)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from api.auth import actor, staff_route
from api.bodies import json_object
from api.params import parse_charge_id, parse_event_id, path_session_id
from api.payment_views import counts_view, staff_outcome_view
from api.system import Services
from api.views import case_view, fulfillment_record_view
from domain.apps.fulfill_checkout import FulfillerFailed

MAX_REASON = 1000


async def get_failures(request: Request) -> Response:
    """``{"failures": [...]}``: the open cases, oldest first."""
    services: Services = request.app.state.services
    failures = await run_in_threadpool(services.support.failures)
    return JSONResponse({"failures": [case_view(case) for case in failures]})


async def fulfill_session(request: Request) -> Response:
    """Run the session's fulfillment again on behalf of a staff member (never twice)."""
    session_id = path_session_id(request)
    reason = _reason(await json_object(request))
    staff = actor(request)
    services: Services = request.app.state.services
    try:
        outcome = await run_in_threadpool(
            services.fulfillment.fulfill_on_request, session_id, staff, reason)
        error = None
    except FulfillerFailed as failed:  # recorded and listed: an answer, not an error
        outcome, error = None, failed.error
    fulfillment = await run_in_threadpool(services.fulfillment.fulfillment, session_id)
    return JSONResponse({
        "session": session_id,
        "status": "failed" if outcome is None else outcome.status,
        "newly_fulfilled": outcome is not None and outcome.newly_fulfilled,
        "error": error,
        "actor": staff,
        "fulfillment": fulfillment_record_view(fulfillment),
    })


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
    staff_route("/support/failures", get_failures, methods=["GET"]),
    staff_route("/support/sessions/{session_id}/fulfill", fulfill_session, methods=["POST"]),
]


async def reprocess_event(request: Request) -> Response:
    """Apply a stored Stripe event again (the way back for an ``event_unprocessable``
    case), recorded with the staff member's name; never applied twice."""
    event_id = parse_event_id(request.path_params["event_id"])
    reason = _reason(await json_object(request))
    staff = actor(request)
    services: Services = request.app.state.services
    stored = await run_in_threadpool(services.inbox.get, event_id)
    if stored is None:
        raise HTTPException(404, f"no stored Stripe event {event_id}")
    outcome, error = await run_in_threadpool(services.ledger.reprocess, stored, staff, reason)
    return JSONResponse({"event": event_id, "type": stored.type, "status": outcome,
                         "error": error, "actor": staff})


routes.append(staff_route("/support/events/{event_id}/reprocess", reprocess_event,
                          methods=["POST"]))


async def retry_charge(request: Request) -> Response:
    """A new off-session attempt of a declined charge, recorded with the staff member's name."""
    charge_id = parse_charge_id(request.path_params["charge_id"])
    reason = _reason(await json_object(request))
    staff = actor(request)
    services: Services = request.app.state.services
    outcome = await run_in_threadpool(services.charges.retry, charge_id, staff, reason)
    return JSONResponse(staff_outcome_view(outcome, staff))


async def recovery_link(request: Request) -> Response:
    """A new recovery Checkout Session for a declined charge, sent to the customer."""
    charge_id = parse_charge_id(request.path_params["charge_id"])
    reason = _reason(await json_object(request))
    staff = actor(request)
    services: Services = request.app.state.services
    outcome = await run_in_threadpool(services.charges.new_recovery_link, charge_id, staff,
                                      reason)
    return JSONResponse(staff_outcome_view(outcome, staff))


async def reconcile(request: Request) -> Response:
    """Ingest the Stripe events never delivered: ``{"seen", "new", "already_known", ...}``."""
    reason = _reason(await json_object(request))
    services: Services = request.app.state.services
    counts = await run_in_threadpool(services.reconciler.reconcile, actor(request), reason)
    return JSONResponse(counts_view(counts))


routes += [
    staff_route("/support/charges/{charge_id}/retry", retry_charge, methods=["POST"]),
    staff_route("/support/charges/{charge_id}/recovery-link", recovery_link, methods=["POST"]),
    staff_route("/support/reconcile", reconcile, methods=["POST"]),
]
