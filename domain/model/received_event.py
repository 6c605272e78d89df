"""The raw log: every verified Stripe event of any type, kept as received.

One aggregate per Stripe event id, so the event store's unique key on
(originator_id, version) is what makes the log unique by event id, even when two
deliveries race. Only the envelope and the body as Stripe sent it are stored: what the
body means is read by the ledger when it applies it (and can be read again after a fix).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate
from eventsourcing.utils import register_topic

from domain.model.facts import StripeEvent


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

        class_version = 2
        #: The topics this event was stored under before (see the aliases at the bottom).
        LEGACY_TOPICS = ("domain.received_event:ReceivedEvent.Received",)

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 also stored the session's facts, translated at ingestion."""
            state.pop("session", None)

        def stripe_event(self) -> StripeEvent:
            # The stored event names Stripe's id and time apart from the aggregate's own.
            return StripeEvent(id=self.stripe_event_id, type=self.type,
                               created=self.stripe_created, livemode=self.livemode,
                               object_id=self.object_id, payload=self.payload)

    def __init__(self, stripe_event_id: str, type: str, stripe_created: datetime,
                 livemode: bool, object_id: str | None, payload: str) -> None:
        self.stripe_event = StripeEvent(id=stripe_event_id, type=type, created=stripe_created,
                                        livemode=livemode, object_id=object_id, payload=payload)

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
        )


# Where the raw log's classes lived before 0.2: stored events name them by these topics.
register_topic("domain.received_event:ReceivedEvent", ReceivedEvent)
register_topic("domain.received_event:ReceivedEvent.Received", ReceivedEvent.Received)
