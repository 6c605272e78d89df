"""Upstream events read back once per process, for every follower of their log."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any


class Decoded:
    """The events of one upstream log already read back in this process, by notification
    id, shared by its followers: the ledger's seven followers would each decode the same
    event again (decoding was a third of the worker's CPU in the ingestion bench; sharing
    saved 3-7% of the worker's CPU in ``benchmarks/pipeline_cpu.py``). Events are
    immutable, so one object serves them all; the first read are the first forgotten."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._events: OrderedDict[int, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, notification_id: int) -> Any | None:
        with self._lock:
            return self._events.get(notification_id)

    def put(self, notification_id: int, event: Any) -> None:
        with self._lock:
            self._events[notification_id] = event
            if len(self._events) > self.size:
                self._events.popitem(last=False)
