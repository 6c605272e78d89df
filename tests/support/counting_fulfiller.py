"""A merchant fulfiller that counts its calls across processes:
``FULFILLER=tests.support.counting_fulfiller:ship`` with ``COUNTING_FULFILLER_LOG=/path``.

Each call appends one line, ``SESSION_ID PID``, to that file (one ``write`` on a file
opened for appending, so lines from several worker processes never interleave).
``COUNTING_FULFILLER_SECONDS`` makes each call take that long (a warehouse that is slow
to answer widens any window in which two workers could both ship).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from domain.ports import LineItem

LOG_SETTING = "COUNTING_FULFILLER_LOG"
DELAY_SETTING = "COUNTING_FULFILLER_SECONDS"


def ship(session_id: str, line_items: Sequence[LineItem], idempotency_key: str) -> list[str]:
    """Record the call, then ship each line item."""
    line = f"{session_id} {os.getpid()}\n".encode()
    descriptor = os.open(os.environ[LOG_SETTING], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, line)
    finally:
        os.close(descriptor)
    time.sleep(float(os.environ.get(DELAY_SETTING) or 0))
    return [f"shipped {item.quantity} x {item.description}" for item in line_items]


def calls(log: Path) -> Counter[str]:
    """How many times the fulfiller was called for each session."""
    if not log.exists():
        return Counter()
    return Counter(line.split()[0] for line in log.read_text().splitlines() if line.strip())

