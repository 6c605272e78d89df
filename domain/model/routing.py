"""How a Stripe event type reaches an aggregate: the shape of the one routing table.

The table itself is ``adapters/stripe_events.py`` (it names the translators, which read
Stripe's JSON). The ledger is given it when built and knows nothing else about Stripe's
event types: a new type is one row there, plus its translator and aggregate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from domain.model.facts import StripeEvent


class StripeRecord(Protocol):
    """An aggregate that records Stripe events about one Stripe object."""

    @classmethod
    def id_for(cls, facts: Any) -> UUID:
        """The aggregate id of the object these facts are about."""
        ...

    @classmethod
    def blank(cls, aggregate_id: UUID) -> Any: ...

    def record_stripe_event(self, name: str, event: StripeEvent, facts: Any) -> bool:
        """Record the event as the aggregate's event ``name``; False if already recorded."""
        ...


@dataclass(frozen=True)
class Route:
    """One handled Stripe event type: read its object with ``translate``, record it on
    ``aggregate`` as its event ``event``.

    ``translate`` answers None for an object that is not the aggregate's to record (an
    invoice of no subscription, say): the event is acknowledged and applied to nothing.
    ``object_uuid``, when given, names the aggregate from the event's ``data.object`` id
    alone (None when that id does not name it), so the ledger can read it ahead.
    """

    translate: Callable[[StripeEvent], Any]
    aggregate: type[StripeRecord]
    event: str
    object_uuid: Callable[[str], UUID | None] | None = None


Routes = Mapping[str, Route]
