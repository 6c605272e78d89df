"""The raw log: every verified Stripe event of any type, kept as received.

One aggregate per Stripe event id, so the event store's unique key on
(originator_id, version) is what makes the log unique by event id, even when two
deliveries race.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.facts import SessionFacts, StripeEvent


def received_event_uuid(stripe_event_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"stripe:event:{stripe_event_id}")


class ReceivedEvent(Aggregate):
    """One Stripe event in the raw log."""

    class Received(Aggregate.Created):
        stripe_event_id: str
        type: str
        stripe_created: datetime
        livemode: bool
        object_id: str | None
        payload: str
        session: SessionFacts | None

        def stripe_event(self) -> StripeEvent:
            return _as_stripe_event(self.stripe_event_id, self.type, self.stripe_created,
                                    self.livemode, self.object_id, self.payload, self.session)

    def __init__(
        self,
        stripe_event_id: str,
        type: str,
        stripe_created: datetime,
        livemode: bool,
        object_id: str | None,
        payload: str,
        session: SessionFacts | None,
    ) -> None:
        self.stripe_event = _as_stripe_event(stripe_event_id, type, stripe_created, livemode,
                                             object_id, payload, session)

    @classmethod
    def receive(cls, event: StripeEvent) -> ReceivedEvent:
        return cls._create(
            cls.Received,
            id=received_event_uuid(event.id),
            stripe_event_id=event.id,
            type=event.type,
            stripe_created=event.created,
            livemode=event.livemode,
            object_id=event.object_id,
            payload=event.payload,
            session=event.session,
        )


def _as_stripe_event(stripe_event_id: str, type: str, stripe_created: datetime, livemode: bool,
                     object_id: str | None, payload: str, session: SessionFacts | None
                     ) -> StripeEvent:
    # The stored event names Stripe's id and time apart from the aggregate's own.
    return StripeEvent(id=stripe_event_id, type=type, created=stripe_created, livemode=livemode,
                       object_id=object_id, payload=payload, session=session)
