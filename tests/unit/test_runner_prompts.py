"""A runner woken by a prompt reads only the logs that grew; its poll reads them all, and
so does the round after a failure. With a linger, what a few prompts announce shares one
batch."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from adapters.runner import Follower, Runner
from domain.apps.processing import BatchProcessor

MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


class Note(Aggregate):
    def __init__(self, text: str) -> None:
        self.text = text


class Notes(Application):
    """An upstream log."""

    def write(self, text: str) -> None:
        self.save(Note(text))


class Reader(BatchProcessor):
    """Follows two logs and remembers what it read; fails once when told to."""

    name = "Reader"

    def __init__(self) -> None:
        super().__init__(env=MEMORY)
        self.read: list[str] = []
        self.batches: list[int] = []
        self.fail_once = False

    def process_batch(self, upstream: str, batch: Sequence[tuple[int, Any]]) -> int:
        if self.fail_once:
            self.fail_once = False
            raise RuntimeError("the store hiccuped")
        self.read += [f"{upstream}:{event.text}" for _, event in batch]
        if batch:
            self.batches.append(len(batch))
        return super().process_batch(upstream, [])


def wait_for(condition: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def wired(request: pytest.FixtureRequest) -> Iterator[tuple[Notes, Notes, Reader, list[Follower],
                                                           Runner]]:
    poll = request.param
    first, second = type("First", (Notes,), {})(env=MEMORY), type("Second", (Notes,), {})(env=MEMORY)
    reader = Reader()
    followers = [Follower(first, reader), Follower(second, reader)]
    followers[1].wake = followers[0].wake
    runner = Runner(followers, poll_interval=poll)
    runner.start()
    wait_for(lambda: not any(f.prompted for f in followers))  # the first round reads both
    yield first, second, reader, followers, runner
    runner.stop()


@pytest.mark.parametrize("wired", [60.0], indirect=True)
def test_a_prompt_reads_only_the_log_that_grew(wired: Any) -> None:
    first, second, reader, followers, _ = wired
    second.write("unannounced")  # another process wrote it; no prompt here

    first.write("a")
    followers[0].prompt()
    wait_for(lambda: reader.read == ["First:a"])
    time.sleep(0.2)
    assert reader.read == ["First:a"]  # the second log waits for its prompt (or the poll)

    followers[1].prompt()
    wait_for(lambda: reader.read == ["First:a", "Second:unannounced"])


@pytest.mark.parametrize("wired", [0.3], indirect=True)
def test_the_poll_reads_every_log(wired: Any) -> None:
    _, second, reader, _, _ = wired
    second.write("unannounced")
    wait_for(lambda: reader.read == ["Second:unannounced"])


@pytest.mark.parametrize("wired", [3.0], indirect=True)
def test_after_a_failure_every_log_is_read_again(wired: Any) -> None:
    first, second, reader, followers, runner = wired
    reader.fail_once = True
    second.write("unannounced")
    first.write("a")
    followers[0].prompt()
    wait_for(lambda: runner.last_error is not None)
    failed_at = time.monotonic()

    runner.wake.set()  # a prompt during the pause (3 s): then every log, not the prompted
    wait_for(lambda: sorted(reader.read) == ["First:a", "Second:unannounced"])
    assert time.monotonic() - failed_at < 4.5  # not only on the next poll (at 6 s)


LINGER = 1.0  # seconds: long beside three writes 50 ms apart, even on a loaded machine


@pytest.fixture
def lingering() -> Iterator[tuple[Notes, Reader, Follower, Runner]]:
    notes, reader = type("First", (Notes,), {})(env=MEMORY), Reader()
    follower = Follower(notes, reader)
    runner = Runner([follower], poll_interval=60.0, linger=LINGER)
    runner.start()
    wait_for(lambda: not follower.prompted)
    yield notes, reader, follower, runner
    runner.stop()


def test_events_announced_while_a_runner_lingers_share_one_batch(lingering: Any) -> None:
    notes, reader, follower, _ = lingering
    first_prompt = time.monotonic()
    for text in ("a", "b", "c"):  # three commits, each announced, within the linger
        notes.write(text)
        follower.prompt()
        time.sleep(0.05)

    wait_for(lambda: reader.read == ["First:a", "First:b", "First:c"])
    assert reader.batches == [3]
    assert time.monotonic() - first_prompt >= LINGER


def test_a_runner_stops_at_once_while_it_lingers(lingering: Any) -> None:
    notes, reader, follower, runner = lingering
    notes.write("a")
    follower.prompt()
    time.sleep(0.05)  # lingering now

    asked = time.monotonic()
    runner.stop(timeout=2.0)

    assert not runner.running
    assert time.monotonic() - asked < LINGER / 2  # not after the linger
    assert reader.read == []
