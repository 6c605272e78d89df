"""Appends that commit concurrently on PostgreSQL, and followers that still see every event once.

The recorder (``adapters.postgres_store``) takes no table lock: writers commit in any order,
and a reader returns rows only up to the first one whose transaction is not older than the
oldest transaction still running. These tests write from several threads and processes,
with commits deliberately out of id order, while a follower reads throughout.
"""

from __future__ import annotations

import itertools
import multiprocessing
import random
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import Environment

from adapters.postgres_store import ApplicationRecorder, Factory
from adapters.stores import Store


def _env(url: str, name: str, factory: str = "adapters.postgres_store:Factory",
         create: bool = True) -> Environment:
    env = Store.from_url(url).env_for(name, create_table=create)
    env["PERSISTENCE_MODULE"] = factory
    return Environment(name, env)


def _recorder(url: str, name: str, create: bool = True) -> ApplicationRecorder:
    recorder = Factory(_env(url, name, create=create)).application_recorder()
    assert isinstance(recorder, ApplicationRecorder)
    return recorder


def _events(count: int) -> list[StoredEvent]:
    return [StoredEvent(originator_id=uuid.uuid4(), originator_version=1, topic="t:E",
                        state=b"{}") for _ in range(count)]


class DawdlingRecorder(ApplicationRecorder):
    """Waits between reserving its ids and inserting them (so commits come out of id order),
    or, for a chosen transaction, until told to go on."""

    delay = 0.02
    hold: threading.Event | None = None

    def _insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
                       ) -> None:
        hold = self.__dict__.pop("hold", None)
        if hold is not None:
            self.__dict__["held"].set()
            hold.wait(30)
        elif self.delay:
            time.sleep(random.uniform(0, self.delay))
        super()._insert_events(curs, stored_events, **kwargs)


def _dawdling(url: str, name: str) -> DawdlingRecorder:
    recorder = _recorder(url, name, create=False)  # the test made the table
    recorder.__class__ = DawdlingRecorder
    return recorder  # type: ignore[return-value]


class Follower:
    """Reads after its position, as ``adapters.runner.Follower`` does, and keeps every id."""

    def __init__(self, recorder: ApplicationRecorder, limit: int = 7) -> None:
        self.recorder = recorder
        self.limit = limit
        self.position = 0
        self.seen: list[uuid.UUID] = []
        self.ids: list[int] = []

    def read(self) -> int:
        page = self.recorder.select_notifications(start=self.position, limit=self.limit,
                                                  inclusive_of_start=False)
        for notification in page:
            self.seen.append(notification.originator_id)  # type: ignore[arg-type]
            self.ids.append(notification.id)
        if page:
            self.position = page[-1].id
        return len(page)

    def drain(self) -> None:
        while self.read():
            pass


@pytest.fixture
def table() -> str:
    return f"Conc{uuid.uuid4().hex[:10]}"


def _assert_each_once(follower: Follower, written: set[uuid.UUID]) -> None:
    assert len(follower.seen) == len(set(follower.seen)), "an event was delivered twice"
    assert set(follower.seen) == written, (
        f"missed {len(written - set(follower.seen))} of {len(written)}")
    assert follower.ids == sorted(follower.ids)


def test_writers_in_threads_committing_out_of_order_are_each_seen_once(
    postgres_url: str, table: str,
) -> None:
    _recorder(postgres_url, table)  # creates the table
    written: set[uuid.UUID] = set()
    committed: list[tuple[float, int]] = []  # (when insert_events returned, first id)
    lock = threading.Lock()
    done = threading.Event()

    def write(batches: int) -> None:
        recorder = _dawdling(postgres_url, table)
        for _ in range(batches):
            events = _events(random.randint(1, 5))
            ids = recorder.insert_events(events)
            assert ids is not None
            with lock:
                written.update(e.originator_id for e in events)  # type: ignore[misc]
                committed.append((time.monotonic(), ids[0]))

    follower = Follower(_recorder(postgres_url, table))

    def follow() -> None:
        while not done.is_set():
            follower.read()
            time.sleep(0.001)

    writers = [threading.Thread(target=write, args=(40,)) for _ in range(4)]
    reader = threading.Thread(target=follow)
    reader.start()
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    done.set()
    reader.join()
    follower.drain()

    _assert_each_once(follower, written)
    # The hazard was there: some transaction committed before one holding lower ids.
    by_time = [first for _, first in sorted(committed)]
    assert any(later < earlier for earlier, later in itertools.pairwise(by_time))


def _write_from_process(url: str, table: str, batches: int, out: Any) -> None:
    recorder = _dawdling(url, table)
    written: list[str] = []
    for _ in range(batches):
        events = _events(random.randint(1, 8))
        recorder.insert_events(events)
        written.extend(str(e.originator_id) for e in events)
    out.put(written)


