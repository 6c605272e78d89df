"""Advancing a test clock renews its subscriptions period by period, in the clock's time."""

from __future__ import annotations

from typing import Any

import stripe

from tests.integration.emulator.billing_support import (
    advance,
    clock,
    customer,
    events,
    invoices,
    price,
    subscribe,
    ts,
    types,
)


def _periods(client: stripe.StripeClient, sub_id: str) -> list[tuple[Any, ...]]:
    return [(i["billing_reason"], i["status"], i["lines"]["data"][0]["period"]["start"],
             i["lines"]["data"][0]["period"]["end"]) for i in invoices(client, sub_id)]


def test_monthly_renewals_keep_the_31st_through_february_of_a_leap_year(
    client: stripe.StripeClient,
) -> None:
    made = clock(client, ts(2028, 1, 31, 12))
    cus, pm = customer(client, made.id)
    sub = subscribe(client, cus, pm, price(client).id)

    advance(client, made.id, ts(2028, 4, 1))

    assert _periods(client, sub.id) == [
        ("subscription_create", "paid", ts(2028, 1, 31, 12), ts(2028, 2, 29, 12)),
        ("subscription_cycle", "paid", ts(2028, 2, 29, 12), ts(2028, 3, 31, 12)),
        ("subscription_cycle", "paid", ts(2028, 3, 31, 12), ts(2028, 4, 30, 12)),
    ]
    item = client.v1.subscriptions.retrieve(sub.id)["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (ts(2028, 3, 31, 12),
                                                                    ts(2028, 4, 30, 12))


def test_february_has_28_days_in_a_common_year(client: stripe.StripeClient) -> None:
    made = clock(client, ts(2027, 1, 31))
    cus, pm = customer(client, made.id)
    sub = subscribe(client, cus, pm, price(client).id)

    advance(client, made.id, ts(2027, 3, 1))

    assert [p[2:] for p in _periods(client, sub.id)] == [
        (ts(2027, 1, 31), ts(2027, 2, 28)), (ts(2027, 2, 28), ts(2027, 3, 31))]


def test_a_renewal_emits_stripes_events_at_the_clocks_time(client: stripe.StripeClient) -> None:
    made = clock(client, ts(2027, 5, 10))
    cus, pm = customer(client, made.id)
    sub = subscribe(client, cus, pm, price(client).id)
    first_invoice = sub.latest_invoice
    before = len(events(client))

    advance(client, made.id, ts(2027, 6, 10, 6))

    found = events(client)[before + 1:]  # after test_helpers.test_clock.advancing
    assert types(found) == [
        "customer.subscription.updated", "invoice.created", "invoice.finalized",
        "payment_intent.created", "charge.succeeded", "payment_intent.succeeded",
        "invoice.paid", "invoice.payment_succeeded", "test_helpers.test_clock.ready"]
    assert all(e["created"] == ts(2027, 6, 10) for e in found[:-1])
    assert found[-1]["created"] == ts(2027, 6, 10, 6)
    assert all(e["request"]["id"] is None for e in found)
    updated = found[0]["data"]
    assert updated["previous_attributes"]["latest_invoice"] == first_invoice
    old_item = updated["previous_attributes"]["items"]["data"][0]
    assert (old_item["current_period_start"], old_item["current_period_end"]) == (
        ts(2027, 5, 10), ts(2027, 6, 10))
    assert updated["object"]["items"]["data"][0]["current_period_end"] == ts(2027, 7, 10)
    assert found[1]["data"]["object"]["billing_reason"] == "subscription_cycle"
    assert found[1]["data"]["object"]["period_end"] == ts(2027, 6, 10)


def test_other_intervals_renew_by_their_own_length(client: stripe.StripeClient) -> None:
    made = clock(client, ts(2027, 1, 1))
    cus, pm = customer(client, made.id)
    fortnightly = subscribe(client, cus, pm, price(client, interval="week", count=2).id)
    daily = subscribe(client, cus, pm, price(client, interval="day").id)
    yearly = subscribe(client, cus, pm, price(client, interval="year").id)

    advance(client, made.id, ts(2027, 1, 29))

    assert [p[3] for p in _periods(client, fortnightly.id)] == [
        ts(2027, 1, 15), ts(2027, 1, 29), ts(2027, 2, 12)]
    assert len(_periods(client, daily.id)) == 29
    assert _periods(client, daily.id)[-1][2:] == (ts(2027, 1, 29), ts(2027, 1, 30))
    assert [p[3] for p in _periods(client, yearly.id)] == [ts(2028, 1, 1)]


def test_only_the_advanced_clocks_subscriptions_renew(client: stripe.StripeClient) -> None:
    mine, other = clock(client, ts(2027, 1, 1)), clock(client, ts(2027, 1, 1))
    cus, pm = customer(client, mine.id)
    other_cus, other_pm = customer(client, other.id)
    real_cus, real_pm = customer(client)
    subscribe(client, cus, pm, price(client).id)
    untouched = subscribe(client, other_cus, other_pm, price(client).id)
    real = subscribe(client, real_cus, real_pm, price(client).id)

    advance(client, mine.id, ts(2027, 3, 1))

    assert len(_periods(client, untouched.id)) == len(_periods(client, real.id)) == 1


def test_cancel_at_period_end_ends_the_subscription_at_the_period_end(
    client: stripe.StripeClient,
) -> None:
    made = clock(client, ts(2027, 1, 1))
    cus, pm = customer(client, made.id)
    sub = subscribe(client, cus, pm, price(client).id)
    client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})

    advance(client, made.id, ts(2027, 1, 20))
    still = client.v1.subscriptions.retrieve(sub.id)
    advance(client, made.id, ts(2027, 3, 1))
    ended = client.v1.subscriptions.retrieve(sub.id)

    assert still.status == "active" and still.canceled_at == ts(2027, 1, 1)
    assert (ended.status, ended.ended_at, ended.canceled_at) == (
        "canceled", ts(2027, 2, 1), ts(2027, 1, 1))
    assert len(_periods(client, sub.id)) == 1
    last = events(client, sub.id)[-1]
    assert (last["type"], last["created"]) == ("customer.subscription.deleted", ts(2027, 2, 1))


def test_a_subscription_created_with_cancel_at_period_end_never_renews(
    client: stripe.StripeClient,
) -> None:
    made = clock(client, ts(2027, 1, 1))
    cus, pm = customer(client, made.id)
    sub = subscribe(client, cus, pm, price(client, interval="week").id,
                    cancel_at_period_end=True)

    advance(client, made.id, ts(2027, 2, 1))

    assert sub.cancel_at == ts(2027, 1, 8)
    assert client.v1.subscriptions.retrieve(sub.id).status == "canceled"
    assert len(_periods(client, sub.id)) == 1


def test_a_subscription_canceled_now_does_not_renew(client: stripe.StripeClient) -> None:
    made = clock(client, ts(2027, 1, 1))
    cus, pm = customer(client, made.id)
    sub = subscribe(client, cus, pm, price(client).id)
    advance(client, made.id, ts(2027, 1, 5))

    canceled = client.v1.subscriptions.cancel(sub.id)
    advance(client, made.id, ts(2027, 3, 1))

    assert canceled.canceled_at == canceled.ended_at == ts(2027, 1, 5)
    assert len(_periods(client, sub.id)) == 1
