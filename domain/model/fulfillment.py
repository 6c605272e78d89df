"""The Fulfillment aggregate: what was done to fulfil one Checkout Session.

One per session (its id derives from the ``cs_...`` id), recorded by the fulfillment
application, whoever triggered it: the webhook follower, the success page or support.
Its version number is what makes ``Fulfilled`` happen once: two triggers racing both
try to record version N, and the store keeps one.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.model.base import Record
from domain.model.facts import CheckoutSnapshot, LineItem, SessionFacts
from domain.model.session_state import FailureRecord, FulfilledItem, FulfillmentRecord


def fulfillment_uuid(session_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"checkout-ledger:fulfillment:{session_id}")


class Fulfillment(Record):
    """The fulfillment of one Checkout Session."""

    class Event(Record.Event):
        session_id: str

        def apply(self, aggregate: Fulfillment) -> None:
            aggregate.session_id = self.session_id

    class Fulfilled(Event):
        """The fulfiller granted the line items (exactly once per session)."""

        line_items: tuple[LineItem, ...]
        granted: tuple[str, ...]
        trigger: str
        actor: str | None
        facts: SessionFacts

        def apply(self, aggregate: Fulfillment) -> None:
            super().apply(aggregate)
            aggregate.fulfilled = self

    class Failed(Event):
        """An attempt failed (the fulfiller raised, or Stripe refused the session)."""

        error: str
        attempts: int
        trigger: str
        actor: str | None

        def apply(self, aggregate: Fulfillment) -> None:
            super().apply(aggregate)
            aggregate.attempts = self.attempts
            aggregate.last_error = self.error
            aggregate.failed_at = self.timestamp

    class StaffAsked(Event):
        """A staff member asked to fulfil again, and why (recorded before it runs)."""

        actor: str
        reason: str | None

    def start(self) -> None:
        self.session_id = ""
        self.fulfilled: Fulfillment.Fulfilled | None = None
        self.attempts = 0
        self.last_error: str | None = None
        self.failed_at: datetime | None = None

    @classmethod
    def of(cls, session_id: str) -> Fulfillment:
        """A fulfillment nothing has been recorded about yet."""
        fulfillment = cls.blank(fulfillment_uuid(session_id))
        fulfillment.session_id = session_id
        return fulfillment

    @property
    def record(self) -> FulfillmentRecord | None:
        """When, how and by whom the line items were fulfilled (None: not yet)."""
        done = self.fulfilled
        if done is None:
            return None
        return FulfillmentRecord(
            line_items=tuple(FulfilledItem.of(item, granted) for item, granted
                             in zip(done.line_items, done.granted, strict=False)),
            fulfilled_at=done.timestamp, trigger=done.trigger, actor=done.actor)

    @property
    def failure(self) -> FailureRecord | None:
        """The last failed attempt (None: none failed)."""
        if self.last_error is None:
            return None
        return FailureRecord(self.last_error, self.attempts, self.failed_at or self.modified_on)

    def record_fulfilled(self, snapshot: CheckoutSnapshot, granted: tuple[str, ...],
                         trigger: str, actor: str | None) -> bool:
        """Record that the line items were fulfilled; False if they already were."""
        if self.fulfilled is not None:
            return False
        self.trigger_event(self.Fulfilled, session_id=self.session_id,
                           line_items=snapshot.line_items, granted=granted, trigger=trigger,
                           actor=actor, facts=snapshot.facts)
        return True

    def record_failure(self, error: str, trigger: str, actor: str | None) -> bool:
        """Record a failed attempt; False (nothing recorded) once fulfilled: a late failure
        from a losing race must not reopen a fulfilled session."""
        if self.fulfilled is not None:
            return False
        self.trigger_event(self.Failed, session_id=self.session_id, error=error,
                           attempts=self.attempts + 1, trigger=trigger, actor=actor)
        return True

    def record_staff_request(self, actor: str, reason: str | None) -> None:
        self.trigger_event(self.StaffAsked, session_id=self.session_id, actor=actor,
                           reason=reason)
