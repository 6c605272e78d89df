"""A tiny timer thread: run callables at a given time, one at a time, in order.

Webhook deliveries (with their retries and delays) and bank-debit settlements are jobs here, so one
``flush`` can wait for every pending delivery and nothing needs an event loop.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

Job = Callable[[], None]


class Scheduler:
    """Runs jobs on one daemon thread; ``kind`` lets ``wait_idle`` wait for one sort of job."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, str, Job]] = []
        self._counter = itertools.count()
        self._cond = threading.Condition()
        self._running: dict[str, int] = {}
        self._thread: threading.Thread | None = None
        self._stopping = False

    def start(self) -> None:
        """Start the worker thread (idempotent)."""
        with self._cond:
            if self._thread and self._thread.is_alive():
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="emulator-scheduler",
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the job in progress; jobs not yet due are dropped."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread and thread is not threading.current_thread():
            thread.join(timeout)

    def call_later(self, delay: float, job: Job, *, kind: str = "job") -> None:
        """Run ``job`` after ``delay`` seconds."""
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + max(delay, 0.0),
                                        next(self._counter), kind, job))
            self._cond.notify_all()

    def clear(self) -> None:
        """Forget every job not yet started."""
        with self._cond:
            self._heap.clear()
            self._cond.notify_all()

    def pending(self, kind: str) -> int:
        """Jobs of ``kind`` waiting or running."""
        with self._cond:
            return sum(1 for _, _, k, _ in self._heap if k == kind) + self._running.get(kind, 0)

    def wait_idle(self, kind: str, timeout: float) -> bool:
        """Block until no job of ``kind`` is waiting or running; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.pending(kind):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
            return True

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (not self._heap
                                              or self._heap[0][0] > time.monotonic()):
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(wait)
                if self._stopping:
                    return
                _, _, kind, job = heapq.heappop(self._heap)
                self._running[kind] = self._running.get(kind, 0) + 1
            try:
                job()
            except Exception:  # a failing job must not kill the thread that runs all the others
                log.exception("emulator job failed")
            finally:
                with self._cond:
                    self._running[kind] -= 1
                    self._cond.notify_all()
