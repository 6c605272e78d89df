"""Keeps a process application up to date with its upstream log, in a background thread.

The thread is prompted when the upstream application in this process commits, and
also polls, so events written by other processes (or before a restart) are caught up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import orjson
from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError

from domain.apps.processing import BatchProcessor, Unreadable
from domain.ports import NotifierUnavailable, StripeUnavailable

log = logging.getLogger(__name__)


class NotLeased(Exception):
    """Raised by a follower's guard: this process may no longer follow (its lease is gone).
    The follower processes nothing more and its thread ends."""


class Follower:
    """Feeds ``processor`` the notifications of ``upstream`` in batches."""

    def __init__(
        self,
        upstream: Application,
        processor: BatchProcessor,
        *,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        on_processed: Callable[[int], None] | None = None,
    ) -> None:
        self.upstream = upstream
        self.processor = processor
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.on_processed = on_processed
        self.last_error: str | None = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._position: int | None = None
        self._lock = threading.Lock()
        # Called before each batch is processed; raises NotLeased to stop (see adapters.lease).
        self.guard: Callable[[], None] | None = None

    @property
    def name(self) -> str:
        return f"{self.processor.name}<-{self.upstream.name}"

    def prompt(self, _count: int = 0) -> None:
        """Tell the follower that the upstream log has grown."""
        self._wake.set()

    def position(self) -> int:
        """The last upstream notification id processed."""
        return self.processor.position(self.upstream.name)

    def lag(self) -> int:
        """How many upstream notifications are not processed yet (an upper bound)."""
        head = self.upstream.recorder.max_notification_id() or 0
        return max(0, head - self.position())

    def catch_up(self) -> int:
        """Process everything the upstream log holds now; answer how many were processed."""
        done = 0
        with self._lock:
            while True:
                count = self._process_next_batch()
                done += count
                if count < self.batch_size or self._stopping.is_set():
                    return done

    def _process_next_batch(self) -> int:
        if self._position is None:
            self._position = self.position()
        notifications = self.upstream.recorder.select_notifications(
            start=self._position, limit=self.batch_size, inclusive_of_start=False
        )
        if not notifications:
            return 0
        if self.guard is not None:
            self.guard()
        batch = [(n.id, self._read(n)) for n in notifications]
        try:
            new_events = self.processor.process_batch(self.upstream.name, batch)
        except IntegrityError:
            # Someone else moved first (another process, a concurrent command):
            # forget the cached position and read from what is recorded.
            self._position = None
            return len(batch)
        self._position = batch[-1][0]
        if new_events and self.on_processed is not None:
            self.on_processed(new_events)
        return len(batch)

    def _read(self, notification: Any) -> Any:
        """The upstream event, or :class:`Unreadable` in its place (parked downstream,
        so one record that cannot be read never stops the ones after it)."""
        try:
            return self.upstream.mapper.to_domain_event(notification)
        except Exception as error:
            log.error("%s: stored event %s v%d cannot be read: %s", self.name,
                      notification.originator_id, notification.originator_version, error)
            return Unreadable(notification.originator_id, notification.originator_version,
                              f"{type(error).__name__}: {error}", *_stripe_ids(notification))

    # Thread ----------------------------------------------------------------------------

    def start(self) -> None:
        self._stopping.clear()
        self._position = None  # another process may have moved on meanwhile
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        backoff = self.poll_interval
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                caught_up = self.catch_up()
            except NotLeased as lost:
                self.last_error = str(lost)
                log.warning("%s stopped: %s", self.name, lost)
                return
            except (StripeUnavailable, NotifierUnavailable) as outage:  # now and then: no traceback
                self.last_error = str(outage)
                self._position = None
                log.warning("%s paused, %s; retrying in %.1f s", self.name, outage, backoff)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 30.0)
            except Exception as error:  # keep following; the store may come back
                self.last_error = f"{type(error).__name__}: {error}"
                self._position = None
                log.exception("%s failed; retrying in %.1f s", self.name, backoff)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 30.0)
            else:
                if caught_up:
                    log.debug("%s processed %d events", self.name, caught_up)
                self.last_error = None
                backoff = self.poll_interval
            self._wake.wait(self.poll_interval)


def _stripe_ids(notification: Any) -> tuple[str | None, str | None]:
    """The Stripe event id and type of an unreadable inbox record, if its JSON says."""
    try:
        state = orjson.loads(notification.state)
    except (orjson.JSONDecodeError, TypeError):
        return None, None
    if not isinstance(state, dict):
        return None, None
    event_id, event_type = state.get("stripe_event_id"), state.get("type")
    return (event_id if isinstance(event_id, str) else None,
            event_type if isinstance(event_type, str) else None)
