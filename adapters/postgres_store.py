"""eventsourcing's PostgreSQL persistence, with a leaner insert for batches.

The stock recorders send a batch as one array of a composite type, which psycopg
has to build value by value in Python; under group commit that was the largest
single cost of an ingested webhook. These recorders send the same rows as four
plain arrays (``unnest(uuid[], int[], text[], bytea[])``), sent in binary (no
per-value escaping).
The ``state`` column is compressed with lz4 rather than pglz. Everything else (table
layout, table lock, NOTIFY, tracking) is the library's own.
Selected with ``PERSISTENCE_MODULE=adapters.postgres_store:Factory``.

Appends commit concurrently (no table lock), and readers see only settled rows.
The library locks the whole events table until each insert commits, so that
notification ids become visible in order and a follower reading "after my position"
never passes an id that commits later; two web processes then wait on each other's
commit (their fsync). Here instead:

- A writer reserves its notification ids under a transaction-level advisory lock taken
  in a savepoint that is rolled back at once (so the lock is held for microseconds,
  never across the commit, and can never leak): inside it the transaction takes its
  id (``pg_current_xact_id()``) and its notification ids (``nextval``). Reservations
  are therefore ordered: a transaction with lower notification ids has a lower
  transaction id. Each row records its transaction id in ``tx_id`` (``xid8``).
- A reader (``select_notifications``) returns rows in notification id order only up to
  the first one that is not *settled*: whose ``tx_id`` is not older than the oldest
  transaction still running in the reader's own snapshot
  (``pg_snapshot_xmin(pg_current_snapshot())``, one statement, one snapshot). A row
  not yet visible with a lower id belongs to a running transaction, whose id is lower
  than that of every row after it, so those rows are not settled either: nothing is
  ever passed over. A rolled-back reservation leaves a gap that is simply skipped.
- ``NOTIFY`` is sent after the commit, not inside the transaction: PostgreSQL
  serialises the commits of notifying transactions (a cluster-wide lock held through
  the commit's WAL flush), which would serialise the writers again.

Old tables gain ``tx_id`` with ``'0'`` for their rows (settled) when created again.
The sequence must not cache values per session (``CACHE 1``, bigserial's default).
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import (
    InterfaceError,
    Notification,
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
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier
from psycopg_pool import PoolTimeout

log = logging.getLogger(__name__)


LOCK_CLASS = 0x636B6C65  # "ckle": the id reservation locks' first key (the second: the table)
SETTLED = "tx_id"  # the column recording each row's transaction id (xid8)


def _columnar_insert(datastore: PostgresDatastore, table: str) -> Any:
    return SQL(
        "INSERT INTO {schema}.{table} "
        "(notification_id, originator_id, originator_version, topic, state) "
        "SELECT * FROM unnest(%b::bigint[], %b::{id_type}[], %b::integer[], %b::text[], "
        "%b::bytea[])"
    ).format(
        schema=Identifier(datastore.schema),
        table=Identifier(table),
        id_type=SQL(datastore.originator_id_type),
    )


def _insert_new(datastore: PostgresDatastore, table: str) -> Any:
    return _columnar_insert(datastore, table) + SQL(
        " ON CONFLICT (originator_id, originator_version) DO NOTHING RETURNING notification_id")


def _columns(stored_events: Sequence[StoredEvent]) -> tuple[list[Any], ...]:
    return (
        [e.originator_id for e in stored_events],
        [e.originator_version for e in stored_events],
        [e.topic for e in stored_events],
        [e.state for e in stored_events],
    )


def _lock_key(schema: str, table: str) -> tuple[int, int]:
    """The advisory lock (two int4 keys) that orders the id reservations of one table."""
    objid = zlib.crc32(f"{schema}.{table}".encode())
    return LOCK_CLASS, objid - (1 << 32) if objid >= 1 << 31 else objid


# The library retries these ten times, waiting for a pooled connection each time: about
# a minute before a webhook could hear "503" during an outage, while Stripe waits
# seconds. One quick retry instead, and none when no connection came within the pool's
# wait (POSTGRES_CONNECT_TIMEOUT): the server is away. For one more such wait after that,
# calls fail at once rather than wait again, so a webhook queued behind a failing group
# commit hears 503 about one pool wait after it arrived, not two.
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
    channel_name: str

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        return _twice(self, type(self)._insert_once, stored_events, **kwargs)

    def max_notification_id(self) -> int | None:
        return _twice(self, _max_id_once)  # type: ignore[no-any-return]

    def select_notifications(
        self, start: int | None, limit: int, stop: int | None = None,
        topics: Sequence[str] = (), *, inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        return _twice(self, type(self)._select_settled,  # type: ignore[no-any-return]
                      start, limit, stop, tuple(topics), inclusive_of_start)

    def insert_new_events(self, stored_events: Sequence[StoredEvent]) -> list[bool]:
        """Insert, in one transaction, those of ``stored_events`` not recorded yet (by
        aggregate id and version); answer which were inserted. The inbox's batch write:
        a duplicate another process recorded costs nothing more (no failed transaction
        followed by one transaction per event)."""
        return _twice(self, type(self)._insert_once,  # type: ignore[no-any-return]
                      stored_events, skip_duplicates=True)

    def _insert_once(self, stored_events: Sequence[StoredEvent], *,
                     skip_duplicates: bool = False, **kwargs: Any) -> Any:
        """One transaction: reserve the ids (in order, see the module docstring), record
        the tracking (process recorders), insert the rows; NOTIFY once committed. Answers
        the notification ids, or with ``skip_duplicates`` which rows were inserted."""
        ids: list[int] | None = None
        inserted: set[int] = set()
        failure: Exception | None = None
        with self.datastore.get_connection() as conn:
            sequence = self._sequence_name(conn) if stored_events else ""
            with conn.pipeline() as pipeline, conn.transaction(), conn.cursor() as curs:
                try:
                    if stored_events:
                        ids = self._reserve_ids(conn, pipeline, sequence, len(stored_events))
                    self._insert_events(curs, stored_events, **kwargs)  # type: ignore[attr-defined]
                    if stored_events:
                        statement = (self._statement("_insert_new", _insert_new)
                                     if skip_duplicates else
                                     self._statement("_insert", _columnar_insert))
                        curs.execute(statement, (ids or [], *_columns(stored_events)),
                                     prepare=True)
                    # Sync now, so a uniqueness violation raises IntegrityError here.
                    pipeline.sync()
                    if stored_events and skip_duplicates:
                        inserted = {row["notification_id"] for row in curs.fetchall()}
                except Exception as error:  # re-raised once the pipeline is closed
                    failure = error
            if failure is not None:
                raise failure
            if inserted or (stored_events and not skip_duplicates):
                self._notify_after_commit(conn)
        if skip_duplicates:
            return [i in inserted for i in ids or []]
        return ids

    def _reserve_ids(self, conn: Any, pipeline: Any, sequence: str, count: int
                     ) -> list[int]:
        """Take this transaction's id and ``count`` notification ids under the table's
        reservation lock, released at once by rolling its savepoint back (the xid and
        the sequence values stay taken)."""
        with conn.cursor() as lock, conn.cursor() as reserve:
            with conn.transaction(force_rollback=True):
                lock.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                             _lock_key(self.datastore.schema, self.events_table_name),
                             prepare=True)
                reserve.execute("SELECT pg_current_xact_id() AS tx, nextval(%s::regclass) AS id"
                                " FROM generate_series(1, %s)", (sequence, count), prepare=True)
            # Only now wait for the answers: the lock is already released (rolled back).
            pipeline.sync()
            ids = sorted(row["id"] for row in reserve.fetchall())
        return ids

    def _sequence_name(self, conn: Any) -> str:
        name = self.__dict__.get("_sequence")
        if name is None:
            row = conn.execute("SELECT pg_get_serial_sequence(%s, 'notification_id') AS seq",
                               (self._qualified_name,)).fetchone()
            name = self.__dict__["_sequence"] = row["seq"]
        return str(name)

    @property
    def _qualified_name(self) -> str:
        return Identifier(self.datastore.schema, self.events_table_name).as_string(None)

    def _notify_after_commit(self, conn: Any) -> None:
        """Tell listeners (the worker) the log has grown; the rows are already durable,
        so a failure here only delays followers until their next poll."""
        try:
            conn.execute(self._statement("_notify", lambda _d, _t: SQL("NOTIFY {0}").format(
                Identifier(self.channel_name))))
        except psycopg.Error as error:
            log.warning("NOTIFY %s failed (followers will poll): %s", self.channel_name, error)

    def _statement(self, key: str, build: Any) -> Any:
        statement = self.__dict__.get(key)
        if statement is None:
            statement = self.__dict__[key] = build(self.datastore, self.events_table_name)
        return statement

    def _select_settled(self, start: int | None, limit: int, stop: int | None,
                        topics: tuple[str, ...], inclusive_of_start: bool
                        ) -> list[Notification]:
        """The notifications from ``start``, in order, up to the first one not settled
        (its transaction is not older than the oldest one still running)."""
        where = [SQL("TRUE")]
        params: list[Any] = []
        if start is not None:
            where.append(SQL("notification_id >= %s" if inclusive_of_start
                             else "notification_id > %s"))
            params.append(start)
        if stop is not None:
            where.append(SQL("notification_id <= %s"))
            params.append(stop)
        if topics:
            where.append(SQL("topic = ANY(%s)"))
            params.append(list(topics))
        params.append(limit)
        statement = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state, "
            "{settled} < pg_snapshot_xmin(pg_current_snapshot()) AS settled "
            "FROM {schema}.{table} WHERE {where} ORDER BY notification_id LIMIT %s"
        ).format(settled=Identifier(SETTLED), schema=Identifier(self.datastore.schema),
                 table=Identifier(self.events_table_name), where=SQL(" AND ").join(where))
        found: list[Notification] = []
        held_back = False
        # Rows as tuples: the pool's dict rows cost a worker more than the query's decoding.
        with self.datastore.get_connection() as conn, \
                conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(statement, params, prepare=True)
            for notification_id, originator_id, version, topic, state, settled \
                    in curs.fetchall():
                if not settled:
                    held_back = True
                    break
                found.append(Notification(
                    id=notification_id, originator_id=originator_id,
                    originator_version=version, topic=topic, state=bytes(state)))
        self._reads.held_back = held_back
        return found

    def held_back(self) -> bool:
        """Whether this thread's last read stopped at a row committed but not settled yet
        (a transaction older than it still runs): worth reading again in a moment."""
        return bool(getattr(self._reads, "held_back", False))

    @property
    def _reads(self) -> threading.local:
        reads = self.__dict__.get("_reads_local")
        if reads is None:
            reads = self.__dict__.setdefault("_reads_local", threading.local())
        return reads  # type: ignore[no-any-return]

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
        self._add_settled_column()

    def _add_settled_column(self) -> None:
        """Give the table ``tx_id`` (its rows so far get 0: settled) unless it has it,
        and make sure its sequence hands out values in order across sessions."""
        table = {"schema": Identifier(self.datastore.schema),
                 "table": Identifier(self.events_table_name), "column": Identifier(SETTLED)}
        with self.datastore.transaction(commit=True) as curs:
            curs.execute("SELECT 1 FROM information_schema.columns WHERE table_schema = %s "
                         "AND table_name = %s AND column_name = %s",
                         (self.datastore.schema or "public", self.events_table_name, SETTLED))
            if curs.fetchone() is None:
                curs.execute(SQL("ALTER TABLE {schema}.{table} ADD COLUMN IF NOT EXISTS "
                                 "{column} xid8 NOT NULL DEFAULT '0'").format(**table))
                curs.execute(SQL("ALTER TABLE {schema}.{table} ALTER COLUMN {column} "
                                 "SET DEFAULT pg_current_xact_id()").format(**table))
            curs.execute("SELECT s.cache_size FROM pg_sequences s WHERE "
                         "format('%%I.%%I', s.schemaname, s.sequencename)::regclass "
                         "= pg_get_serial_sequence(%s, 'notification_id')::regclass",
                         (self._qualified_name,))
            row = curs.fetchone()
            if row is not None and row["cache_size"] != 1:
                sequence = curs.execute("SELECT pg_get_serial_sequence(%s, 'notification_id')"
                                        " AS seq", (self._qualified_name,)).fetchone()
                assert sequence is not None
                curs.execute(SQL("ALTER SEQUENCE {0} CACHE 1").format(SQL(sequence["seq"])))

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
    def tracking_positions(self) -> dict[str, int]:
        """Every upstream position (:class:`~domain.ports.PositionReader`), in one query."""
        return _twice(self, type(self)._positions_once)  # type: ignore[no-any-return]

    def _positions_once(self) -> dict[str, int]:
        statement = SQL("SELECT application_name, MAX(notification_id) AS max FROM "
                        "{schema}.{table} GROUP BY application_name").format(
            schema=Identifier(self.datastore.schema), table=Identifier(self.tracking_table_name))
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, prepare=True)
            return {row["application_name"]: row["max"] or 0 for row in curs.fetchall()}


class Factory(PostgresFactory):
    application_recorder_class = ApplicationRecorder
    process_recorder_class = ProcessRecorder
