"""A rebuild keeps the aggregates it records and works on them without copies: a batch
started again (an event parked) must not see what its failed attempt changed."""

from __future__ import annotations

from typing import Any

from eventsourcing.application import ProcessingEvent

from api.rebuild import in_memory
from domain.apps.processing import BatchProcessor, KeptAggregates
from domain.model.directory_entry import DirectoryEntry, directory_uuid

KEY = "ada@example.com"


class Filing(BatchProcessor):
    """Files each upstream session id under one key; fails on ``cs_bad`` after filing it."""

    name = "Filing"

    def policy(self, upstream_event: Any, processing: ProcessingEvent) -> None:
        found = self.current(directory_uuid(KEY), processing)
        entry = found if isinstance(found, DirectoryEntry) else DirectoryEntry.of(KEY)
        if entry.point(KEY, "session", upstream_event):
            processing.collect_events(entry)
        if upstream_event == "cs_bad":
            raise ValueError("cannot file this one")


def targets(app: BatchProcessor) -> list[str]:
    found = app.current(directory_uuid(KEY))
    assert isinstance(found, DirectoryEntry)
    return [target for _, target in found.targets]


def test_a_batch_started_again_forgets_what_its_failed_attempt_changed() -> None:
    app = in_memory(Filing)
    app.process_batch("Up", [(1, "cs_1")])
    assert isinstance(app.repository.cache, KeptAggregates)

    app.process_batch("Up", [(2, "cs_2"), (3, "cs_bad"), (4, "cs_4")])
    app.process_batch("Up", [(5, "cs_5")])

    kept = targets(app)
    app.repository.cache = None  # as the log replays
    assert kept == targets(app) == ["cs_1", "cs_2", "cs_4", "cs_5"]
    assert app.position("Up") == 5


def test_kept_aggregates_are_the_recorded_ones_and_a_miss_is_none() -> None:
    app = in_memory(Filing)
    assert app.current(directory_uuid(KEY)) is None

    app.process_batch("Up", [(1, "cs_1"), (2, "cs_2")])
    app.process_batch("Up", [(3, "cs_3")])

    assert app.current(directory_uuid(KEY)) is app.current(directory_uuid(KEY))  # no copies
    kept = targets(app)
    app.repository.cache = None
    assert kept == targets(app) == ["cs_1", "cs_2", "cs_3"]
