"""A merchant's own fulfiller, loaded by tests through ``FULFILLER=tests.support.merchant:ship``.

It remembers every call, refuses any line item whose product is named "Faulty ...", and
fails once for the sessions a test puts in :data:`FAIL_ONCE`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from domain.ports import LineItem

FAIL_ONCE: set[str] = set()
_lock = threading.Lock()
_calls: list[Call] = []


@dataclass(frozen=True)
class Call:
    """One call of the fulfiller."""

    session_id: str
    idempotency_key: str
    line_items: tuple[LineItem, ...]


class WarehouseRefused(Exception):
    """The merchant's warehouse would not ship."""


def ship(session_id: str, line_items: Sequence[LineItem], idempotency_key: str) -> list[str]:
    """Ship each line item, answering a tracking line per item."""
    with _lock:
        _calls.append(Call(session_id, idempotency_key, tuple(line_items)))
        fail_now = session_id in FAIL_ONCE
        FAIL_ONCE.discard(session_id)
    if fail_now:
        raise WarehouseRefused("the warehouse is closed for inventory")
    faulty = [item.description for item in line_items if item.description.startswith("Faulty")]
    if faulty:
        raise WarehouseRefused(f"cannot ship {', '.join(faulty)}")
    return [f"shipped {item.quantity} x {item.description}" for item in line_items]


def calls_for(session_id: str) -> list[Call]:
    """The calls made for one session, in order."""
    with _lock:
        return [call for call in _calls if call.session_id == session_id]
