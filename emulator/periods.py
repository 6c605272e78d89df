"""Billing periods as Stripe counts them, from a subscription's ``billing_cycle_anchor``.

Days and weeks are fixed lengths of time. Months and years follow the calendar (UTC) and keep the
anchor's day of the month: an anchor on Jan 31 renews on Feb 28 (29 in a leap year), then Mar 31,
Apr 30, May 31... The n-th boundary is always counted from the anchor, never from the previous
boundary, so a short month never shifts the days that follow it.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

_SECONDS = {"day": 86_400, "week": 7 * 86_400}
_MONTHS = {"month": 1, "year": 12}


def add_months(anchor: int, months: int) -> int:
    """``anchor`` plus ``months`` calendar months, the day clamped to the month's last day."""
    moment = datetime.fromtimestamp(anchor, UTC)
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def boundary(anchor: int, interval: str, count: int, n: int) -> int:
    """The end of the n-th period (n = 1 is the first period's end) of ``count`` x ``interval``."""
    if interval in _SECONDS:
        return anchor + _SECONDS[interval] * count * n
    return add_months(anchor, _MONTHS[interval] * count * n)


def next_period(anchor: int, interval: str, count: int, end: int) -> tuple[int, int]:
    """The period that starts at ``end`` (a boundary of the anchor): ``(start, new end)``."""
    n = 1
    while boundary(anchor, interval, count, n) <= end:
        n += 1
    return end, boundary(anchor, interval, count, n)
