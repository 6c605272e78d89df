"""Stripe's facts in our own language: frozen dataclasses of primitives.

The Stripe adapter turns a verified webhook into a :class:`StripeEvent` (the envelope and
the body as Stripe sent it) and, through the one table of handled event types
(``adapters/stripe_events.py``), the object it is about into facts such as
:class:`SessionFacts`. The domain never sees Stripe's dicts or SDK objects.

Maps that a customer or merchant controls (Stripe ``metadata``) are kept as tuples of
pairs, never as dicts: a stored dict with a ``_type_`` key would be read back as one of
the store's encoded types.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

COMPLETED = "checkout.session.completed"
ASYNC_PAYMENT_SUCCEEDED = "checkout.session.async_payment_succeeded"
ASYNC_PAYMENT_FAILED = "checkout.session.async_payment_failed"
EXPIRED = "checkout.session.expired"

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class StripeEvent:
    """One verified Stripe event, as received.

    ``created`` is Stripe's own time for the event; the time we recorded it is kept
    apart by the event store. ``payload`` is the body exactly as Stripe sent it, so
    the ledger translates it when it applies it, and can again after a fix.
    """

    id: str
    type: str
    created: datetime
    livemode: bool
    object_id: str | None
    payload: str


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
    metadata: Pairs = ()
    # The Payment Link the session was opened from (None otherwise, and in facts recorded
    # before the service read it).
    payment_link: str | None = None


@dataclass(frozen=True)
class LineItem:
    """One line of a Checkout Session, as Stripe lists it."""

    price: str | None
    quantity: int
    description: str
    amount_total: int
    currency: str


@dataclass(frozen=True)
class CheckoutSnapshot:
    """A Checkout Session retrieved from Stripe, with every line item."""

    facts: SessionFacts
    line_items: tuple[LineItem, ...]
