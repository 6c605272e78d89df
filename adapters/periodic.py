"""A task run every N seconds in a thread of its own (scheduled reconciliation)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    """Runs ``task`` every ``every`` seconds until stopped; a failed run is logged and the
    next one comes on time (the task must be safe to repeat)."""

    def __init__(self, name: str, every: float, task: Callable[[], object]) -> None:
        self.name = name
        self.every = every
        self.task = task
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Periodic:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.wait(self.every):
            try:
                log.info("%s: %s", self.name, self.task())
            except Exception:
                log.exception("%s failed; trying again in %.0f s", self.name, self.every)
