"""Process applications that follow another application's log in batches.

eventsourcing's own followers record one transaction per upstream event; these
record a whole batch of upstream events in one transaction with the tracking
position of its last event, which is what lets the ledger keep up with group-
committed webhooks. Exactly-once still holds: the tracking record and the new
events commit together, or neither does.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

from eventsourcing.application import Application, ProcessingEvent, Tracking
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, ProcessRecorder

from domain.ports import BulkEventReader
from domain.transcodings import TRANSCODINGS


class BatchProcessing(ProcessingEvent[Any]):
    """The outcome of one batch, and what was read ahead for it."""

    def __init__(self, tracking: Tracking | None = None) -> None:
        super().__init__(tracking)
        self.prefetched: dict[Any, Aggregate | None] = {}


class BatchProcessor(Application):
    """An application whose new events are decided by the events of an upstream log."""

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in TRANSCODINGS:
            transcoder.register(transcoding)

    def construct_recorder(self) -> ProcessRecorder:
        return self.factory.process_recorder()

    def position(self, upstream: str) -> int:
        """The last upstream notification id this application has processed."""
        assert isinstance(self.recorder, ProcessRecorder)
        return self.recorder.max_tracking_id(upstream) or 0

    def process_batch(self, upstream: str, batch: Sequence[tuple[int, Any]]) -> int:
        """Apply the policy to each (notification id, upstream event) and record the
        outcome atomically with the position of the last one. Answers how many
        new events were recorded."""
        if not batch:
            return 0
        processing = BatchProcessing(tracking=Tracking(upstream, batch[-1][0]))
        self.prefetch([event for _, event in batch], processing)
        for _, upstream_event in batch:
            self.policy(upstream_event, processing)
        recordings = self._record(processing)
        self._notify(recordings)
        return len(processing.events)

    def prefetch(self, upstream_events: Sequence[Any], processing: BatchProcessing) -> None:
        """Load what the batch will need before the policy runs (optional)."""

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

    @abstractmethod
    def policy(self, upstream_event: Any, processing: ProcessingEvent) -> None:
        """Decide what an upstream event means here; collect new events on ``processing``."""

    @staticmethod
    def pending(processing: ProcessingEvent, aggregate_id: Any) -> Aggregate | None:
        """An aggregate already changed earlier in this batch, if any."""
        found = processing.aggregates.get(aggregate_id)
        return found if isinstance(found, Aggregate) else None
