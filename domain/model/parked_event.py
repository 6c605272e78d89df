"""The ParkedEvent aggregate: a stored Stripe event the ledger could not apply.

An event that fails to apply (an object shape nobody expected, a defect) is parked
instead of being retried forever: the ledger records why and goes on with the next
event. Support sees it as an ``event_unprocessable`` case, and reprocessing (after the
cause is fixed) applies it again and records who asked. One per Stripe event id.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from domain.model.base import Record


def parked_uuid(stripe_event_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"checkout-ledger:parked:{stripe_event_id}")


class ParkedEvent(Record):
    """What happened when applying one stored Stripe event went wrong, and after."""

    class Event(Record.Event):
        stripe_event_id: str
        type: str

        def apply(self, aggregate: ParkedEvent) -> None:
            aggregate.stripe_event_id = self.stripe_event_id
            aggregate.type = self.type

    class Parked(Event):
        """Applying the event failed; it waits for a person (``attempts`` counts tries)."""

        error: str
        attempts: int
        actor: str | None
        reason: str | None

        def apply(self, aggregate: ParkedEvent) -> None:
            super().apply(aggregate)
            aggregate.parked = True
            aggregate.attempts = self.attempts
            aggregate.error = self.error

    class Reprocessed(Event):
        """A staff member had the event applied again, and it applied (or already had)."""

        actor: str
        reason: str | None
        outcome: str  # applied | already_applied | ignored

        def apply(self, aggregate: ParkedEvent) -> None:
            super().apply(aggregate)
            aggregate.parked = False

    def start(self) -> None:
        self.stripe_event_id = ""
        self.type = ""
        self.parked = False
        self.attempts = 0
        self.error: str | None = None

    @classmethod
    def of(cls, stripe_event_id: str) -> ParkedEvent:
        return cls.blank(parked_uuid(stripe_event_id))

    def park(self, stripe_event_id: str, type: str, error: str, actor: str | None = None,
             reason: str | None = None) -> None:
        """Record that applying the event failed (again)."""
        self.trigger_event(self.Parked, stripe_event_id=stripe_event_id, type=type,
                           error=error, attempts=self.attempts + 1, actor=actor, reason=reason)

    def reprocessed(self, stripe_event_id: str, type: str, actor: str, reason: str | None,
                    outcome: str) -> None:
        """Record that the event applied when a staff member asked."""
        self.trigger_event(self.Reprocessed, stripe_event_id=stripe_event_id, type=type,
                           actor=actor, reason=reason, outcome=outcome)
