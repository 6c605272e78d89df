"""The failure board a Support follower keeps between batches: what it records is what any
other process reads back from the store, whatever fails in between."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError

from adapters.stores import Store
from domain.apps.processing import Unreadable
from domain.apps.support import EVENT_UNPROCESSABLE, SNAPSHOT_EVERY, Support
from domain.model.failure_board import BOARD_ID, FailureBoard
from domain.model.parked_event import ParkedEvent


def parked(stripe_event_id: str) -> Any:
    record = ParkedEvent.of(stripe_event_id)
    record.park(stripe_event_id, "checkout.session.completed", "ValueError: no")
    return record.collect_events()[-1]


def batch(first: int, count: int) -> list[tuple[int, Any]]:
    return [(n, parked(f"evt_{n}")) for n in range(first, first + count)]


def open_ids(support: Support) -> list[str]:
    return sorted(case.id for case in support.failures() if case.kind == EVENT_UNPROCESSABLE)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return Store.from_url(f"sqlite:///{tmp_path}/ledger.sqlite3").env_for("Support")


def test_a_batch_started_again_after_a_poison_event_records_what_it_keeps(
        env: dict[str, str]) -> None:
    """The first attempt opens a case on the kept board, then meets an event it cannot
    read: the second attempt must open it again, or the store would never hold it."""
    worker = Support(env=env)
    worker.process_batch("Ledger", batch(1, 1))  # the board is kept from here on
    poison = Unreadable(uuid4(), 1, "cannot be read")

    worker.process_batch("Ledger", [*batch(2, 1), (3, poison)])
    worker.process_batch("Ledger", batch(4, 1))

    assert open_ids(Support(env=env)) == ["evt_1", "evt_2", "evt_4"]


def test_a_board_another_worker_wrote_since_is_read_again(env: dict[str, str]) -> None:
    """A standby took over for a batch: the first worker's kept board is behind, its next
    write conflicts, and the batch tried again starts from the board as recorded."""
    first, standby = Support(env=env), Support(env=env)
    first.process_batch("Ledger", batch(1, 1))
    standby.process_batch("Ledger", batch(2, 1))

    with pytest.raises(IntegrityError):
        first.process_batch("Ledger", batch(3, 1))
    first.process_batch("Ledger", batch(3, 1))  # as its runner does after a conflict

    assert open_ids(Support(env=env)) == ["evt_1", "evt_2", "evt_3"]


def test_the_board_is_snapshotted_as_recorded_each_time_it_passes_a_multiple(
        env: dict[str, str]) -> None:
    assert SNAPSHOT_EVERY == 100
    worker = Support(env=env)
    for first in range(1, 271, 30):  # 9 batches of 30 cases: board versions 31, 61 ... 271
        worker.process_batch("Ledger", batch(first, 30))

    assert worker.snapshots is not None
    # Taken at the end of the batches that passed 100 and 200, of the board as it stood.
    assert [s.originator_version for s in worker.snapshots.get(BOARD_ID)] == [121, 211]
    replayed: Any = None
    for event in worker.events.get(BOARD_ID):
        replayed = event.mutate(replayed)
    assert isinstance(replayed, FailureBoard)
    reader = Support(env=env)  # reads the last snapshot, then the events after it
    assert reader.failures() == replayed.open_cases()
    assert len(reader.failures()) == 270
