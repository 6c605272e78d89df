"""Dunning, and what a merchant-managed subscription has to do next.

A declined renewal is retried on a schedule counted from the failure (by default 1, 3
and 5 days after it); when the last retry fails the subscription becomes ``unpaid`` (or
``canceled``). A first period that is not paid is never dunned: the subscription stays
``incomplete`` and ends after 23 hours, as Stripe's incomplete subscriptions do.
The subscription's ``next_step`` decides, from these rules, what is due and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.model.subscription_facts import CANCELED, UNPAID

DAY = 86_400
DEFAULT_SCHEDULE = (1 * DAY, 3 * DAY, 5 * DAY)
FINAL_STATUSES = (UNPAID, CANCELED)
INCOMPLETE_EXPIRES = timedelta(hours=23)

# What a step does.
CHARGE = "charge"  # charge an attempt of the current period (the first, a retry, or again)
RENEW = "renew"  # the period ended: begin the next one and charge it
END = "end"  # canceled at the end of the period
EXPIRE = "expire"  # the first period was never paid


@dataclass(frozen=True)
class Dunning:
    """Seconds after the first failure of a period at which it is tried again, and what the
    subscription becomes when every retry failed."""

    schedule: tuple[int, ...] = DEFAULT_SCHEDULE
    final: str = UNPAID

    def __post_init__(self) -> None:
        object.__setattr__(self, "schedule", tuple(self.schedule))
        if self.final not in FINAL_STATUSES:
            raise ValueError(f"the final status must be one of {', '.join(FINAL_STATUSES)}")
        if any(b <= a for a, b in zip((0, *self.schedule), self.schedule, strict=False)):
            raise ValueError("retries must come later and later after the failure")

    def retry_after(self, failed_attempts: int, first_failure: datetime) -> datetime | None:
        """When to try again once ``failed_attempts`` attempts of a period have failed."""
        if failed_attempts > len(self.schedule):
            return None
        return first_failure + timedelta(seconds=self.schedule[failed_attempts - 1])


@dataclass(frozen=True)
class Step:
    """One thing a subscription has to do at ``due_at``."""

    kind: str
    due_at: datetime
    period: int
    attempt: int


def parse_duration(raw: str) -> int:
    """``3d`` (units s, m, h, d) -> seconds; ValueError naming what is wrong."""
    units = {"s": 1, "m": 60, "h": 3600, "d": DAY}
    number, unit = raw.strip()[:-1], raw.strip()[-1:]
    if unit not in units or not number.isdigit() or int(number) == 0:
        raise ValueError(f"expected a duration like 3d (units s, m, h, d), got {raw!r}")
    return int(number) * units[unit]


def parse_schedule(raw: str) -> tuple[int, ...]:
    """``1d,3d,5d`` -> seconds after the failure; ValueError naming what is wrong."""
    seconds = [parse_duration(part) for part in raw.split(",") if part.strip()]
    if not seconds:
        raise ValueError("expected at least one duration, e.g. 1d,3d,5d")
    Dunning(tuple(seconds))  # in increasing order
    return tuple(seconds)
