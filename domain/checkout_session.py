"""The Checkout Session aggregate: its state is the replay of the Stripe events it received.

Stripe delivers at least once, late and out of order, so the state is a function of
the *set* of Stripe events applied, never of their arrival order: facts are folded in
a fixed order (lifecycle rank, Stripe's ``created``, event id). The same Stripe event
twice is recognised by its id and records nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.facts import (
    ASYNC_PAYMENT_FAILED,
    ASYNC_PAYMENT_SUCCEEDED,
    COMPLETED,
    EXPIRED,
    SessionFacts,
    StripeEvent,
)
from domain.ports import CheckoutSnapshot, LineItem

PAID_STATUSES = ("paid", "no_payment_required")
RETRIEVED = "retrieved"  # the session as fetched from Stripe's API before fulfilling


def session_uuid(session_id: str) -> UUID:
    """The aggregate id of a Checkout Session, derived from its ``cs_...`` id."""
    return uuid5(NAMESPACE_URL, f"stripe:checkout.session:{session_id}")


@dataclass(frozen=True)
class AppliedFact:
    """One Stripe event as the aggregate remembers it."""

    kind: str
    stripe_event_id: str
    stripe_created: datetime
    facts: SessionFacts


# Later lifecycle stages win: a completion outranks an expiry, a settled bank
# debit outranks the completion that left it unpaid.
_RANK = {EXPIRED: 0, COMPLETED: 1, RETRIEVED: 1, ASYNC_PAYMENT_FAILED: 2,
         ASYNC_PAYMENT_SUCCEEDED: 3}
_FIELDS = (
    "mode", "customer", "customer_email", "amount_subtotal", "amount_total", "currency",
    "payment_intent", "setup_intent", "subscription", "client_reference_id",
)


class CheckoutSession(Aggregate):
    """A Stripe Checkout Session as this service knows it."""

    class Event(Aggregate.Event):
        session_id: str

    class Created(Event, Aggregate.Created):
        """The ledger opened this session on the first Stripe event it received for it."""

    class StripeFact(Event):
        """Base of the events that record one Stripe event."""

        stripe_event_id: str
        stripe_created: datetime
        facts: SessionFacts

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, CheckoutSession)
            kind = _KIND_OF_CLASS[type(self).__name__]
            aggregate._remember(
                AppliedFact(kind, self.stripe_event_id, self.stripe_created, self.facts)
            )

    class Completed(StripeFact):
        """Stripe said the customer finished Checkout (``checkout.session.completed``)."""

    class AsyncPaymentSucceeded(StripeFact):
        """A delayed payment settled (``checkout.session.async_payment_succeeded``)."""

    class AsyncPaymentFailed(StripeFact):
        """A delayed payment failed (``checkout.session.async_payment_failed``)."""

    class Expired(StripeFact):
        """The session expired unpaid (``checkout.session.expired``)."""

    class Fulfilled(Event):
        """The line items were fulfilled (exactly once per session)."""

        line_items: list[LineItem]
        granted: list[str]
        trigger: str
        actor: str | None
        facts: SessionFacts  # the session as retrieved from Stripe before fulfilling

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, CheckoutSession)
            aggregate._remember(AppliedFact(RETRIEVED, f"retrieved@{self.originator_version}",
                                            self.timestamp, self.facts))
            aggregate.fulfilled = {
                "line_items": [
                    {**asdict(item), "granted": granted}
                    for item, granted in zip(self.line_items, self.granted, strict=False)
                ],
                "fulfilled_at": self.timestamp.isoformat(),
                "trigger": self.trigger,
            }

    class FulfillmentFailed(Event):
        """An attempt to fulfil failed; ``attempts`` counts them."""

        error: str
        attempts: int
        trigger: str
        actor: str | None

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, CheckoutSession)
            aggregate.fulfillment_failure = {"error": self.error, "attempts": self.attempts,
                                             "at": self.timestamp.isoformat()}

    class CustomerNotified(Event):
        """The customer was told (e.g. that their delayed payment failed)."""

        reason: str

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, CheckoutSession)
            aggregate.notified.append(self.reason)

    class StaffActionRequested(Event):
        """A staff member asked for ``action`` on this session, recorded before it runs."""

        action: str
        actor: str
        reason: str | None

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self.applied: dict[str, AppliedFact] = {}
        self.state: dict[str, Any] = _fold([])
        self.fulfilled: dict[str, Any] | None = None
        self.fulfillment_failure: dict[str, Any] | None = None
        self.notified: list[str] = []

    @staticmethod
    def create_id(session_id: str) -> UUID:
        return session_uuid(session_id)

    @classmethod
    def open(cls, session_id: str) -> CheckoutSession:
        return cls._create(cls.Created, id=session_uuid(session_id), session_id=session_id)

    # Commands ------------------------------------------------------------------

    def record_stripe_event(self, event: StripeEvent) -> bool:
        """Apply one Stripe event; answer False (recording nothing) if already applied."""
        if event.session is None or event.type not in _CLASS_OF_KIND:
            raise ValueError(f"{event.type} is not a checkout session event")
        if event.session.session_id != self.session_id:
            raise ValueError(f"{event.id} is about {event.session.session_id}, not {self.session_id}")
        if event.id in self.applied:
            return False
        event_class = getattr(type(self), _CLASS_OF_KIND[event.type])
        self.trigger_event(
            event_class,
            session_id=self.session_id,
            stripe_event_id=event.id,
            stripe_created=event.created,
            facts=event.session,
        )
        return True

    def record_fulfillment(
        self, snapshot: CheckoutSnapshot, granted: Sequence[str], trigger: str,
        actor: str | None = None,
    ) -> bool:
        """Record that the line items were fulfilled; False (nothing new) if they already were."""
        if self.fulfilled is not None:
            return False
        self.trigger_event(
            self.Fulfilled, session_id=self.session_id, line_items=list(snapshot.line_items),
            granted=list(granted), trigger=trigger, actor=actor, facts=snapshot.facts,
        )
        return True

    def record_fulfillment_failure(self, error: str, trigger: str, actor: str | None = None) -> bool:
        """Record a failed attempt; False (nothing recorded) once the session is fulfilled:
        a late failure from a losing race must not reopen a fulfilled session."""
        if self.fulfilled is not None:
            return False
        attempts = (self.fulfillment_failure or {}).get("attempts", 0) + 1
        self.trigger_event(self.FulfillmentFailed, session_id=self.session_id, error=error,
                           attempts=attempts, trigger=trigger, actor=actor)
        return True

    def record_notification(self, reason: str) -> bool:
        """Record that the customer was told ``reason``; False if they already were."""
        if reason in self.notified:
            return False
        self.trigger_event(self.CustomerNotified, session_id=self.session_id, reason=reason)
        return True

    def record_staff_action(self, action: str, actor: str, reason: str | None = None) -> None:
        """Record that ``actor`` asked for ``action`` (e.g. "fulfill"), and why."""
        self.trigger_event(self.StaffActionRequested, session_id=self.session_id, action=action,
                           actor=actor, reason=reason)

    # Derived state -------------------------------------------------------------

    def _remember(self, fact: AppliedFact) -> None:
        self.applied[fact.stripe_event_id] = fact
        self.state = _fold(self.applied.values())

    def latest_facts(self) -> SessionFacts | None:
        """What Stripe said last about the session (by lifecycle, then time)."""
        ordered = sorted(self.applied.values(),
                         key=lambda f: (_RANK[f.kind], f.stripe_created, f.stripe_event_id))
        return ordered[-1].facts if ordered else None

    @property
    def stripe_event_ids(self) -> list[str]:
        return sorted(k for k, fact in self.applied.items() if fact.kind != RETRIEVED)

    @property
    def is_paid(self) -> bool:
        return self.state["status"] == "complete" and self.state["payment_status"] in PAID_STATUSES

    @property
    def fulfillment_status(self) -> str:
        """pending | fulfilled | failed | not_required."""
        if self.fulfilled is not None:
            return "fulfilled"
        if self.state["mode"] == "setup" or self.state["status"] == "expired":
            return "not_required"
        if self.state["payment_outcome"] == "failed" or self.fulfillment_failure is not None:
            return "failed"
        return "pending"

    @property
    def fulfillment(self) -> dict[str, Any]:
        done = self.fulfilled or {}
        return {
            "status": self.fulfillment_status,
            "line_items": list(done.get("line_items", [])),
            "fulfilled_at": done.get("fulfilled_at"),
            "trigger": done.get("trigger"),
            "last_error": None if done else (self.fulfillment_failure or {}).get("error"),
            "attempts": (self.fulfillment_failure or {}).get("attempts", 0),
        }

    @property
    def status(self) -> str | None:
        return self.state["status"]

    @property
    def payment_status(self) -> str | None:
        return self.state["payment_status"]

    @property
    def mode(self) -> str | None:
        return self.state["mode"]


_CLASS_OF_KIND = {
    COMPLETED: "Completed",
    ASYNC_PAYMENT_SUCCEEDED: "AsyncPaymentSucceeded",
    ASYNC_PAYMENT_FAILED: "AsyncPaymentFailed",
    EXPIRED: "Expired",
}
_KIND_OF_CLASS = {name: kind for kind, name in _CLASS_OF_KIND.items()}


def _fold(applied: Any) -> dict[str, Any]:
    """The session's state from a set of applied facts, whatever order they came in."""
    ordered = sorted(
        applied, key=lambda f: (_RANK[f.kind], f.stripe_created, f.stripe_event_id)
    )
    state: dict[str, Any] = dict.fromkeys(_FIELDS)
    state.update(status=None, payment_status=None, payment_outcome=None, metadata={})
    kinds = {f.kind for f in ordered}
    for fact in ordered:
        for name in _FIELDS:
            value = getattr(fact.facts, name)
            if value is not None:
                state[name] = value
        if fact.facts.metadata:
            state["metadata"] = dict(fact.facts.metadata)
    retrieved_complete = any(f.kind == RETRIEVED and f.facts.status == "complete" for f in ordered)
    if kinds & {COMPLETED, ASYNC_PAYMENT_SUCCEEDED, ASYNC_PAYMENT_FAILED} or retrieved_complete:
        state["status"] = "complete"
    elif EXPIRED in kinds:
        state["status"] = "expired"
    if ASYNC_PAYMENT_SUCCEEDED in kinds:
        state.update(payment_status="paid", payment_outcome="succeeded")
    elif ASYNC_PAYMENT_FAILED in kinds:
        state.update(payment_status="unpaid", payment_outcome="failed")
    elif kinds & {COMPLETED, RETRIEVED}:
        completed = [f for f in ordered if f.kind in (COMPLETED, RETRIEVED)][-1]
        state["payment_status"] = completed.facts.payment_status
        paid = completed.facts.payment_status in PAID_STATUSES
        state["payment_outcome"] = "succeeded" if paid else "pending"
    elif EXPIRED in kinds:
        state["payment_status"] = "unpaid"
    return state
