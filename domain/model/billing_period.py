"""Billing periods: where the n-th period of a subscription starts, by Stripe's calendar rule.

Every boundary is computed from the subscription's anchor, never from the previous
boundary, so a month that is too short clamps to its last day and the next one goes back
to the anchor's day: Jan 31 + 1 month = Feb 28 (29 in a leap year), + 2 months = Mar 31.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

INTERVALS = ("day", "week", "month", "year")
MAX_INTERVAL_COUNT = {"day": 365, "week": 52, "month": 12, "year": 1}  # Stripe: at most a year


@dataclass(frozen=True)
class Interval:
    """Every ``count`` ``unit`` (day, week, month or year)."""

    unit: str
    count: int = 1

    def __post_init__(self) -> None:
        if self.unit not in INTERVALS:
            raise ValueError(f"interval must be one of {', '.join(INTERVALS)}")
        if not 1 <= self.count <= MAX_INTERVAL_COUNT[self.unit]:
            raise ValueError(f"interval_count must be from 1 to {MAX_INTERVAL_COUNT[self.unit]} "
                             f"for {self.unit}")

    def boundary(self, anchor: datetime, n: int) -> datetime:
        """The start of period ``n`` (0 is the first) of a subscription anchored at ``anchor``."""
        steps = n * self.count
        if self.unit == "day":
            return anchor + timedelta(days=steps)
        if self.unit == "week":
            return anchor + timedelta(weeks=steps)
        months = steps * (12 if self.unit == "year" else 1)
        return add_months(anchor, months)

    def describe(self) -> str:
        """``month``, ``3 months``."""
        return self.unit if self.count == 1 else f"{self.count} {self.unit}s"


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` ``months`` calendar months later, the day clamped to the month's last."""
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)
