"""Stripe's facts in our own language: frozen dataclasses of primitives.

The Stripe adapter turns a verified webhook into a :class:`StripeEvent`; the
domain never sees Stripe's dicts or SDK objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

COMPLETED = "checkout.session.completed"
ASYNC_PAYMENT_SUCCEEDED = "checkout.session.async_payment_succeeded"
ASYNC_PAYMENT_FAILED = "checkout.session.async_payment_failed"
EXPIRED = "checkout.session.expired"

#: The Stripe event types a Checkout Session aggregate applies.
SESSION_EVENT_TYPES = (COMPLETED, ASYNC_PAYMENT_SUCCEEDED, ASYNC_PAYMENT_FAILED, EXPIRED)


@dataclass(frozen=True)
class SessionFacts:
    """What a ``checkout.session`` object said at the time of one event."""

    session_id: str
    mode: str
    status: str | None
    payment_status: str | None
    customer: str | None = None
    customer_email: str | None = None
    amount_subtotal: int | None = None
    amount_total: int | None = None
    currency: str | None = None
    payment_intent: str | None = None
    setup_intent: str | None = None
    subscription: str | None = None
    client_reference_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StripeEvent:
    """One verified Stripe event, as received.

    ``created`` is Stripe's own time for the event; the time we recorded it is
    kept apart by the event store. ``payload`` is the body exactly as Stripe sent
    it, so later features can reprocess and reconcile from it. ``session`` is set
    for the ``checkout.session.*`` types the ledger applies.
    """

    id: str
    type: str
    created: datetime
    livemode: bool
    object_id: str | None
    payload: str
    session: SessionFacts | None = None

    @property
    def applies_to_session(self) -> bool:
        return self.session is not None and self.type in SESSION_EVENT_TYPES
