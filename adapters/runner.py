"""Keeps a process application up to date with its upstream log, in a background thread.

The thread is prompted when the upstream application in this process commits, and
also polls, so events written by other processes (or before a restart) are caught up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Sequence
from typing import Any

import orjson
from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from adapters.decoded import Decoded
from domain.apps.processing import BatchProcessor, RetryLater, Unreadable
from domain.ports import NotifierUnavailable, StripeUnavailable

log = logging.getLogger(__name__)
HELD_BACK_FIRST_WAIT = 0.002  # seconds before reading again rows held back by the watermark


class NotLeased(Exception):
    """Raised by a follower's guard: this process may no longer follow (its lease is gone).
    The follower processes nothing more and its thread ends."""


class Follower:
    """Feeds ``processor`` the notifications of ``upstream`` in batches (one pipeline edge).

    A :class:`Runner` drives it, with the other followers of the same processor, in one
    thread; tests and the CLI call :meth:`catch_up` themselves.
    """

    def __init__(
        self,
        upstream: Application,
        processor: BatchProcessor,
        *,
        batch_size: int = 500,
        wake: threading.Event | None = None,
        lock: threading.Lock | None = None,
        decoded: Decoded | None = None,
    ) -> None:
        self.upstream = upstream
        self.decoded = decoded  # shared with the other followers of the upstream log
        self.processor = processor
        self.batch_size = batch_size
        # Shared by the followers of one processor: a prompt to any wakes their runner,
        # and they never process at the same time (one writer per application).
        self.wake = wake or threading.Event()
        self._lock = lock or threading.Lock()
        # Prompted since its last catch-up: the runner, woken, reads only the logs that
        # grew, and the others when their poll is due.
        self.prompted = True
        self.next_poll = 0.0
        self._position: int | None = None
        # The last read stopped at a row another transaction is still settling (PostgreSQL:
        # see adapters.postgres_store); the runner then reads again in a moment.
        self.held_back = False
        # Only the events the processor acts on are read (filtered by the store): the others
        # cost nothing here, and the position moves past them with the next one it reads.
        self.topics = _topics(processor.interests)
        self._reads = frozenset(self.topics)
        # Called before each batch is processed; raises NotLeased to stop (see adapters.lease).
        self.guard: Callable[[], None] | None = None

    @property
    def name(self) -> str:
        return f"{self.processor.name}<-{self.upstream.name}"

    def prompt(self, topics: Collection[str] | None = None) -> None:
        """Tell the follower that the upstream log has grown (by events of these topics,
        when known: none it reads, and it is not woken)."""
        if topics is not None and self.topics and self._reads.isdisjoint(topics):
            return
        self.prompted = True
        self.wake.set()

    def position(self) -> int:
        """The last upstream notification id processed."""
        return self.processor.position(self.upstream.name)

    def lag(self) -> int:
        """How many upstream notifications are not processed yet (an upper bound; 0 when
        none of those left is one the processor acts on)."""
        return self.lag_from(self.position())

    def lag_from(self, position: int, head: int | None = None) -> int:
        """:meth:`lag` at ``position``; with the upstream ``head`` (its last notification
        id) already read, no query at all when nothing is past the position."""
        if head is not None and head <= position:
            return 0
        waiting = self.upstream.recorder.select_notifications(
            start=position, limit=1, topics=self.topics, inclusive_of_start=False)
        if not waiting:
            return 0
        if head is None:
            head = self.upstream.recorder.max_notification_id() or 0
        return max(0, head, waiting[0].id) - position

    def forget_position(self) -> None:
        """Read the position from the store next time (another process may have moved)."""
        self._position = None

    def catch_up(self, stopping: threading.Event | None = None) -> int:
        """Process everything the upstream log holds now; answer how many were processed."""
        done = 0
        with self._lock:
            self.prompted = False  # a prompt from now on is for what this read may miss
            while True:
                count = self._process_next_batch()
                done += count
                if count < self.batch_size or (stopping is not None and stopping.is_set()):
                    return done

    def step(self) -> int:
        """Process the next batch, if any; how many upstream notifications it held (a
        rebuild drives its followers this way, to show progress)."""
        with self._lock:
            return self._process_next_batch()

    def _process_next_batch(self) -> int:
        if self._position is None:
            self._position = self.position()
        recorder = self.upstream.recorder
        notifications = recorder.select_notifications(
            start=self._position, limit=self.batch_size, topics=self.topics,
            inclusive_of_start=False)
        held_back = getattr(recorder, "held_back", None)
        self.held_back = bool(held_back and held_back())
        if not notifications:
            return 0
        if self.guard is not None:
            self.guard()
        batch = [(n.id, self._read(n)) for n in notifications]
        try:
            self.processor.process_batch(self.upstream.name, batch)
        except IntegrityError:
            # Someone else moved first (another process, a concurrent command):
            # forget the cached position and read from what is recorded.
            self._position = None
            return len(batch)
        self._position = batch[-1][0]
        return len(batch)

    def _read(self, notification: Any) -> Any:
        """The upstream event, or :class:`Unreadable` in its place (parked downstream,
        so one record that cannot be read never stops the ones after it)."""
        if self.decoded is not None:
            found = self.decoded.get(notification.id)
            if found is not None:
                return found
        event = self._decode(notification)
        if self.decoded is not None:
            self.decoded.put(notification.id, event)
        return event

    def _decode(self, notification: Any) -> Any:
        try:
            return self.upstream.mapper.to_domain_event(notification)
        except Exception as error:
            log.error("%s: stored event %s v%d cannot be read: %s", self.name,
                      notification.originator_id, notification.originator_version, error)
            return Unreadable(notification.originator_id, notification.originator_version,
                              f"{type(error).__name__}: {error}", *_stripe_ids(notification))


class Runner:
    """Keeps one processor up to date with all its upstream logs, in one thread of its
    own: one writer per application, so its followers never race each other. Woken by a
    prompt, and polls (events written by other processes, or before a restart)."""

    def __init__(self, followers: Sequence[Follower], poll_interval: float = 1.0,
                 linger: float = 0.0) -> None:
        assert followers and len({f.processor.name for f in followers}) == 1
        self.followers = tuple(followers)
        self.poll_interval = poll_interval
        # Woken by a prompt, wait this long before reading: the events of the next moments
        # share one batch (one read, one transaction) instead of one batch each.
        self.linger = linger
        self.wake = followers[0].wake
        self.last_error: str | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def name(self) -> str:
        return self.followers[0].processor.name

    def set_guard(self, guard: Callable[[], None] | None) -> None:
        for follower in self.followers:
            follower.guard = guard

    def start(self) -> None:
        self._stopping.clear()
        for follower in self.followers:
            follower.forget_position()  # another process may have moved on meanwhile
        thread = threading.Thread(target=self._run, name=f"follow-{self.name}", daemon=True)
        thread.start()
        self._thread = thread  # only a started thread: stop() may join it from elsewhere

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        backoff = self.poll_interval
        settling = HELD_BACK_FIRST_WAIT
        while not self._stopping.is_set():
            if self.linger and self.wake.is_set() and self._stopping.wait(self.linger):
                return
            self.wake.clear()
            due = self._due()
            try:
                caught_up = sum(f.catch_up(self._stopping) for f in due)
            except NotLeased as lost:
                self.last_error = str(lost)
                log.warning("%s stopped: %s", self.name, lost)
                return
            except (StripeUnavailable, NotifierUnavailable, RetryLater) as outage:  # no traceback
                self._pause(str(outage), backoff)
                backoff = min(backoff * 2, 30.0)
            except Exception as error:  # keep following; the store may come back
                log.exception("%s failed", self.name)
                self._pause(f"{type(error).__name__}: {error}", backoff)
                backoff = min(backoff * 2, 30.0)
            else:
                if caught_up:
                    log.debug("%s processed %d events", self.name, caught_up)
                self.last_error = None
                backoff = self.poll_interval
            if any(f.held_back for f in self.followers):
                # Committed rows wait for an older transaction (no NOTIFY may follow its
                # end): look again soon, less often while it lasts.
                self.wake.wait(min(settling, self.poll_interval))
                settling *= 2
                continue
            settling = HELD_BACK_FIRST_WAIT
            next_poll = min(f.next_poll for f in self.followers)
            self.wake.wait(max(0.0, next_poll - time.monotonic()))

    def _due(self) -> list[Follower]:
        """The followers to read now: prompted, held back, or due to poll."""
        now = time.monotonic()
        due = [f for f in self.followers if f.prompted or f.held_back or now >= f.next_poll]
        for follower in due:
            follower.next_poll = now + self.poll_interval
        return due

    def _pause(self, error: str, backoff: float) -> None:
        self.last_error = error
        for follower in self.followers:
            follower.forget_position()
            follower.prompted = True  # every log is read again after the pause
        log.warning("%s paused, %s; retrying in %.1f s", self.name, error, backoff)
        self._stopping.wait(backoff)


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


def _topics(interests: tuple[type, ...] | None) -> tuple[str, ...]:
    """The stored topics of these event classes and every subclass (and the topics they
    were stored under before a rename); () for every event."""
    if interests is None:
        return ()
    found: dict[str, None] = {}
    waiting = list(interests)
    while waiting:
        cls = waiting.pop()
        found[get_topic(cls)] = None
        found.update(dict.fromkeys(getattr(cls, "LEGACY_TOPICS", ())))
        waiting.extend(cls.__subclasses__())
    return tuple(found)
