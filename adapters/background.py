"""A loop in a daemon thread of its own, until :meth:`Background.stop`."""

from __future__ import annotations

import threading
from typing import Self


class Background:
    """Runs :meth:`_run` in a daemon thread named ``name``; ``_stopping`` tells it to end."""

    def __init__(self, name: str) -> None:
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        raise NotImplementedError
