"""The Inbox application: webhook ingestion's only write, the raw log of Stripe events."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from threading import Lock
from typing import Any

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import IntegrityError

from domain.model.facts import StripeEvent
from domain.model.received_event import ReceivedEvent, received_event_uuid


class RecentIds:
    """A bounded memory of event ids known to be recorded, to answer redeliveries
    without a failed write. Only ids that were committed are ever added."""

    def __init__(self, size: int = 50_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    def add(self, event_ids: Sequence[str]) -> None:
        with self._lock:
            for event_id in event_ids:
                self._ids[event_id] = None
            while len(self._ids) > self._size:
                self._ids.popitem(last=False)


class Inbox(Application):
    """Records verified Stripe events, once each, in the order they arrived."""

    name = "Inbox"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self.recent = RecentIds()

    def record(self, events: Sequence[StripeEvent]) -> list[bool]:
        """Record a batch of events in one transaction (group commit).

        Answers, for each event in order, whether it was a duplicate: already in the
        log, or an earlier entry of the same batch.
        """
        duplicate = [False] * len(events)
        fresh: dict[str, int] = {}
        for i, event in enumerate(events):
            if event.id in fresh or event.id in self.recent:
                duplicate[i] = True
            else:
                fresh[event.id] = i
        insert_new = getattr(self.recorder, "insert_new_events", None)
        if insert_new is not None and fresh:
            # The store skips what is recorded already (another process's copy) in the
            # same transaction (PostgreSQL).
            entries = [ReceivedEvent.receive(events[i]) for i in fresh.values()]
            stored = [self.mapper.to_stored_event(event)
                      for entry in entries for event in entry.collect_events()]
            for i, was_inserted in zip(fresh.values(), insert_new(stored), strict=True):
                duplicate[i] = not was_inserted
            self.recent.add([events[i].id for i in fresh.values()])
            return duplicate
        try:
            self._save_all([ReceivedEvent.receive(events[i]) for i in fresh.values()])
        except IntegrityError:
            # Some event of the batch is already recorded (another process, or one
            # this process has forgotten): fall back to one transaction each.
            # The failed save consumed the entries' pending events: build them anew.
            for i in fresh.values():
                duplicate[i] = not self._save_one(ReceivedEvent.receive(events[i]))
        self.recent.add([events[i].id for i in fresh.values()])
        return duplicate

    def _save_one(self, entry: ReceivedEvent) -> bool:
        try:
            self._save_all([entry])
        except IntegrityError:
            return False
        return True

    def _save_all(self, entries: list[ReceivedEvent]) -> None:
        """``save(*entries)`` in one transaction, without ``save``'s per-object protocol
        checks (a measurable cost at thousands of events a second)."""
        if not entries:
            return
        processing: ProcessingEvent[Any] = ProcessingEvent()
        for entry in entries:
            processing.events.extend(entry.collect_events())
        self._notify(self._record(processing))

    def get(self, stripe_event_id: str) -> StripeEvent | None:
        """The stored event with this id, or None."""
        try:
            entry: Any = self.repository.get(received_event_uuid(stripe_event_id))
        except AggregateNotFoundError:
            return None
        assert isinstance(entry, ReceivedEvent)
        return entry.stripe_event

    def ping(self) -> None:
        """Ask the store one cheap question; raises when it cannot answer."""
        self.recorder.max_notification_id()
