"""Process applications that follow another application's log in batches.

eventsourcing's own followers record one transaction per upstream event; these record a
whole batch of upstream events in one transaction with the tracking position of its last
event, which is what lets the ledger keep up with group-committed webhooks. Exactly-once
still holds: the tracking record and the new events commit together, or neither does.

One event that cannot be processed must not stop the ones after it. When the policy
raises for an event (anything but an outage, which is retried), the batch is started
again without it, and the event is handed to :meth:`BatchProcessor.park`, which records
why in this application's own log. Nothing the failed attempt changed is kept: every
aggregate is read again for the new attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from copy import deepcopy
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    Cache,
    LRUCache,
    ProcessingEvent,
    Repository,
    Tracking,
)
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, PersistenceError, ProcessRecorder
from eventsourcing.utils import strtobool

from domain.ports import (
    BulkEventReader,
    NotifierUnavailable,
    PositionReader,
    StripeUnavailable,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

class RetryLater(Exception):
    """An event that is not due yet: the batch is tried again later, like an outage."""


#: Errors that say something every event needs is down (or not due): retried, never parked.
OUTAGES = (PersistenceError, StripeUnavailable, NotifierUnavailable, RetryLater)


@dataclass(frozen=True)
class Unreadable:
    """An upstream record that could not be read back as an event (handed to the policy
    in its place, so it is parked like any event that cannot be applied)."""

    originator_id: UUID
    originator_version: int
    error: str
    stripe_event_id: str | None = None
    type: str | None = None


class KeptAggregates(Cache[Any, Any]):
    """A repository cache that holds every aggregate its application recorded, since its
    store was empty (a rebuild's, see ``api.rebuild``): handed out without copies, never
    fast-forwarded, and an aggregate it does not hold was never recorded."""


class BatchProcessing(ProcessingEvent[Any]):
    """The outcome of one batch, and what was read ahead for it."""

    def __init__(self, tracking: Tracking | None = None) -> None:
        super().__init__(tracking)
        self.prefetched: dict[Any, Aggregate | None] = {}

    def collect_events(self, *objs: Any, **kwargs: Any) -> None:
        """The library's, with a shortcut for the usual object, an :class:`Aggregate`
        (not an event): the library tells the two apart with runtime protocol checks,
        measured as a third of a projection's rebuild on Python 3.11."""
        for obj in objs:
            if isinstance(obj, Aggregate) and not hasattr(obj, "originator_id"):
                self.events.extend(obj.collect_events())
                self.aggregates[obj.id] = obj
            else:
                super().collect_events(obj)
        self.saved_kwargs.update(kwargs)


class BatchProcessor(Application):
    """An application whose new events are decided by the events of an upstream log."""

    def construct_repository(self) -> Repository[Any]:
        """eventsourcing's repository, built from the same settings, replaying with
        :func:`replay`."""
        maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return Replaying(
            event_store=self.events, snapshot_store=self.snapshots,
            cache_maxsize=int(maxsize) if maxsize else None,
            fastforward=strtobool(self.env.get(self.AGGREGATE_CACHE_FASTFORWARD, "y")),
            fastforward_skipping=strtobool(
                self.env.get(self.AGGREGATE_CACHE_FASTFORWARD_SKIPPING, "n")),
            deepcopy_from_cache=strtobool(self.env.get(self.DEEPCOPY_FROM_AGGREGATE_CACHE, "y")))

    #: The upstream event classes (and their subclasses) the policy acts on; the runner
    #: reads only those from the upstream log (None: every event).
    interests: tuple[type, ...] | None = None
    #: Told the topics of whatever this application records, whoever records it (a
    #: followed batch, a command, a scheduled renewal): its followers' prompt.
    on_recorded: Callable[[set[str]], None] | None = None

    def _notify(self, recordings: list[Any]) -> None:
        super()._notify(recordings)
        if recordings and self.on_recorded is not None:
            self.on_recorded({recording.notification.topic for recording in recordings})

    def construct_recorder(self) -> ProcessRecorder:
        return self.factory.process_recorder()

    def position(self, upstream: str) -> int:
        """The last upstream notification id this application has processed."""
        assert isinstance(self.recorder, ProcessRecorder)
        return self.recorder.max_tracking_id(upstream) or 0

    def positions(self, upstreams: Sequence[str]) -> dict[str, int]:
        """:meth:`position` in each of these upstream logs: one query when the recorder
        reads them all at once (:class:`~domain.ports.PositionReader`), else one each."""
        if isinstance(self.recorder, PositionReader):
            found = self.recorder.tracking_positions()
            return {name: found.get(name, 0) for name in upstreams}
        return {name: self.position(name) for name in upstreams}

    def process_batch(self, upstream: str, batch: Sequence[tuple[int, Any]]) -> int:
        """Apply the policy to each (notification id, upstream event) and record the
        outcome atomically with the position of the last one, parking the events that
        cannot be applied. Answers how many new events were recorded."""
        if not batch:
            return 0
        parked: dict[int, Exception] = {}
        while True:
            processing = BatchProcessing(tracking=Tracking(upstream, batch[-1][0]))
            self.prefetch([event for n, event in batch if n not in parked], processing)
            failed = self._apply(batch, parked, processing)
            if failed is None:
                break
            parked[failed[0]] = failed[1]
            self._forget_attempt()
        for notification_id, event in batch:
            if notification_id in parked:
                self.park(upstream, event, parked[notification_id], processing)
        self._notify(self._record(processing))
        return len(processing.events)

    def _apply(self, batch: Sequence[tuple[int, Any]], parked: dict[int, Exception],
               processing: BatchProcessing) -> tuple[int, Exception] | None:
        """Run the policy over the batch; the first event it fails on, if any."""
        for notification_id, event in batch:
            if notification_id in parked:
                continue
            try:
                if isinstance(event, Unreadable):
                    raise ValueError(f"unreadable stored event: {event.error}")
                self.policy(event, processing)
            except OUTAGES:
                raise
            except Exception as error:
                log.exception("%s cannot process %s #%d; parking it", self.name,
                              type(event).__name__, notification_id)
                return notification_id, error
        return None

    def _forget_attempt(self) -> None:
        """Before a batch is started again: nothing the failed attempt changed is kept.
        Aggregates are read as copies (or replayed), so there is nothing to do, unless this
        application's cache hands out its own objects (a rebuild's, see ``api.rebuild``):
        then that cache is dropped, and aggregates are replayed from the store."""
        repository = self.repository
        cache = repository.cache
        if cache is not None and not repository.deepcopy_from_cache:
            repository.cache = LRUCache(cache.maxsize) if isinstance(cache, LRUCache) else Cache()

    def park(self, upstream: str, event: Any, error: Exception,
             processing: ProcessingEvent) -> None:
        """Record that ``event`` could not be processed (override); by default it is only
        logged (above) and skipped."""

    def prefetch(self, upstream_events: Sequence[Any], processing: BatchProcessing) -> None:
        """Load what the batch will need before the policy runs (optional)."""

    def read_ahead(self, aggregate_ids: Iterable[UUID], processing: BatchProcessing) -> None:
        """For :meth:`prefetch`: the aggregates this process does not keep, in one query
        (a batch's are mostly new), kept from now on as recorded. Kept ones are brought up
        to date as they are asked for: replaying a long one in every batch would cost
        more than reading the events it is behind by."""
        kept = self.repository.cache
        unkept = sorted((i for i in set(aggregate_ids) if kept is None or i not in kept.cache),
                        key=str)
        found = self.load_many(unkept) if unkept else None
        if found is None:
            return
        processing.prefetched = found
        if kept is not None:
            for aggregate_id, aggregate in found.items():
                if aggregate is not None:
                    kept.put(aggregate_id, deepcopy(aggregate))  # the batch changes its own

    def load_many(self, aggregate_ids: Sequence[Any]) -> dict[Any, Aggregate | None] | None:
        """The aggregates with these ids (None for those never recorded), read in one
        query when the recorder can; None when it cannot (then load one by one)."""
        if not isinstance(self.recorder, BulkEventReader):
            return None
        stored = self.recorder.select_events_of_many(list(aggregate_ids))
        found: dict[Any, Aggregate | None] = dict.fromkeys(aggregate_ids)
        for aggregate_id, records in stored.items():
            aggregate = None
            for record in records:
                event: Any = self.mapper.to_domain_event(record)
                aggregate = event.mutate(aggregate)
            found[aggregate_id] = aggregate
        return found

    def policy(self, upstream_event: Any, processing: ProcessingEvent) -> None:
        """Decide what an upstream event means here; collect new events on ``processing``.
        (Applications that override :meth:`process_batch` whole need not define it.)"""
        raise NotImplementedError

    def current(self, aggregate_id: UUID, processing: ProcessingEvent | None = None
                ) -> Aggregate | None:
        """The aggregate as changed earlier in this batch, read ahead, or recorded; None
        when nothing has been recorded for it."""
        if processing is not None:
            pending = processing.aggregates.get(aggregate_id)
            if isinstance(pending, Aggregate):
                return pending
            prefetched = getattr(processing, "prefetched", {})
            if aggregate_id in prefetched:
                return prefetched[aggregate_id]
        kept = self.repository.cache
        if isinstance(kept, KeptAggregates):
            held = kept.cache.get(aggregate_id)
            return held if isinstance(held, Aggregate) else None
        try:
            found: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Aggregate) else None


class Replaying(Repository[Any]):
    """eventsourcing's repository, replaying with :func:`replay`."""

    def get(self, aggregate_id: Any, *, version: int | None = None,
            projector_func: Any = None, **options: Any) -> Any:
        return super().get(aggregate_id, version=version,
                           projector_func=projector_func or replay, **options)


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """Apply each event in turn: eventsourcing's ``project_aggregate`` without its check
    that each event is a ``CanMutateProtocol`` (a runtime protocol check, measured at a
    sixth of the worker's CPU); the store holds only this service's events."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def retrying(change: Callable[[], T], attempts: int = 5) -> T:
    """Run a load-decide-save step again when a concurrent writer got there first."""
    for _ in range(attempts - 1):
        try:
            return change()
        except IntegrityError:
            continue
    return change()
