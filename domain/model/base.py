"""The base of this service's aggregates: version 1 is the first thing that happened.

eventsourcing's aggregates begin with a ``Created`` event. Ours record facts that come
from outside (a Stripe event, a fulfillment that arrived before any webhook), so an empty
``Created`` at version 1 would tell an auditor nothing. A :class:`Record` instead starts
as a blank shell (:meth:`Record.blank`, version 0, never stored) and its first event,
whichever it is, is version 1; replaying that event on nothing rebuilds the shell.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, Self
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic, resolve_topic


class Record(Aggregate):
    """An aggregate whose every event may be its first."""

    class Event(Aggregate.Event):
        def mutate(self, aggregate: Any) -> Any:
            if aggregate is None:  # the first event of a replay
                aggregate = _owner(type(self)).blank(self.originator_id, self.timestamp)
            if aggregate.version == 0:
                aggregate._created_on = self.timestamp
            return super().mutate(aggregate)

    @classmethod
    def blank(cls, aggregate_id: UUID, timestamp: datetime | None = None) -> Self:
        """The aggregate before its first event (version 0): what commands start from."""
        shell = cls.__new__(cls)
        shell.__base_init__(originator_id=aggregate_id, originator_version=0,
                            timestamp=timestamp or Aggregate.Event.create_timestamp())
        shell.start()
        return shell

    def start(self) -> None:
        """Set the state an aggregate has before its first event (override)."""

    @property
    def is_new(self) -> bool:
        """Nothing has been recorded yet (the blank shell)."""
        return self.version == 0


@cache  # every replay asks, for the first event of each aggregate
def _owner(event_class: type) -> type[Record]:
    """``module:Aggregate.Event`` -> the aggregate class the event is nested in."""
    topic = get_topic(event_class)
    owner = resolve_topic(topic.rsplit(".", 1)[0])
    assert issubclass(owner, Record), topic
    return owner
