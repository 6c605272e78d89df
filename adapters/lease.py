"""The follower lease: one process at a time runs the followers of a store.

Two workers following the same log would each call the fulfiller and each email the
customer. The lease makes any further worker stand by until the holder goes away:
a session-level advisory lock on PostgreSQL (released by the server when the holder's
connection ends, however the holder ends), an exclusive ``flock`` on a file beside the
SQLite databases (released by the kernel likewise). The in-memory store is private
to its process, so its lease is always free.
"""

from __future__ import annotations

import fcntl
import logging
import os
from typing import IO

import psycopg

from adapters.stores import Store

log = logging.getLogger(__name__)
LOCK_KEY = 0x636B_6C65_6467  # "ckledg": one lock per database


class Lease:
    """Taken with :meth:`acquire` (never waits), given back with :meth:`release`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._connection: psycopg.Connection | None = None
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        """Take the lease if it is free; False if another process holds it."""
        if self.store.kind == "postgres":
            return self._acquire_advisory_lock()
        if self.store.kind == "sqlite":
            return self._acquire_file_lock()
        return True

    def release(self) -> None:
        if self._connection is not None:
            self._connection.close()  # the server drops the session's advisory lock
            self._connection = None
        if self._file is not None:
            self._file.close()  # closing the file gives the flock back
            self._file = None

    def _acquire_advisory_lock(self) -> bool:
        store = self.store
        connection = psycopg.connect(host=store.host, port=store.port, user=store.user,
                                     password=store.password, dbname=store.dbname,
                                     autocommit=True, connect_timeout=5)
        row = connection.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()
        if row is None or not row[0]:
            connection.close()
            return False
        self._connection = connection
        return True

    def _acquire_file_lock(self) -> bool:
        assert self.store.path is not None
        path = self.store.path.with_name(f"{self.store.path.stem}.worker.lock")
        handle = open(path, "ab")  # noqa: SIM115  (held for as long as the lease)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n".encode())
        handle.flush()
        self._file = handle
        return True
