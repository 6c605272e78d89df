"""``/_emulator/clock``: move the clock of the hosted page's time-window rules (test switch, JSON).

The rules that depend on how old a Checkout Session is (the returning customer's prefill is gone
30 minutes after the session was created, :mod:`emulator.prefill`) read ``state.clock``. This
moves it, so a browser test or a demo sees the prefill expire without waiting half an hour:

- ``GET /_emulator/clock``: ``{"now": unix seconds, "offset_seconds": N}``;
- ``POST /_emulator/clock`` ``{"advance_seconds": N}`` (N >= 0) moves it forward; ``{"reset":
  true}`` puts it back to real time. ``/_emulator/reset`` leaves it as it is.

Stripe's own test clocks (``/v1/test_helpers/test_clocks``, for subscriptions) are another thing.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from emulator.objects import now
from emulator.routes.control import BadControlRequest, bad_request, json_body
from emulator.runtime import runtime_of

MAX_ADVANCE = 10 * 366 * 24 * 3600


class ShiftedClock:
    """Real time plus ``offset`` seconds (what ``state.clock`` becomes)."""

    def __init__(self, offset: int) -> None:
        self.offset = offset

    def __call__(self) -> int:
        return now() + self.offset


def _offset(clock: object) -> int:
    return clock.offset if isinstance(clock, ShiftedClock) else 0


async def page_clock(request: Request) -> JSONResponse:
    """Read or move the clock."""
    state = runtime_of(request).state
    if request.method == "POST":
        try:
            body = await json_body(request)
        except BadControlRequest as exc:
            return bad_request(str(exc))
        unknown = sorted(set(body) - {"advance_seconds", "reset"})
        if unknown or len(body) != 1:
            return bad_request('give {"advance_seconds": N} or {"reset": true}')
        if "reset" in body:
            if body["reset"] is not True:
                return bad_request("reset must be true")
            state.clock = now
        else:
            seconds = body["advance_seconds"]
            if not isinstance(seconds, int) or isinstance(seconds, bool) \
                    or not 0 <= seconds <= MAX_ADVANCE:
                return bad_request(f"advance_seconds must be an integer from 0 to {MAX_ADVANCE}")
            state.clock = ShiftedClock(_offset(state.clock) + seconds)
    return JSONResponse({"now": state.clock(), "offset_seconds": _offset(state.clock)})


routes = [Route("/_emulator/clock", page_clock, methods=["GET", "POST"])]
