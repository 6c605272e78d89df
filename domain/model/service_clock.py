"""The service's movable clock (``TEST_CLOCK=1``): the time every process agrees on.

Like Stripe's test clocks it is frozen: it stands at the instant it was first read until
someone moves it forward, and it never goes back. Kept as an aggregate so the web process
that moves it and the worker that renews on it read the same time.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.model.base import Record

CLOCK_ID: UUID = uuid5(NAMESPACE_URL, "checkout-ledger:test-clock")


class ClockMovedBack(ValueError):
    """A clock is never moved back."""


class ServiceClock(Record):
    class Set(Record.Event):
        to: datetime
        actor: str

        def apply(self, clock: ServiceClock) -> None:
            clock.now = self.to

    def start(self) -> None:
        self.now: datetime | None = None

    @classmethod
    def the_one(cls) -> ServiceClock:
        return cls.blank(CLOCK_ID)

    def move_to(self, to: datetime, actor: str) -> bool:
        """Move forward to ``to``; False if it stands there already."""
        if self.now is not None and to < self.now:
            raise ClockMovedBack(f"the clock stands at {self.now.isoformat()} and never goes back")
        if to == self.now:
            return False
        self.trigger_event(self.Set, to=to, actor=actor)
        return True
