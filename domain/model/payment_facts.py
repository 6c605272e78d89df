"""What Stripe says about customers, saved cards and off-session charges, in our words.

Frozen dataclasses of primitives, built by the Stripe gateway from the API's answers; the
domain never sees Stripe's dicts or SDK objects.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.model.facts import Pairs


@dataclass(frozen=True)
class Card:
    """A card PaymentMethod (``pm_...``) as Stripe describes it."""

    payment_method: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    fingerprint: str  # the same card number saved twice has the same fingerprint
    customer: str | None  # the Customer it is attached to, if any


@dataclass(frozen=True)
class SetupResult:
    """A setup-mode Checkout Session with its SetupIntent's card (one request: the session
    with ``setup_intent.payment_method`` expanded)."""

    session_id: str
    status: str | None  # open | complete | expired
    customer: str | None
    customer_email: str | None
    setup_intent: str | None
    card: Card | None  # None until the SetupIntent has a card


@dataclass(frozen=True)
class StripeCustomer:
    """A Customer as Stripe knows it."""

    id: str
    email: str | None
    default_payment_method: str | None  # invoice_settings.default_payment_method


@dataclass(frozen=True)
class Decline:
    """Why Stripe refused an off-session charge (``402``, ``error.type=card_error``)."""

    code: str | None  # card_declined | authentication_required | expired_card | ...
    decline_code: str | None  # insufficient_funds | generic_decline | ...
    message: str


@dataclass(frozen=True)
class ChargeRequest:
    """An off-session charge to make: what ``POST /v1/payment_intents`` is sent."""

    customer: str
    payment_method: str
    amount: int  # in the currency's smallest unit
    currency: str
    description: str | None
    idempotency_key: str  # derived from the charge: Stripe replays the first answer
    metadata: Pairs = ()


@dataclass(frozen=True)
class ChargeResult:
    """What Stripe answered: the PaymentIntent and, for a decline, why."""

    payment_intent: str | None
    status: str  # succeeded | processing | requires_payment_method | requires_action
    decline: Decline | None = None


@dataclass(frozen=True)
class RecoveryRequest:
    """A Checkout Session for a customer whose charge was declined (``customer=`` set, so
    Checkout pre-fills the saved card)."""

    customer: str
    amount: int
    currency: str
    description: str
    metadata: Pairs
    idempotency_key: str
