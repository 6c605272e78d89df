"""The Checkout Session aggregate: its state is the replay of what happened to it.

Stripe delivers at least once, late and out of order, so the state is a function of the
*set* of Stripe events applied, never of their arrival order: facts are folded in a fixed
order (lifecycle rank, Stripe's ``created``, event id). The same Stripe event twice is
recognised by its id and records nothing new.

The ledger is this aggregate's only writer. Besides Stripe's events it records, as they
happen in the fulfillment and notice applications, the session's fulfillment, its failed
attempts, staff requests and customer notices, so one history tells the whole story.
Version 1 is the first of these, whatever it is (see :mod:`domain.model.base`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.model.base import Record
from domain.model.facts import CheckoutSnapshot, LineItem, SessionFacts, StripeEvent
from domain.model.session_state import (
    RETRIEVED,
    AppliedFact,
    FailureRecord,
    FulfilledItem,
    FulfillmentRecord,
    SessionState,
    fold,
    latest,
)

PAID_STATUSES = ("paid", "no_payment_required")
RECOVERY_METADATA_KEY = "checkout_ledger_charge"  # a session that pays a declined charge


def is_recovery(facts: SessionFacts) -> bool:
    """The session pays an off-session charge that was declined: there is nothing to
    fulfil (the charges application marks the charge recovered)."""
    return any(key == RECOVERY_METADATA_KEY for key, _ in facts.metadata)


@lru_cache(maxsize=16_384)  # every follower of the ledger asks for the same ids
def session_uuid(session_id: str) -> UUID:
    """The aggregate id of a Checkout Session, derived from its ``cs_...`` id."""
    return uuid5(NAMESPACE_URL, f"stripe:checkout.session:{session_id}")


@dataclass(frozen=True)
class FailureSummary:
    """Who and how much a failure concerns, as the session stood (for support)."""

    customer: str | None
    amount: int | None
    currency: str | None
    subscription: str | None = None  # a renewal's: support lists the subscription instead


class CheckoutSession(Record):
    """A Stripe Checkout Session as this service knows it."""

    class Event(Record.Event):
        session_id: str

        def apply(self, aggregate: CheckoutSession) -> None:
            aggregate._session_id = self.session_id

    class StripeFact(Event):
        """Base of the events that record one Stripe event."""

        stripe_event_id: str
        stripe_created: datetime
        facts: SessionFacts

        def apply(self, aggregate: CheckoutSession) -> None:
            super().apply(aggregate)
            aggregate._remember(AppliedFact(type(self).__name__, self.stripe_event_id,
                                            self.stripe_created, self.facts))

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

        line_items: tuple[LineItem, ...]
        granted: tuple[str, ...]
        trigger: str
        actor: str | None
        facts: SessionFacts  # the session as retrieved from Stripe before fulfilling
        fulfilled_at: datetime

        def apply(self, aggregate: CheckoutSession) -> None:
            super().apply(aggregate)
            aggregate._remember(AppliedFact(RETRIEVED, f"retrieved@{self.originator_version}",
                                            self.fulfilled_at, self.facts))
            aggregate.fulfilled = FulfillmentRecord(
                line_items=tuple(FulfilledItem.of(item, granted) for item, granted
                                 in zip(self.line_items, self.granted, strict=False)),
                fulfilled_at=self.fulfilled_at, trigger=self.trigger, actor=self.actor)

    class FulfillmentFailed(Event):
        """An attempt to fulfil failed; ``attempts`` counts them."""

        error: str
        attempts: int
        trigger: str
        actor: str | None
        summary: FailureSummary

        def apply(self, aggregate: CheckoutSession) -> None:
            super().apply(aggregate)
            aggregate.failure = FailureRecord(self.error, self.attempts, self.timestamp)

    class CustomerNotified(Event):
        """The customer was told (e.g. that their delayed payment failed)."""

        reason: str

        def apply(self, aggregate: CheckoutSession) -> None:
            super().apply(aggregate)
            aggregate.notified = (*aggregate.notified, self.reason)

    class StaffActionRequested(Event):
        """A staff member asked for ``action`` on this session, recorded before it ran."""

        action: str
        actor: str
        reason: str | None

    def start(self) -> None:
        self._session_id = ""
        self.applied: dict[str, AppliedFact] = {}
        self.state: SessionState = fold(())
        self.fulfilled: FulfillmentRecord | None = None
        self.failure: FailureRecord | None = None
        self.notified: tuple[str, ...] = ()

    @property
    def session_id(self) -> str:
        return self._session_id

    @classmethod
    def open(cls, session_id: str) -> CheckoutSession:
        """A session nothing has been recorded about yet."""
        session = cls.blank(session_uuid(session_id))
        session._session_id = session_id
        return session

    @classmethod
    def id_for(cls, facts: SessionFacts) -> UUID:
        return session_uuid(facts.session_id)

    # Commands ------------------------------------------------------------------

    def record_stripe_event(self, name: str, event: StripeEvent, facts: SessionFacts) -> bool:
        """Record ``event`` as this aggregate's event ``name``; False (recording nothing)
        if it was recorded already."""
        if not self.is_new and facts.session_id != self.session_id:
            raise ValueError(f"{event.id} is about {facts.session_id}, not {self.session_id}")
        if event.id in self.applied:
            return False
        event_class = getattr(type(self), name)
        assert issubclass(event_class, CheckoutSession.StripeFact), name
        self.trigger_event(event_class, session_id=facts.session_id, stripe_event_id=event.id,
                           stripe_created=event.created, facts=facts)
        return True

    def record_fulfillment(self, snapshot: CheckoutSnapshot, granted: tuple[str, ...],
                           trigger: str, actor: str | None, fulfilled_at: datetime) -> bool:
        """Record that the line items were fulfilled; False if they already were."""
        if self.fulfilled is not None:
            return False
        self.trigger_event(self.Fulfilled, session_id=snapshot.facts.session_id,
                           line_items=snapshot.line_items, granted=granted, trigger=trigger,
                           actor=actor, facts=snapshot.facts, fulfilled_at=fulfilled_at)
        return True

    def record_fulfillment_failure(self, session_id: str, error: str, attempts: int,
                                   trigger: str, actor: str | None) -> bool:
        """Record a failed attempt; False once the session is fulfilled."""
        if self.fulfilled is not None:
            return False
        state = self.state
        summary = FailureSummary(state.customer or state.customer_email, state.amount_total,
                                 state.currency)
        self.trigger_event(self.FulfillmentFailed, session_id=session_id, error=error,
                           attempts=attempts, trigger=trigger, actor=actor, summary=summary)
        return True

    def record_notification(self, session_id: str, reason: str) -> bool:
        """Record that the customer was told ``reason``; False if they already were."""
        if reason in self.notified:
            return False
        self.trigger_event(self.CustomerNotified, session_id=session_id, reason=reason)
        return True

    def record_staff_action(self, session_id: str, action: str, actor: str,
                            reason: str | None) -> None:
        """Record that ``actor`` asked for ``action`` (e.g. "fulfill"), and why."""
        self.trigger_event(self.StaffActionRequested, session_id=session_id, action=action,
                           actor=actor, reason=reason)

    # Derived state -------------------------------------------------------------

    def _remember(self, fact: AppliedFact) -> None:
        self.applied[fact.stripe_event_id] = fact
        self.state = fold(self.applied.values())

    def latest_facts(self) -> SessionFacts | None:
        """What Stripe said last about the session (by lifecycle, then time)."""
        return latest(self.applied.values())

    @property
    def stripe_event_ids(self) -> list[str]:
        return sorted(k for k, fact in self.applied.items() if fact.kind != RETRIEVED)

    @property
    def is_paid(self) -> bool:
        return self.state.status == "complete" and self.state.payment_status in PAID_STATUSES

    @property
    def fulfillment_status(self) -> str:
        """pending | fulfilled | failed | not_required."""
        if self.fulfilled is not None:
            return "fulfilled"
        if self.state.mode == "setup" or self.state.status == "expired" or any(
                key == RECOVERY_METADATA_KEY for key, _ in self.state.metadata):
            return "not_required"
        if self.state.payment_outcome == "failed" or self.failure is not None:
            return "failed"
        return "pending"
