"""The rules of merchant-managed subscriptions, without I/O: calendar periods, what is due
next, the dunning schedule, and who is entitled when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.model.access import Access, Purchase
from domain.model.billing_period import Interval, add_months
from domain.model.dunning import CHARGE, DAY, END, EXPIRE, RENEW, Dunning, parse_schedule
from domain.model.subscription import Plan, Subscription, attempt_key, attempt_of
from domain.model.subscription_facts import SubscriptionView

JAN31 = datetime(2027, 1, 31, 9, 30, tzinfo=UTC)


def at(month: int, day: int, year: int = 2027) -> datetime:
    return datetime(year, month, day, 9, 30, tzinfo=UTC)


def test_calendar_months_clamp_to_the_months_end_then_go_back_to_the_anchor_day() -> None:
    monthly = Interval("month")
    assert [monthly.boundary(JAN31, n) for n in range(4)] == [
        JAN31, at(2, 28), at(3, 31), at(4, 30)]
    assert Interval("month").boundary(at(1, 31, 2028), 1) == at(2, 29, 2028)
    assert Interval("year").boundary(at(2, 29, 2028), 1) == at(2, 28, 2029)
    assert Interval("week", 2).boundary(JAN31, 3) == JAN31 + timedelta(weeks=6)
    assert Interval("month", 3).boundary(JAN31, 1) == at(4, 30)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)),
       st.integers(0, 400))
def test_a_month_boundary_keeps_the_anchor_day_when_the_month_has_it(moment: datetime,
                                                                    months: int) -> None:
    later = add_months(moment, months)
    assert (later.year * 12 + later.month) - (moment.year * 12 + moment.month) == months
    assert later.day == moment.day or (later.day < moment.day and (
        add_months(later.replace(day=1), 1) - timedelta(days=1)).day == later.day)


@pytest.mark.parametrize(("unit", "count"), [("fortnight", 1), ("month", 0), ("month", 13),
                                             ("year", 2), ("day", 366)])
def test_intervals_beyond_a_year_or_unknown_are_refused(unit: str, count: int) -> None:
    with pytest.raises(ValueError):
        Interval(unit, count)


def started(dunning: Dunning | None = None) -> Subscription:
    sub = Subscription.of("msub_" + "a" * 24)
    sub.begin("msub_" + "a" * 24, "cus_1", "ada@example.com",
              Plan(1500, "usd", "month", 1, "Pro"), "pm_1", JAN31, dunning or Dunning(), "alice")
    return sub


def charge_step(sub: Subscription, paid: bool) -> None:
    step = sub.next_step()
    assert step is not None and step.kind == CHARGE
    assert sub.attempt(step, f"chg_{step.period}_{step.attempt}", "system")
    if paid:
        assert sub.record_paid(step.period, f"chg_{step.period}_{step.attempt}", "charge")
    else:
        assert sub.record_failure(step.period, step.attempt, f"chg_{step.period}_{step.attempt}",
                                  "declined", None)


def test_the_steps_of_a_subscription_from_first_charge_to_renewal_to_end() -> None:
    sub = started()
    assert sub.next_step().kind == CHARGE and sub.status == "incomplete"  # type: ignore[union-attr]
    charge_step(sub, paid=True)
    assert sub.next_step().kind == RENEW and sub.next_step().due_at == at(2, 28)  # type: ignore[union-attr]
    sub.renew()
    charge_step(sub, paid=True)
    assert sub.cancel(True, "alice", "moving")
    step = sub.next_step()
    assert step is not None and (step.kind, step.due_at) == (END, at(3, 31))


def test_a_declined_renewal_is_retried_on_schedule_then_becomes_the_final_status() -> None:
    sub = started(Dunning((1 * DAY, 3 * DAY, 5 * DAY), "canceled"))
    charge_step(sub, paid=True)
    sub.renew()
    retries = []
    for _ in range(4):
        charge_step(sub, paid=False)
        retries.append(sub.next_retry_at)
    assert retries == [at(3, 1), at(3, 3), at(3, 5), None]
    assert (sub.status, sub.next_step(), sub.past_due_since) == ("canceled", None, at(2, 28))


def test_an_unpaid_first_period_is_never_dunned_and_expires() -> None:
    sub = started()
    charge_step(sub, paid=False)
    step = sub.next_step()
    assert sub.status == "incomplete" and sub.next_retry_at is None
    assert step is not None and (step.kind, step.due_at) == (EXPIRE, JAN31 + timedelta(hours=23))


def test_an_attempt_is_asked_once_and_a_stale_outcome_changes_nothing() -> None:
    sub = started()
    step = sub.next_step()
    assert step is not None
    assert sub.attempt(step, "chg_1", "system") and not sub.attempt(step, "chg_1", "system")
    assert sub.record_paid(0, "chg_1", "charge") and not sub.record_paid(0, "chg_1", "recovery")
    assert not sub.record_failure(0, 0, "chg_1", "late decline", None)


def test_renewal_keys_name_their_attempt_and_no_other_key_does() -> None:
    key = attempt_key("msub_" + "b" * 24, 3, 1)
    assert attempt_of(key) == ("msub_" + "b" * 24, 3, 1)
    assert [attempt_of(k) for k in (None, "order-1", "sub:x:1:1", "sub:msub_1:a:0")] == [
        None, None, None, None]


def test_dunning_schedules_are_parsed_and_checked() -> None:
    assert parse_schedule("1d,3d,5d") == (DAY, 3 * DAY, 5 * DAY)
    assert parse_schedule("90s, 2h") == (90, 7200)
    for bad in ("", "1d,1d", "3d,1d", "1w", "d", "0d", "-1d"):
        with pytest.raises(ValueError):
            parse_schedule(bad)
    with pytest.raises(ValueError):
        Dunning((DAY,), "deleted")


def view(status: str, **extra: object) -> SubscriptionView:
    fields: dict[str, object] = {
        "id": "msub_1", "kind": "merchant", "customer": "cus_1", "status": status,
        "current_period_start": at(1, 1), "current_period_end": at(2, 1), "plan": "Pro",
        "started_at": at(1, 1), **extra}
    return SubscriptionView(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("subscription", "now", "until"), [
    (view("active"), at(1, 15), at(2, 1)),
    (view("active"), at(2, 3), at(2, 1)),  # renewal not taken yet: still active
    (view("active", cancel_at_period_end=True), at(1, 31), at(2, 1)),
    (view("active", cancel_at_period_end=True), at(2, 1), None),
    (view("past_due", past_due_since=at(2, 1)), at(2, 3), at(2, 4)),
    (view("past_due", past_due_since=at(2, 1)), at(2, 4), None),
    (view("unpaid"), at(1, 15), None),
    (view("canceled"), at(1, 15), None),
    (view("incomplete"), at(1, 15), None),
])
def test_who_is_entitled_when(subscription: SubscriptionView, now: datetime,
                              until: datetime | None) -> None:
    access = Access.of("cus_1")
    access.purchase(Purchase("cs_1", "price_1", "Book", 1, at(1, 2)))
    access.subscription_changed(subscription)
    found = access.entitlements(now, timedelta(days=3))
    assert [(e.source, e.until) for e in found] == [("cs_1", None)] + (
        [("msub_1", until)] if until else [])
    assert not access.purchase(Purchase("cs_1", "price_1", "Book", 1, at(1, 2)))
