"""Group commit: concurrent requests share one transaction, each answered after it commits.

Every store has a per-commit cost (an fsync, a table lock) that caps how many
single-event transactions a second it can take. Requests that arrive while a
batch is being written wait for the next batch, so under load each commit
carries many events and each request still gets its answer only once its own
event is durable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommitter(Generic[T, R]):
    """Feeds items to ``write`` (run in worker threads) in batches, ``in_flight`` at a time."""

    def __init__(
        self,
        write: Callable[[Sequence[T]], Sequence[R]],
        *,
        max_batch: int = 256,
        in_flight: int = 1,
        on_commit: Callable[[int], None] | None = None,
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._in_flight = in_flight
        self._on_commit = on_commit
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._writers = 0

    async def submit(self, item: T) -> R:
        """Write ``item`` in the next batch; return its result once committed."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._writers < self._in_flight:
            # One batch at a time by default: measured on PostgreSQL, a second batch in
            # flight only waits on the event table's lock, and doubles the p99.
            self._writers += 1
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                await self._commit(batch)
        finally:
            self._writers -= 1

    async def _commit(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await asyncio.to_thread(self._write, [item for item, _ in batch])
        except Exception as error:  # every waiter hears of the failure; none is lost silently
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():  # the client may have gone; the event is recorded anyway
                future.set_result(result)
        if self._on_commit is not None:
            self._on_commit(len(batch))
