from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from adapters.group_commit import GroupCommitter


class Store:
    """Records each batch written; can be told to fail."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.failing = False
        self.gate = threading.Event()
        self.gate.set()

    def write(self, items: Sequence[int]) -> list[int]:
        self.gate.wait(5)
        if self.failing:
            raise OSError("disk on fire")
        self.batches.append(list(items))
        return [i * 10 for i in items]


def test_concurrent_submissions_share_batches_and_each_gets_its_own_result() -> None:
    store = Store()

    async def run() -> list[int]:
        committer = GroupCommitter(store.write, in_flight=1)
        store.gate.clear()  # hold the first batch so the others queue behind it
        first = asyncio.ensure_future(committer.submit(0))
        await asyncio.sleep(0.01)
        rest = [asyncio.ensure_future(committer.submit(i)) for i in range(1, 50)]
        await asyncio.sleep(0.01)
        store.gate.set()
        return [await first] + [await r for r in rest]

    results = asyncio.run(run())

    assert results == [i * 10 for i in range(50)]
    assert store.batches == [[0], list(range(1, 50))]


def test_a_failed_write_fails_every_waiter_of_that_batch_and_not_the_next() -> None:
    store = Store()

    async def run() -> tuple[list[BaseException | int], int]:
        committer = GroupCommitter(store.write)
        store.failing = True
        failed = await asyncio.gather(*(committer.submit(i) for i in range(5)),
                                      return_exceptions=True)
        store.failing = False
        return failed, await committer.submit(7)

    failed, later = asyncio.run(run())

    assert all(isinstance(f, OSError) for f in failed)
    assert later == 70


def test_batches_never_exceed_the_maximum_size() -> None:
    store = Store()

    async def run() -> None:
        committer = GroupCommitter(store.write, max_batch=8, in_flight=1)
        await asyncio.gather(*(committer.submit(i) for i in range(30)))

    asyncio.run(run())

    assert max(len(b) for b in store.batches) <= 8
    assert sorted(i for b in store.batches for i in b) == list(range(30))


def test_the_commit_callback_hears_of_every_batch() -> None:
    store, committed = Store(), []

    async def run() -> None:
        committer = GroupCommitter(store.write, on_commit=committed.append)
        await asyncio.gather(*(committer.submit(i) for i in range(10)))

    asyncio.run(run())

    assert sum(committed) == 10


@pytest.mark.parametrize("in_flight", [1, 2])
def test_every_item_is_written_exactly_once_whatever_the_concurrency(in_flight: int) -> None:
    store = Store()

    async def run() -> None:
        committer = GroupCommitter(store.write, max_batch=16, in_flight=in_flight)
        await asyncio.gather(*(committer.submit(i) for i in range(200)))

    asyncio.run(run())

    assert sorted(i for b in store.batches for i in b) == list(range(200))
