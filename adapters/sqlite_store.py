"""eventsourcing's SQLite recorders, with one addition: reading many aggregates at once.

A batch of followed events touches many aggregates (sessions, fulfillments); reading them in
one query instead of one each is what :class:`~domain.ports.BulkEventReader` is for (the
PostgreSQL recorders have it too, in ``adapters/postgres_store.py``); and, for health checks,
a follower's position in every upstream log in one query
(:class:`~domain.ports.PositionReader`). Selected with
``PERSISTENCE_MODULE=adapters.sqlite_store:Factory`` (see ``adapters/stores.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteFactory,
    SQLiteProcessRecorder,
)

MAX_IDS = 500  # SQLite's host parameters per statement are limited (999 in old builds)


class _BulkRead:
    """``select_events_of_many`` for the SQLite recorders."""

    events_table_name: str
    datastore: Any

    def select_events_of_many(self, originator_ids: Sequence[Any]) -> dict[Any, list[StoredEvent]]:
        """The stored events of many aggregates, in one query per 500 ids."""
        found: dict[Any, list[StoredEvent]] = {}
        ids = list(originator_ids)
        for start in range(0, len(ids), MAX_IDS):
            chunk = ids[start:start + MAX_IDS]
            keys = {(i.hex if isinstance(i, UUID) else str(i)): i for i in chunk}
            statement = (f"SELECT originator_id, originator_version, topic, state FROM "
                         f"{self.events_table_name} WHERE originator_id IN "
                         f"({','.join('?' * len(keys))}) ORDER BY originator_id, "
                         "originator_version")
            with self.datastore.transaction(commit=False) as cursor:
                cursor.execute(statement, list(keys))
                for row in cursor.fetchall():
                    original = keys[row["originator_id"]]
                    found.setdefault(original, []).append(StoredEvent(
                        originator_id=original, originator_version=row["originator_version"],
                        topic=row["topic"], state=row["state"]))
        return found


class ApplicationRecorder(_BulkRead, SQLiteApplicationRecorder):
    pass


class ProcessRecorder(_BulkRead, SQLiteProcessRecorder):
    def tracking_positions(self) -> dict[str, int]:
        """Every upstream position (:class:`~domain.ports.PositionReader`), in one query."""
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute("SELECT application_name, MAX(notification_id) FROM tracking "
                           "GROUP BY application_name")
            return {row[0]: row[1] or 0 for row in cursor.fetchall()}


class Factory(SQLiteFactory):
    application_recorder_class = ApplicationRecorder
    process_recorder_class = ProcessRecorder
