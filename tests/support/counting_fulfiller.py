"""A merchant fulfiller that counts its calls across processes:
``FULFILLER=tests.support.counting_fulfiller:ship`` with ``COUNTING_FULFILLER_LOG=/path``.

Each call appends one line, ``SESSION_ID PID IDEMPOTENCY_KEY STARTED ENDED`` (unix times),
when it returns (one ``write`` on a file opened for appending, so lines from several worker
processes never interleave). A worker killed in the middle of a call leaves no line.
``COUNTING_FULFILLER_SECONDS`` makes each call take that long (a warehouse that is slow
to answer widens any window in which two workers could both ship).

:func:`calls` counts the calls per session; :func:`shipments` counts what a warehouse that
keys its side effects on ``idempotency_key`` (as the README asks of a merchant's fulfiller)
would ship per session; :func:`overlaps` finds calls of two processes running at once.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from domain.ports import LineItem

LOG_SETTING = "COUNTING_FULFILLER_LOG"
DELAY_SETTING = "COUNTING_FULFILLER_SECONDS"


def ship(session_id: str, line_items: Sequence[LineItem], idempotency_key: str) -> list[str]:
    """Ship each line item, then record the call."""
    started = time.time()
    time.sleep(float(os.environ.get(DELAY_SETTING) or 0))
    line = f"{session_id} {os.getpid()} {idempotency_key} {started:.6f} {time.time():.6f}\n"
    descriptor = os.open(os.environ[LOG_SETTING], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, line.encode())
    finally:
        os.close(descriptor)
    return [f"shipped {item.quantity} x {item.description}" for item in line_items]


@dataclass(frozen=True)
class Call:
    session_id: str
    pid: int
    key: str
    started: float
    ended: float


def entries(log: Path) -> list[Call]:
    """Every call recorded, in the order they returned."""
    if not log.exists():
        return []
    found = []
    for line in log.read_text().splitlines():
        fields = line.split()
        if len(fields) == 5:
            found.append(Call(fields[0], int(fields[1]), fields[2], float(fields[3]),
                              float(fields[4])))
    return found


def calls(log: Path) -> Counter[str]:
    """How many times the fulfiller was called for each session."""
    return Counter(call.session_id for call in entries(log))


def shipments(log: Path) -> Counter[str]:
    """How many distinct idempotency keys each session was shipped under: what a merchant
    who keys its side effects on the key ships (1 per session, however many calls)."""
    return Counter(session for session, _ in {(c.session_id, c.key) for c in entries(log)})


def overlaps(log: Path) -> list[tuple[Call, Call]]:
    """Pairs of calls by two different processes that ran at the same time (two workers
    following at once would make them)."""
    ordered = sorted(entries(log), key=lambda c: c.started)
    found = []
    for i, call in enumerate(ordered):
        for later in ordered[i + 1:]:
            if later.started >= call.ended:
                break
            if later.pid != call.pid:
                found.append((call, later))
    return found
