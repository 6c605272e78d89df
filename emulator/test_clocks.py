"""Test clocks (``test_helpers.test_clock``): a frozen time that customers, and so their
subscriptions and invoices, live in, moved forward on demand.

Advancing answers at once with ``status: "advancing"`` and the new ``frozen_time``
(``test_helpers.test_clock.advancing``); the work runs right after on the emulator's timer thread,
as Stripe does it in the background: every subscription of the clock's customers renews period by
period and retries its failed invoice, all in time order, each step at its own moment of the
clock's time (objects' and events' ``created``). Then the clock is ``ready``
(``test_helpers.test_clock.ready``). Poll the clock until it is ready.
"""

from __future__ import annotations

import logging
from typing import Any

from emulator import subscriptions
from emulator.errors import invalid
from emulator.ids import new_id
from emulator.objects import frozen_at, now
from emulator.shapes import template
from emulator.state import EmulatorState

log = logging.getLogger(__name__)

KIND = "test_helpers.test_clock"
LIFETIME = 30 * 86_400  # Stripe deletes a test clock 30 days after it was created


def create(state: EmulatorState, frozen_time: int, name: str | None) -> dict[str, Any]:
    """A ``clock_...`` at ``frozen_time`` (``test_helpers.test_clock.created``)."""
    clock = template(KIND)
    created = now()
    clock.update(id=new_id("clock"), created=created, deletes_after=created + LIFETIME,
                 frozen_time=frozen_time, name=name, status="ready", status_details={},
                 livemode=False)
    state.put(clock)
    state.emit("test_helpers.test_clock.created", clock)
    return clock


def start_advance(state: EmulatorState, clock: dict[str, Any], frozen_time: int) -> None:
    """Check and record the new time (``status: advancing``); :func:`finish_advance` does it."""
    if clock["status"] == "advancing":
        raise invalid("The test clock is currently advancing. Please wait until it is ready "
                      "before advancing it again.", param="frozen_time")
    if frozen_time <= clock["frozen_time"]:
        raise invalid("The frozen time must be after the current frozen time of the test clock "
                      f"({clock['frozen_time']}).", param="frozen_time")
    clock["status"] = "advancing"
    clock["status_details"] = {"advancing": {"target_frozen_time": frozen_time}}
    clock["frozen_time"] = frozen_time
    with frozen_at(frozen_time):
        state.emit("test_helpers.test_clock.advancing", clock)


def finish_advance(state: EmulatorState, clock_id: str) -> None:
    """Timer job: everything due up to the clock's new time, in order; then ``ready`` (or
    ``internal_failure`` if the emulator itself failed on the way)."""
    with state.lock:
        clock = state.find(KIND, clock_id)
        if clock is None or clock["status"] != "advancing":
            return
        target = clock["frozen_time"]
        outcome = "ready"
        try:
            _catch_up(state, clock_id, target)
        except Exception:
            log.exception("test clock %s failed to advance", clock_id)
            outcome = "internal_failure"
        clock.update(status=outcome, status_details={})
        with frozen_at(target):
            state.emit(f"test_helpers.test_clock.{outcome}", clock)


def _catch_up(state: EmulatorState, clock_id: str, target: int) -> None:
    """Every renewal and retry due by ``target``, earliest first, each at its own moment."""
    while True:
        step = _next_step(state, clock_id, target)
        if step is None:
            return
        moment, what, sub = step
        with frozen_at(moment):
            subscriptions.run(state, sub, what)


def _next_step(state: EmulatorState, clock_id: str, until: int
               ) -> tuple[int, str, dict[str, Any]] | None:
    """The earliest renewal or retry due among the clock's subscriptions."""
    steps = []
    for sub in state.all("subscription"):
        if sub["test_clock"] != clock_id:
            continue
        found = subscriptions.due(state, sub, until)
        if found is not None:
            steps.append((found[0], found[1], sub["created"], sub))
    if not steps:
        return None
    moment, what, _, sub = min(steps, key=lambda s: (s[0], s[2], s[1]))
    return moment, what, sub


def delete(state: EmulatorState, clock: dict[str, Any]) -> dict[str, Any]:
    """Delete the clock and, as Stripe does, its customers and their subscriptions and
    invoices (``test_helpers.test_clock.deleted``)."""
    for customer in [c for c in state.all("customer") if c["test_clock"] == clock["id"]]:
        deleted = template("deleted_customer")
        deleted.update(id=customer["id"], object="customer", deleted=True)
        state.deleted_customers[customer["id"]] = deleted
        del state.objects["customer"][customer["id"]]
    for kind in ("subscription", "invoice"):
        for obj in [o for o in state.all(kind) if o["test_clock"] == clock["id"]]:
            del state.objects[kind][obj["id"]]
    del state.objects[KIND][clock["id"]]
    state.emit("test_helpers.test_clock.deleted", clock)
    gone = template("deleted_" + KIND)
    gone.update(id=clock["id"], object=KIND, deleted=True)
    return gone
