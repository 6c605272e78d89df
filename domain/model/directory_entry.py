"""The DirectoryEntry aggregate: what one search key (a ``pi_`` id, an email, a ``sub_``
id) points at, as the service learnt it.

One aggregate per key, so finding what a key names is one read, however many objects
the service knows. Keys are normalised (emails lower-cased) by :func:`directory_key`.

A key may name thousands of objects (one email, many guest checkouts), so filing one more
costs the same however many there are: the targets are kept in a list and a set, and a
copy (the repository cache hands out copies) copies those two, not every pair in them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.model.base import Record

SESSION, CUSTOMER, CHARGE = "session", "customer", "charge"


def directory_key(raw: str) -> str:
    """The key a search term is filed under (emails in lower case)."""
    raw = raw.strip()
    return raw.lower() if "@" in raw else raw


@lru_cache(maxsize=16_384)  # the directory asks for the same keys again and again
def directory_uuid(key: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"checkout-ledger:directory:{directory_key(key)}")


class DirectoryEntry(Record):
    """The objects one key points at, in the order they were learnt."""

    class Pointed(Record.Event):
        """The key was seen on an object of ``kind`` (session, customer, charge...)."""

        key: str
        kind: str
        target: str

        def apply(self, entry: DirectoryEntry) -> None:
            entry.key = self.key
            entry._targets.append((self.kind, self.target))
            entry._filed.add((self.kind, self.target))

    def start(self) -> None:
        self.key = ""
        self._targets: list[tuple[str, str]] = []
        self._filed: set[tuple[str, str]] = set()

    @property
    def targets(self) -> tuple[tuple[str, str], ...]:
        """``(kind, id)`` of every object filed under the key, oldest first."""
        return tuple(self._targets)

    def __deepcopy__(self, memo: dict[int, Any]) -> DirectoryEntry:
        """A copy whose changes the original does not see: every attribute but the two
        collections is immutable, and their members (pairs of strings) are too."""
        copied = type(self).__new__(type(self))
        copied.__dict__.update(self.__dict__)
        copied._targets = list(self._targets)
        copied._filed = set(self._filed)
        copied._pending_events = list(self._pending_events)
        return copied

    @classmethod
    def of(cls, key: str) -> DirectoryEntry:
        return cls.blank(directory_uuid(key))

    def point(self, key: str, kind: str, target: str) -> bool:
        """File ``target`` under the key; False (nothing recorded) if it already is."""
        if (kind, target) in self._filed:
            return False
        self.trigger_event(self.Pointed, key=directory_key(key), kind=kind, target=target)
        return True
