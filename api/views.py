"""Domain objects -> the JSON documents of the contract."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Any

from domain.checkout_session import CheckoutSession

_BOOKKEEPING = {"originator_id", "originator_version", "timestamp", "originator_topic",
                "session_id"}


def session_view(session: CheckoutSession) -> dict[str, Any]:
    state = session.state
    return {
        "id": session.session_id,
        "mode": state["mode"],
        "status": state["status"],
        "payment_status": state["payment_status"],
        "payment_outcome": state["payment_outcome"],
        "customer": state["customer"],
        "customer_email": state["customer_email"],
        "amount_subtotal": state["amount_subtotal"],
        "amount_total": state["amount_total"],
        "currency": state["currency"],
        "payment_intent": state["payment_intent"],
        "setup_intent": state["setup_intent"],
        "subscription": state["subscription"],
        "client_reference_id": state["client_reference_id"],
        "metadata": state["metadata"],
        "fulfillment": session.fulfillment,
        "stripe_events": session.stripe_event_ids,
        "version": session.version,
        "recorded_at": iso(session.modified_on),
    }


def history_entry(event: CheckoutSession.Event) -> dict[str, Any]:
    fields = {k: v for k, v in vars(event).items() if k not in _BOOKKEEPING}
    stripe_event_id = fields.pop("stripe_event_id", None)
    stripe_created = fields.pop("stripe_created", None)
    actor = fields.pop("actor", None)
    return {
        "version": event.originator_version,
        "type": type(event).__name__,
        "recorded_at": iso(event.timestamp),
        "stripe_event_id": stripe_event_id,
        "stripe_created": iso(stripe_created),
        "actor": actor,
        "data": plain(fields),
    }


def log_entry(position: int, event: CheckoutSession.Event) -> dict[str, Any]:
    return {
        "position": position,
        "session": event.session_id,
        "type": type(event).__name__,
        "version": event.originator_version,
        "recorded_at": iso(event.timestamp),
        "stripe_event_id": getattr(event, "stripe_event_id", None),
    }


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def plain(value: Any) -> Any:
    """Dataclasses, datetimes and containers -> JSON-ready values."""
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
