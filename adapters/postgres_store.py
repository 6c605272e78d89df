"""eventsourcing's PostgreSQL persistence, with a leaner insert for batches.

The stock recorders send a batch as one array of a composite type, which psycopg
has to build value by value in Python; under group commit that was the largest
single cost of an ingested webhook. These recorders send the same rows as four
plain arrays (``unnest(uuid[], int[], text[], bytea[])``), which psycopg dumps in C.
Everything else (table layout, table lock, NOTIFY, tracking) is the library's own.
Selected with ``PERSISTENCE_MODULE=adapters.postgres_store:Factory``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
    PostgresProcessRecorder,
)
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier


def _columnar_insert(datastore: PostgresDatastore, table: str) -> Any:
    return SQL(
        "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
        "SELECT * FROM unnest(%s::{id_type}[], %s::integer[], %s::text[], %s::bytea[]) "
        "RETURNING notification_id"
    ).format(
        schema=Identifier(datastore.schema),
        table=Identifier(table),
        id_type=SQL(datastore.originator_id_type),
    )


def _columns(stored_events: Sequence[StoredEvent]) -> tuple[list[Any], ...]:
    return (
        [e.originator_id for e in stored_events],
        [e.originator_version for e in stored_events],
        [e.topic for e in stored_events],
        [e.state for e in stored_events],
    )


class _ColumnarInsertMixin:
    datastore: PostgresDatastore
    events_table_name: str

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: Any
    ) -> None:
        self._lock_table(curs)  # type: ignore[attr-defined]
        self._notify_channel(curs)  # type: ignore[attr-defined]
        statement = self.__dict__.get("_columnar_statement")
        if statement is None:
            statement = _columnar_insert(self.datastore, self.events_table_name)
            self.__dict__["_columnar_statement"] = statement
        curs.execute(statement, _columns(stored_events), prepare=True)


class ApplicationRecorder(_ColumnarInsertMixin, PostgresApplicationRecorder):
    pass


class ProcessRecorder(_ColumnarInsertMixin, PostgresProcessRecorder):
    pass


class Factory(PostgresFactory):
    application_recorder_class = ApplicationRecorder
    process_recorder_class = ProcessRecorder
