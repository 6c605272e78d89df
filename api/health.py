"""``GET /healthz``: the store answers, and the background processing keeps up.

The web process does not run the followers (the worker does), so it judges them by what
the store shows: each follower's position in its upstream log, and how much of that log
is left. A follower is **stalled** when work waits (lag > 0) and its position has not
moved for ``stall_after`` seconds (60 by default) between readings. Then the answer is
``503 {"status": "degraded", ...}`` naming it; a store that does not answer is
``503 {"status": "unavailable"}``. A follower paused by a Stripe or mail outage counts as
stalled once the outage outlasts the threshold: work is waiting either way.

Cheap enough to poll often: the store is asked one cheap question at most every 0.5 s
(:data:`PROBE_EVERY`), the followers' reading (a query per application and per upstream log,
and one per follower behind its upstream's head) taken at most every second
(:data:`READING_EVERY`), per process, each by one request at a time and off the event loop;
the requests meanwhile share them, and ``age_ms`` says how old each is. A store that stops
answering is a 503 within about PROBE_EVERY plus the pool's wait (2 s on PostgreSQL).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Generic, TypeVar

from eventsourcing.persistence import PersistenceError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from adapters.progress import read_progress
from api.system import Services

STALL_AFTER_SECONDS = 60.0
READING_EVERY = 1.0  # seconds a reading of the followers is reused (Seams.health_every)
PROBE_EVERY = 0.5  # seconds the store's last answer is trusted

T = TypeVar("T")


class Reused(Generic[T]):
    """A value taken at most once per ``every`` seconds, off the event loop (in the loop's
    default thread pool), by one request at a time: the requests that come while it is
    taken wait for it rather than take their own. A failure is given to those waiting, and
    not kept."""

    def __init__(self, every: float, clock: Callable[[], float]) -> None:
        self.every = every
        self.clock = clock
        self.taken = 0  # takes started so far
        self._last: tuple[T, float] | None = None  # the value, and when it was taken
        self._pending: Future[tuple[T, float]] | None = None
        self._lock = threading.Lock()  # held for no I/O

    async def get(self, take: Callable[[], T]) -> tuple[T, float]:
        """The value and when it was taken (the clock's time)."""
        with self._lock:
            last = self._last
            if last is not None and self.clock() - last[1] < self.every:
                return last
            pending = self._pending
            if pending is None:
                pending = self._pending = Future()
                pending.set_running_or_notify_cancel()  # a waiter gone cannot cancel it
                self.taken += 1
                # Started here, not awaited: a request cancelled meanwhile leaves none
                # of the others waiting for a take that never began.
                asyncio.get_running_loop().run_in_executor(None, self._take, take, pending)
        return await asyncio.wrap_future(pending)

    def _take(self, take: Callable[[], T], pending: Future[tuple[T, float]]) -> None:
        try:
            value = take(), self.clock()
        except BaseException as error:
            with self._lock:
                self._pending = None
            pending.set_exception(error)
            return
        with self._lock:
            self._last, self._pending = value, None
        pending.set_result(value)


@dataclass
class _Seen:
    position: int
    since: float  # when the position was first seen at this value


@dataclass(frozen=True)
class Reading:
    """The followers as one reading found them."""

    healthy: bool
    followers: dict[str, dict[str, object]]


@dataclass(frozen=True)
class Health:
    """What ``/healthz`` answers: the followers' last reading, and the age in ms of it and
    of the store's last answer."""

    reading: Reading
    store_age_ms: int
    followers_age_ms: int


class ProgressWatch:
    """Asks the store (at most once per ``probe_every`` seconds), takes the followers'
    reading (at most once per ``every`` seconds), and remembers when each follower's
    position last moved."""

    def __init__(self, stall_after: float = STALL_AFTER_SECONDS,
                 clock: Callable[[], float] = time.monotonic, every: float = READING_EVERY,
                 probe_every: float = PROBE_EVERY) -> None:
        self.stall_after = stall_after
        self.clock = clock
        self.probes: Reused[None] = Reused(probe_every, clock)
        self.readings: Reused[Reading] = Reused(every, clock)
        self._seen: dict[str, _Seen] = {}

    async def health(self, services: Services) -> Health:
        """Raises the store's error when it does not answer."""
        _, probed = await self.probes.get(services.inbox.ping)
        reading, read = await self.readings.get(lambda: self.report(services))
        now = self.clock()
        return Health(reading, _ms(now - probed), _ms(now - read))

    def report(self, services: Services) -> Reading:
        """A new reading: per follower its position, lag and stalled_seconds as of now
        (one at a time: :class:`Reused` takes it)."""
        progress = read_progress(services.followers)
        now = self.clock()
        healthy = True
        followers: dict[str, dict[str, object]] = {}
        for name, (position, lag) in progress.items():
            seen = self._seen.get(name)
            if seen is None or seen.position != position or lag == 0:
                seen = self._seen[name] = _Seen(position, now)
            stalled = now - seen.since if lag else 0.0
            entry: dict[str, object] = {"position": position, "lag": lag}
            if lag and stalled >= self.stall_after:
                healthy = False
                entry["stalled_seconds"] = round(stalled, 1)
            followers[name] = entry
        return Reading(healthy, followers)


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


async def healthz(request: Request) -> Response:
    services: Services = request.app.state.services
    watch: ProgressWatch = request.app.state.progress
    try:
        health = await watch.health(services)
    except PersistenceError as failure:
        return JSONResponse({"status": "unavailable", "error": str(failure)}, status_code=503)
    healthy = health.reading.healthy
    body = {"status": "ok" if healthy else "degraded", "followers": health.reading.followers,
            "age_ms": {"store": health.store_age_ms, "followers": health.followers_age_ms}}
    return JSONResponse(body, status_code=200 if healthy else 503)
