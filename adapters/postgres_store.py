"""eventsourcing's PostgreSQL persistence, with a leaner insert for batches.

The stock recorders send a batch as one array of a composite type, which psycopg
has to build value by value in Python; under group commit that was the largest
single cost of an ingested webhook. These recorders send the same rows as four
plain arrays (``unnest(uuid[], int[], text[], bytea[])``), sent in binary (no
per-value escaping).
The ``state`` column is compressed with lz4 rather than pglz. Everything else (table
layout, table lock, NOTIFY, tracking) is the library's own.
Selected with ``PERSISTENCE_MODULE=adapters.postgres_store:Factory``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
    PostgresProcessRecorder,
)
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier
from psycopg_pool import PoolTimeout

log = logging.getLogger(__name__)


def _columnar_insert(datastore: PostgresDatastore, table: str) -> Any:
    return SQL(
        "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
        "SELECT * FROM unnest(%b::{id_type}[], %b::integer[], %b::text[], %b::bytea[]) "
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


# The library retries these ten times, waiting for a pooled connection each time: about
# a minute before a webhook could hear "503" during an outage, while Stripe waits
# seconds. One quick retry instead, and none when no connection came within the pool's
# wait (POSTGRES_CONNECT_TIMEOUT): the server is away. For one more such wait after that,
# calls fail at once rather than wait again, so a webhook queued behind a failing group
# commit hears 503 about one pool wait after it arrived, not two.
_insert_once = PostgresApplicationRecorder.insert_events.__wrapped__  # type: ignore[attr-defined]
_max_id_once = PostgresApplicationRecorder.max_notification_id.__wrapped__  # type: ignore[attr-defined]
RETRY_WAIT_SECONDS = 0.2


def _twice(recorder: Any, call: Any, *args: Any, **kwargs: Any) -> Any:
    if time.monotonic() < recorder.__dict__.get("_away_until", 0.0):
        raise OperationalError("the event store did not answer a moment ago")
    try:
        return call(recorder, *args, **kwargs)
    except (InterfaceError, OperationalError) as error:
        if isinstance(error.__cause__, PoolTimeout):
            recorder.__dict__["_away_until"] = time.monotonic() + recorder.datastore.pool.timeout
            raise
        time.sleep(RETRY_WAIT_SECONDS)
        return call(recorder, *args, **kwargs)


class _ColumnarInsertMixin:
    datastore: PostgresDatastore
    events_table_name: str

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        return _twice(self, _insert_once, stored_events, **kwargs)

    def max_notification_id(self) -> int | None:
        return _twice(self, _max_id_once)  # type: ignore[no-any-return]

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


    def create_table(self) -> None:
        super().create_table()  # type: ignore[misc]
        # A raw Stripe event is a few kB, so PostgreSQL compresses it on the way in;
        # lz4 costs about half the server CPU of the default pglz.
        statement = SQL("ALTER TABLE {schema}.{table} ALTER COLUMN state SET COMPRESSION lz4")
        try:
            with self.datastore.transaction(commit=True) as curs:
                curs.execute(statement.format(schema=Identifier(self.datastore.schema),
                                              table=Identifier(self.events_table_name)))
        except PersistenceError as error:  # a server built without lz4 keeps pglz
            log.info("keeping the default compression for %s: %s", self.events_table_name, error)


    def select_events_of_many(self, originator_ids: Sequence[Any]) -> dict[Any, list[StoredEvent]]:
        """The stored events of many aggregates, in one query (a batch's read-ahead)."""
        statement = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {schema}.{table} "
            "WHERE originator_id = ANY(%b::{id_type}[]) ORDER BY originator_id, originator_version"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name),
                 id_type=SQL(self.datastore.originator_id_type))
        found: dict[Any, list[StoredEvent]] = {}
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, (list(originator_ids),), prepare=True)
            for row in curs.fetchall():
                found.setdefault(row["originator_id"], []).append(StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"], state=bytes(row["state"])))
        return found


class ApplicationRecorder(_ColumnarInsertMixin, PostgresApplicationRecorder):
    pass


class ProcessRecorder(_ColumnarInsertMixin, PostgresProcessRecorder):
    pass


class Factory(PostgresFactory):
    application_recorder_class = ApplicationRecorder
    process_recorder_class = ProcessRecorder