def test_writers_in_processes_are_each_seen_once(postgres_url: str, table: str) -> None:
    _recorder(postgres_url, table)
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    processes = [context.Process(target=_write_from_process, args=(postgres_url, table, 60, out))
                 for _ in range(3)]
    for process in processes:
        process.start()
    follower = Follower(_recorder(postgres_url, table), limit=11)
    written: set[uuid.UUID] = set()
    deadline = time.monotonic() + 120
    while len([p for p in processes if p.exitcode is None]) and time.monotonic() < deadline:
        follower.read()
        while not out.empty():
            written.update(uuid.UUID(i) for i in out.get())
    for process in processes:
        process.join(10)
        assert process.exitcode == 0
    while not out.empty():
        written.update(uuid.UUID(i) for i in out.get())
    follower.drain()
    assert len(written) > 60 * 3
    _assert_each_once(follower, written)


@pytest.fixture
def held(postgres_url: str, table: str) -> Iterator[tuple[DawdlingRecorder, threading.Event,
                                                          list[StoredEvent], threading.Thread]]:
    """A writer that reserved its ids and is stalled before its commit (until released)."""
    _recorder(postgres_url, table)
    recorder = _dawdling(postgres_url, table)
    release, reserved = threading.Event(), threading.Event()
    recorder.__dict__.update(hold=release, held=reserved)
    events = _events(3)
    writer = threading.Thread(target=recorder.insert_events, args=(events,))
    writer.start()
    assert reserved.wait(10)
    try:
        yield recorder, release, events, writer
    finally:
        release.set()
        writer.join(10)


def test_a_stalled_writer_holds_later_commits_back_and_nothing_is_skipped(
    postgres_url: str, table: str, held: Any,
) -> None:
    _, release, stalled, writer = held
    early_recorder = _recorder(postgres_url, table)
    follower = Follower(_recorder(postgres_url, table))
    later = _events(4)
    early_recorder.insert_events(later)  # commits now, with ids above the stalled writer's

    follower.drain()
    assert follower.seen == [], "a later row was delivered past a running transaction's ids"

    release.set()
    writer.join(10)
    follower.drain()
    _assert_each_once(follower, {e.originator_id for e in stalled + later})  # type: ignore[misc]
    assert follower.seen[:3] == [e.originator_id for e in stalled]


def test_a_long_transaction_holds_the_watermark_back_until_it_ends(
    postgres_url: str, table: str,
) -> None:
    recorder = _recorder(postgres_url, table)
    first = _events(2)
    recorder.insert_events(first)
    follower = Follower(_recorder(postgres_url, table))
    with psycopg.connect(postgres_url) as long_running:  # an unrelated transaction with an id
        long_running.execute("SELECT pg_current_xact_id()")
        later = _events(3)
        recorder.insert_events(later)
        follower.drain()
        assert follower.seen == [e.originator_id for e in first]
        time.sleep(0.2)
        follower.drain()
        assert follower.seen == [e.originator_id for e in first]  # still held back
        long_running.rollback()
    follower.drain()
    _assert_each_once(follower, {e.originator_id for e in first + later})  # type: ignore[misc]


def test_a_failed_append_leaves_a_gap_that_followers_pass(postgres_url: str, table: str) -> None:
    recorder = _recorder(postgres_url, table)
    first = _events(2)
    recorder.insert_events(first)
    with pytest.raises(IntegrityError):
        recorder.insert_events([*_events(2), first[0]])  # a duplicate: ids taken, then rolled back
    after = _events(2)
    recorder.insert_events(after)
    follower = Follower(_recorder(postgres_url, table))
    follower.drain()
    _assert_each_once(follower, {e.originator_id for e in first + after})  # type: ignore[misc]
    assert follower.ids[2] - follower.ids[1] > 1  # the gap


def test_a_table_made_by_the_librarys_recorder_keeps_working(
    postgres_url: str, table: str,
) -> None:
    old = PostgresFactory(_env(postgres_url, table, "eventsourcing.postgres")
                          ).application_recorder()
    before = _events(3)
    old.insert_events(before)

    recorder = _recorder(postgres_url, table)  # adds tx_id (0 for the old rows)
    after = _events(2)
    new_ids = recorder.insert_events(after)
    assert new_ids is not None and min(new_ids) > 3
    follower = Follower(_recorder(postgres_url, table))
    follower.drain()
    _assert_each_once(follower, {e.originator_id for e in before + after})  # type: ignore[misc]
    assert follower.seen[:3] == [e.originator_id for e in before]
    _recorder(postgres_url, table)  # creating it again changes nothing
