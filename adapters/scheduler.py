"""The worker's scheduled work: renewals and dunning as they become due, reconciliation.

It runs beside the followers, under the same lease, and answers to the same interface
as a :class:`~adapters.runner.Runner` (start, stop, guard), so only the process that
follows the store schedules. Taking a due step twice is harmless (every step is
idempotent), so a lease that changes hands in the middle costs nothing but time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from adapters.runner import NotLeased
from domain.ports import StripeUnavailable

log = logging.getLogger(__name__)


class Scheduler:
    """Calls ``task`` every ``every`` seconds in a thread of its own (the task must be safe
    to repeat); a failed run is logged and the next one comes on time."""

    def __init__(self, name: str, task: Callable[[], object], every: float = 1.0) -> None:
        self.name = name
        self.task = task
        self.every = every
        self.last_error: str | None = None
        self.guard: Callable[[], None] | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def set_guard(self, guard: Callable[[], None] | None) -> None:
        self.guard = guard

    def start(self) -> None:
        self._stopping.clear()
        thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        thread.start()
        self._thread = thread  # only a started thread: stop() may join it from elsewhere

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stopping.wait(self.every):
            try:
                if self.guard is not None:
                    self.guard()
                ran = self.task()
            except NotLeased as lost:
                self.last_error = str(lost)
                return
            except StripeUnavailable as outage:
                self.last_error = str(outage)
                log.warning("%s paused: %s", self.name, outage)
            except Exception as error:  # the store may come back; try again next tick
                self.last_error = f"{type(error).__name__}: {error}"
                log.exception("%s failed", self.name)
            else:
                self.last_error = None
                if ran:
                    log.info("%s: %s", self.name, ran)
