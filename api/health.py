"""``GET /healthz``: the store answers, and the background processing keeps up.

The web process does not run the followers (the worker does), so it judges them by what
the store shows: each follower's position in its upstream log, and how much of that log
is left. A follower is **stalled** when work waits (lag > 0) and its position has not
moved for ``stall_after`` seconds (60 by default) between health checks. Then the answer
is ``503 {"status": "degraded", ...}`` naming it; a store that does not answer is
``503 {"status": "unavailable"}``. A follower paused by a Stripe or mail outage counts as
stalled once the outage outlasts the threshold: work is waiting either way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from eventsourcing.persistence import PersistenceError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.system import Services

STALL_AFTER_SECONDS = 60.0


@dataclass
class _Seen:
    position: int
    since: float  # when the position was first seen at this value


class ProgressWatch:
    """Remembers when each follower's position last moved."""

    def __init__(self, stall_after: float = STALL_AFTER_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stall_after = stall_after
        self.clock = clock
        self._seen: dict[str, _Seen] = {}
        self._lock = threading.Lock()

    def report(self, services: Services) -> tuple[bool, dict[str, dict[str, object]]]:
        """(healthy, per follower: position, lag, stalled_seconds) as of now."""
        now = self.clock()
        healthy = True
        followers: dict[str, dict[str, object]] = {}
        for follower in services.followers:
            position = follower.position()
            lag = follower.lag()
            with self._lock:
                seen = self._seen.get(follower.name)
                if seen is None or seen.position != position or lag == 0:
                    seen = self._seen[follower.name] = _Seen(position, now)
            stalled = now - seen.since if lag else 0.0
            entry: dict[str, object] = {"position": position, "lag": lag}
            if lag and stalled >= self.stall_after:
                healthy = False
                entry["stalled_seconds"] = round(stalled, 1)
            followers[follower.name] = entry
        return healthy, followers


async def healthz(request: Request) -> Response:
    services: Services = request.app.state.services
    watch: ProgressWatch = request.app.state.progress
    try:
        await run_in_threadpool(services.inbox.ping)
        healthy, followers = await run_in_threadpool(watch.report, services)
    except PersistenceError as failure:
        return JSONResponse({"status": "unavailable", "error": str(failure)}, status_code=503)
    if not healthy:
        return JSONResponse({"status": "degraded", "followers": followers}, status_code=503)
    return JSONResponse({"status": "ok", "followers": followers})
