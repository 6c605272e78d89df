"""The follower lease: one process at a time runs the followers of a store.

Two workers following the same log would each call the fulfiller and each email the
customer. The lease makes any further worker stand by until the holder goes away:
a session-level advisory lock on PostgreSQL (released by the server when the holder's
connection ends, however the holder ends), an exclusive ``flock`` on a file beside the
SQLite databases (released by the kernel likewise). The in-memory store is private
to its process, so its lease is always free.

A PostgreSQL lease can be lost without its holder noticing: a server restart ends the
lease's connection, and another worker may take the lock as soon as the server is back.
The holder's followers therefore check the lease before each batch (:meth:`Lease.ensure_held`
as their guard), and :class:`LeasedRunner` stops them and goes back to standing by.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from typing import IO, Protocol

import psycopg

from adapters.runner import NotLeased
from adapters.stores import Store

log = logging.getLogger(__name__)
LOCK_KEY = 0x636B_6C65_6467  # "ckledg": one lock per database
RETRY_SECONDS = 2.0  # how often a standby worker asks for the lease
CHECK_SECONDS = 1.0  # how often an idle holder checks it still holds it
# A positive answer from the server is trusted this long by the guard run before each
# batch (one round trip per batch per follower was a measurable share of the lag); a new
# holder waits twice as long before it follows, so the two never process side by side.
FRESH_SECONDS = 0.25
TAKEOVER_GRACE_SECONDS = 2 * FRESH_SECONDS
# How the lease's connection names itself in pg_stat_activity, so an operator (and the fault
# tests) can tell which process follows: see docs/operations.md.
LEASE_APPLICATION_NAME = "checkout-ledger lease pid=%d host=%s"

# Our own backend still holds the (bigint-keyed) advisory lock: a restarted server, a
# terminated backend or an explicit unlock all make this false or fail.
_HELD = (
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND classid::bigint = %s AND objid::bigint = %s"
    " AND objsubid = 1)"
)


class LeaseLost(NotLeased):
    """This process held the follower lease and does not any more."""


class Lease:
    """Taken with :meth:`acquire` (never waits), checked with :meth:`held`, given back
    with :meth:`release`. Safe to use from several threads."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.lost = threading.Event()  # set once a check finds the lease gone
        self._held = False
        self._connection: psycopg.Connection | None = None
        self._file: IO[bytes] | None = None
        self._lock = threading.Lock()
        self._checked_at = float("-inf")

    def acquire(self) -> bool:
        """Take the lease if it is free; False if another process holds it."""
        with self._lock:
            if self._held:
                return True
            if self.store.kind == "postgres":
                self._held = self._acquire_advisory_lock()
            elif self.store.kind == "sqlite":
                self._held = self._acquire_file_lock()
            else:
                self._held = True
            if self._held:
                self.lost.clear()
                self._checked_at = float("-inf")
            return self._held

    def held(self) -> bool:
        """Whether this process still holds the lease (asks the server on PostgreSQL)."""
        with self._lock:
            if not self._held or self._connection is None:
                return self._held  # a flock cannot be taken away from its holder
            try:
                row = self._connection.execute(
                    _HELD, (LOCK_KEY >> 32, LOCK_KEY & 0xFFFF_FFFF)).fetchone()
            except psycopg.Error as error:
                log.warning("the follower lease's connection is gone: %s", error)
                return False
            return bool(row and row[0])

    def ensure_held(self) -> None:
        """Raise :class:`LeaseLost` unless the lease is still held (a follower's guard,
        before each batch): asks the server unless it said yes less than
        ``FRESH_SECONDS`` ago."""
        if self.lost.is_set():
            raise LeaseLost("this process no longer holds the follower lease")
        if time.monotonic() - self._checked_at < FRESH_SECONDS:
            return
        if not self.held():
            self.lost.set()
            raise LeaseLost("this process no longer holds the follower lease")
        self._checked_at = time.monotonic()

    def release(self) -> None:
        with self._lock:
            self._held = False
            if self._connection is not None:
                self._connection.close()  # the server drops the session's advisory lock
                self._connection = None
            if self._file is not None:
                self._file.close()  # closing the file gives the flock back
                self._file = None

    def _acquire_advisory_lock(self) -> bool:
        store = self.store
        # Keepalives: a holder cut off from the server learns it within about 20 s.
        connection = psycopg.connect(host=store.host, port=store.port, user=store.user,
                                     password=store.password, dbname=store.dbname,
                                     autocommit=True, connect_timeout=5, keepalives=1,
                                     keepalives_idle=5, keepalives_interval=5,
                                     keepalives_count=3, application_name=LEASE_APPLICATION_NAME
                                     % (os.getpid(), socket.gethostname()[:30]))
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


class Guarded(Protocol):
    """What the lease runs: a :class:`~adapters.runner.Runner`, or the scheduler."""

    def set_guard(self, guard: Callable[[], None] | None) -> None: ...
    def start(self) -> None: ...
    def stop(self, timeout: float = ...) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def running(self) -> bool: ...


class LeasedRunner:
    """Runs ``runners`` while this process holds ``lease``, in a thread of its own:
    stands by until the lease is free, follows, and on losing the lease stops the
    runners and stands by again. Ends when ``stopping`` is set."""

    def __init__(self, lease: Lease, runners: Sequence[Guarded],
                 stopping: threading.Event) -> None:
        self.lease = lease
        self.runners = tuple(runners)
        self.stopping = stopping
        self._thread = threading.Thread(target=self._run, name="lease-standby", daemon=True)

    def start(self) -> LeasedRunner:
        self._thread.start()
        return self

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        while self._wait_for_lease():
            self._follow_until_lost()

    def _wait_for_lease(self) -> bool:
        waiting = False
        while not self.stopping.is_set():
            try:
                if self.lease.acquire():
                    if waiting:
                        log.info("took over the follower lease")
                    return True
            except Exception as error:  # the store is not there yet: keep asking
                log.warning("cannot ask for the follower lease yet: %s", error)
            if not waiting:
                log.warning("another process follows this store; standing by")
                waiting = True
            self.stopping.wait(RETRY_SECONDS)
        return False

    def _follow_until_lost(self) -> None:
        # A holder that lost the lease may trust its last check for FRESH_SECONDS more.
        if self.stopping.wait(TAKEOVER_GRACE_SECONDS):
            self.lease.release()
            return
        for runner in self.runners:
            runner.set_guard(self.lease.ensure_held)
            runner.start()
        while not self.stopping.is_set():
            if self.lease.lost.wait(CHECK_SECONDS) or not self.lease.held():
                log.warning("lost the follower lease (did the database restart?); "
                            "stopped following, standing by")
                break
        stop_all(self.runners)
        self.lease.release()


def stop_all(runners: Sequence[Guarded], timeout: float = 5.0) -> list[str]:
    """Tell every runner to stop, then wait for them all at most ``timeout`` seconds in
    total (one inside a Stripe call that hangs holds the others up no longer); answers
    the names of those still running."""
    deadline = time.monotonic() + timeout
    for runner in runners:
        runner.stop(timeout=0)
    for runner in runners:
        runner.stop(timeout=max(0.0, deadline - time.monotonic()))
    return [runner.name for runner in runners if runner.running]
