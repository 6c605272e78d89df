"""Domain objects -> the JSON documents of the contract (the only place JSON is shaped)."""

from __future__ import annotations

from dataclasses import asdict, fields, is_dataclass
from datetime import datetime
from typing import Any

from domain.model.checkout_session import CheckoutSession
from domain.model.facts import SessionFacts
from domain.model.failure_board import Case
from domain.model.fulfillment import Fulfillment
from domain.model.session_state import FailureRecord, FulfillmentRecord

_BOOKKEEPING = {"originator_id", "originator_version", "timestamp", "originator_topic"}


def session_view(session: CheckoutSession) -> dict[str, Any]:
    state = session.state
    view: dict[str, Any] = {"id": session.session_id}
    for name in (f.name for f in fields(state)):
        view[name] = getattr(state, name)
    view["metadata"] = dict(state.metadata)  # exactly as Stripe sent it
    view.update(
        fulfillment=fulfillment_view(session.fulfillment_status, session.fulfilled,
                                     session.failure),
        stripe_events=session.stripe_event_ids,
        version=session.version,
        recorded_at=iso(session.modified_on),
    )
    return view


def fulfillment_view(status: str, done: FulfillmentRecord | None,
                     failure: FailureRecord | None) -> dict[str, Any]:
    """``{"status", "line_items", "fulfilled_at", "trigger", "last_error", "attempts"}``."""
    return {
        "status": status,
        "line_items": [asdict(item) for item in done.line_items] if done else [],
        "fulfilled_at": iso(done.fulfilled_at) if done else None,
        "trigger": done.trigger if done else None,
        "last_error": failure.error if failure and not done else None,
        "attempts": failure.attempts if failure else 0,
    }


def fulfillment_record_view(fulfillment: Fulfillment) -> dict[str, Any]:
    """A :class:`Fulfillment` (the fulfillment application's own record) as the same
    document as a session's ``fulfillment``."""
    done = fulfillment.record
    failure = fulfillment.failure
    status = "fulfilled" if done else ("failed" if failure else "pending")
    return fulfillment_view(status, done, failure)


def history_entry(event: Any, own_id: str = "session_id") -> dict[str, Any]:
    """One event of a session's (or, with ``own_id="charge_id"``, a charge's) history."""
    data = {k: v for k, v in vars(event).items() if k not in _BOOKKEEPING and k != own_id}
    stripe_event_id = data.pop("stripe_event_id", None)
    stripe_created = data.pop("stripe_created", None)
    actor = data.pop("actor", None)
    return {
        "version": event.originator_version,
        "type": type(event).__name__,
        "recorded_at": iso(event.timestamp),
        "stripe_event_id": stripe_event_id,
        "stripe_created": iso(stripe_created),
        "actor": actor,
        "data": plain(data),
    }


def log_entry(position: int, event: Any) -> dict[str, Any]:
    return {
        "position": position,
        "session": getattr(event, "session_id", None),
        "type": type(event).__name__,
        "version": event.originator_version,
        "recorded_at": iso(event.timestamp),
        "stripe_event_id": getattr(event, "stripe_event_id", None),
    }


def case_view(case: Case) -> dict[str, Any]:
    """One open support case, as ``GET /support/failures`` lists it."""
    view = asdict(case)
    if case.event_type is None:
        del view["event_type"]
    else:
        view["type"] = view.pop("event_type")
    return view


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def plain(value: Any) -> Any:
    """Dataclasses, datetimes and containers -> JSON-ready values, in one pass (not
    ``asdict``, which deep-copies every value first: most of a history's rendering)."""
    if isinstance(value, SessionFacts):
        return {**_fields(value), "metadata": dict(value.metadata)}
    if is_dataclass(value) and not isinstance(value, type):
        return _fields(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _fields(value: Any) -> dict[str, Any]:
    return {field.name: plain(getattr(value, field.name)) for field in fields(value)}
