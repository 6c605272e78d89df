"""A Checkout Session's state as typed values, and the fold that derives it from facts.

The fold is a pure function of the *set* of facts: they are ordered by lifecycle rank,
then Stripe's ``created``, then event id, whatever order they arrived in. A later
lifecycle stage wins: a completion outranks an expiry, a settled bank debit outranks the
completion that left it unpaid (so the settlement's amount is the one shown).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from domain.model.facts import LineItem, Pairs, SessionFacts

# Kinds of fact: the CheckoutSession event class names, and the session as retrieved
# from Stripe's API before fulfilling.
COMPLETED, SUCCEEDED, FAILED, EXPIRED = (
    "Completed", "AsyncPaymentSucceeded", "AsyncPaymentFailed", "Expired")
RETRIEVED = "retrieved"
_RANK = {EXPIRED: 0, COMPLETED: 1, RETRIEVED: 1, FAILED: 2, SUCCEEDED: 3}
_PAID = ("paid", "no_payment_required")


@dataclass(frozen=True)
class AppliedFact:
    """One Stripe event (or retrieval) as the aggregate remembers it."""

    kind: str
    stripe_event_id: str
    stripe_created: datetime
    facts: SessionFacts

    @property
    def order(self) -> tuple[int, datetime, str]:
        return (_RANK[self.kind], self.stripe_created, self.stripe_event_id)


@dataclass(frozen=True)
class SessionState:
    """What the session's facts add up to."""

    mode: str | None = None
    status: str | None = None  # open | complete | expired
    payment_status: str | None = None  # paid | unpaid | no_payment_required
    payment_outcome: str | None = None  # pending | succeeded | failed
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
    payment_link: str | None = None


@dataclass(frozen=True)
class FulfilledItem:
    """A line item as fulfilled, with what the fulfiller said it granted."""

    price: str | None
    quantity: int
    description: str
    amount_total: int
    currency: str
    granted: str | None

    @classmethod
    def of(cls, item: LineItem, granted: str | None) -> FulfilledItem:
        return cls(item.price, item.quantity, item.description, item.amount_total,
                   item.currency, granted)


@dataclass(frozen=True)
class FulfillmentRecord:
    """When, how and by whom the session was fulfilled."""

    line_items: tuple[FulfilledItem, ...]
    fulfilled_at: datetime
    trigger: str
    actor: str | None


@dataclass(frozen=True)
class FailureRecord:
    """The last failed attempt to fulfil, and how many there were."""

    error: str
    attempts: int
    at: datetime


_COPIED = ("mode", "customer", "customer_email", "amount_subtotal", "amount_total", "currency",
           "payment_intent", "setup_intent", "subscription", "client_reference_id",
           "payment_link")


def latest(applied: Iterable[AppliedFact]) -> SessionFacts | None:
    """The facts of the latest fact (by lifecycle, then time)."""
    ordered = sorted(applied, key=lambda fact: fact.order)
    return ordered[-1].facts if ordered else None


def fold(applied: Iterable[AppliedFact]) -> SessionState:
    """The session's state from a set of applied facts, whatever order they came in."""
    ordered = sorted(applied, key=lambda fact: fact.order)
    values: dict[str, object] = {}
    metadata: Pairs = ()
    for fact in ordered:
        for name in _COPIED:
            value = getattr(fact.facts, name)
            if value is not None:
                values[name] = value
        if fact.facts.metadata:
            metadata = fact.facts.metadata
    state = SessionState(**values, metadata=metadata)  # type: ignore[arg-type]
    return replace(state, **_lifecycle(ordered))  # type: ignore[arg-type]


def _lifecycle(ordered: list[AppliedFact]) -> dict[str, str | None]:
    kinds = {fact.kind for fact in ordered}
    retrieved_complete = any(f.kind == RETRIEVED and f.facts.status == "complete" for f in ordered)
    status = None
    if kinds & {COMPLETED, SUCCEEDED, FAILED} or retrieved_complete:
        status = "complete"
    elif EXPIRED in kinds:
        status = "expired"
    if SUCCEEDED in kinds:
        return {"status": status, "payment_status": "paid", "payment_outcome": "succeeded"}
    if FAILED in kinds:
        return {"status": status, "payment_status": "unpaid", "payment_outcome": "failed"}
    completions = [fact for fact in ordered if fact.kind in (COMPLETED, RETRIEVED)]
    if completions:
        payment_status = completions[-1].facts.payment_status
        outcome = "succeeded" if payment_status in _PAID else "pending"
        return {"status": status, "payment_status": payment_status, "payment_outcome": outcome}
    if EXPIRED in kinds:
        return {"status": status, "payment_status": "unpaid", "payment_outcome": None}
    return {"status": status, "payment_status": None, "payment_outcome": None}
