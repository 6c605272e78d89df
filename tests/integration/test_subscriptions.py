"""Merchant-managed subscriptions through HTTP, the real SDK and the emulator, on SQLite and
PostgreSQL, played months in seconds with the service's test clock: each period charged
once, declines dunned on schedule, recoveries, cancels, and entitlements at every step."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
from eventsourcing.application import project_aggregate
from starlette.testclient import TestClient

from domain.apps.customers import SNAPSHOT_EVERY
from domain.model.access import access_uuid
from tests.conftest import STAFF, settle
from tests.integration.test_saved_cards import save_card
from tests.support.console import act, sign_in
from tests.support.purchases import Shop
from tests.support.versions import read_every_version

pytest_plugins = ["tests.support.purchase_fixtures"]

DAY = 86_400


@pytest.fixture
def database_url(own_database_url: str) -> str:
    """A store of the test's own: the test clock and the schedule are one per store."""
    return own_database_url


@pytest.fixture
def service(make_service: Callable[..., TestClient]) -> TestClient:
    return make_service(TEST_CLOCK="1")


def subscribe(service: TestClient, customer: str, **body: Any) -> dict[str, Any]:
    answer = service.post(f"/customers/{customer}/subscriptions", headers=STAFF,
                          json={"amount": 1500, "currency": "usd", "interval": "month", **body})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def advance(service: TestClient, **body: Any) -> dict[str, Any]:
    answer = service.post("/support/clock/advance", headers=STAFF, json=body)
    assert answer.status_code == 200, answer.text
    settle(service, fulfil=True)
    return dict(answer.json())


def subscription(service: TestClient, sub_id: str) -> dict[str, Any]:
    answer = service.get(f"/subscriptions/{sub_id}", headers=STAFF)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def entitled(service: TestClient, customer: str) -> list[str]:
    answer = service.get(f"/customers/{customer}/entitlements", headers=STAFF)
    assert answer.status_code == 200, answer.text
    return [e["source"] for e in answer.json()["entitlements"]]


def decline_next(shop: Shop, count: int = 1) -> None:
    """The next ``count`` charges are declined by the bank, as Stripe answers them (402)."""
    shop._control("/_emulator/faults", {
        "method": "POST", "path": "/v1/payment_intents", "fault": "error", "count": count,
        "status": 402, "error": {"type": "card_error", "code": "card_declined",
                                 "decline_code": "insufficient_funds",
                                 "message": "Your card has insufficient funds."}})


def declined_renewal(service: TestClient, shop: Shop, declines: int = 1
                     ) -> tuple[str, dict[str, Any], datetime]:
    """A customer whose monthly subscription's first renewal (and ``declines - 1`` retries)
    will be declined, the clock at that renewal: (customer, the subscription, its end)."""
    customer = save_card(service, shop)
    started = subscribe(service, customer)
    end = when(started["current_period_end"])
    decline_next(shop, count=declines)
    advance(service, to=end.isoformat())
    return customer, started, end


def recovery_link(service: TestClient, sub_id: str) -> str:
    """The id of the recovery Checkout Session the subscription offers."""
    return str(subscription(service, sub_id)["recovery_url"]).split("/")[-1]


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_subscription_charges_its_first_period_and_each_renewal_once_across_small_steps(
    service: TestClient, shop: Shop
) -> None:
    customer = save_card(service, shop)
    started = subscribe(service, customer, description="Pro plan")
    settle(service, fulfil=True)
    assert (started["status"], started["kind"], started["plan"]) == ("active", "merchant",
                                                                      "Pro plan")
    assert entitled(service, customer) == [started["id"]]

    for _ in range(10):
        advance(service, seconds=10 * DAY)  # 100 days: three monthly renewals

    now = subscription(service, started["id"])
    periods = [e for e in now["history"] if e["type"] == "PeriodBegan"]
    assert [p["data"]["period"] for p in periods] == [1, 2, 3]
    assert len(shop.payment_intents(customer)) == 4
    assert now["status"] == "active" and when(now["current_period_start"]) == (
        _months_later(when(started["current_period_start"]), 3))
    assert entitled(service, customer) == [started["id"]]


def test_an_auditor_reads_a_subscription_as_it_stood_after_each_of_its_events(
    service: TestClient, shop: Shop
) -> None:
    customer = save_card(service, shop)
    started = subscribe(service, customer)
    for months in (0, 1):  # the first two renewals
        advance(service, to=_months_later(when(started["current_period_end"]),
                                          months).isoformat())

    documents = read_every_version(service, started["id"])

    ends = [when(d["current_period_end"]) for d in documents]
    assert ends == sorted(ends)  # each renewal moved it on, never back
    assert ends[0] == when(started["current_period_end"])
    assert ends[-1] == _months_later(ends[0], 2)


def test_the_customer_shows_subscriptions_and_a_one_time_purchase_entitles_for_good(
    service: TestClient, shop: Shop
) -> None:
    customer = save_card(service, shop)
    started = subscribe(service, customer, interval="day")
    bought = shop.session(("Ledger e-book", 900, 1), customer=customer)
    shop.pay(bought)
    shop.deliver(service, bought, "checkout.session.completed")
    settle(service, fulfil=True)
    service.post(f"/customers/{customer}/subscriptions/{started['id']}/cancel",
                 headers=STAFF, json={"at_period_end": False})
    settle(service, fulfil=True)

    shown = service.get(f"/customers/{customer}", headers=STAFF).json()
    assert [(s["id"], s["status"]) for s in shown["subscriptions"]] == [
        (started["id"], "canceled")]
    [book] = shown["entitlements"]
    assert (book["source"], book["kind"], book["description"], book["until"]) == (
        bought, "one_time", "Ledger e-book", None)
    assert book["price"].startswith("price_")
    advance(service, seconds=400 * DAY)
    assert entitled(service, customer) == [bought]


def test_concurrent_advances_to_one_instant_renew_each_period_once(
    service: TestClient, shop: Shop
) -> None:
    customer = save_card(service, shop)
    started = subscribe(service, customer, interval="week")
    target = (when(started["current_period_start"]) + timedelta(days=22)).isoformat()

    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda _: service.post(
            "/support/clock/advance", headers=STAFF, json={"to": target}), range(5)))
    settle(service, fulfil=True)

    assert {a.status_code for a in answers} == {200}, [a.text for a in answers]
    assert sum(a.json()["ran"].get("renew", 0) for a in answers) == 3
    assert len(shop.payment_intents(customer)) == 4


def test_a_declined_renewal_is_past_due_dunned_and_recovered_by_the_recovery_session(
    service: TestClient, shop: Shop
) -> None:
    customer, started, end = declined_renewal(service, shop)

    failed = subscription(service, started["id"])
    assert failed["status"] == "past_due"
    assert when(failed["next_retry_at"]) == end + timedelta(days=1)
    assert failed["recovery_url"]
    assert entitled(service, customer) == [started["id"]]  # within the grace period
    kinds = [(f["kind"], f["id"]) for f in
             service.get("/support/failures", headers=STAFF).json()["failures"]]
    assert ("renewal_failed", started["id"]) in kinds

    session_id = recovery_link(service, started["id"])
    shop.pay(session_id, card="4242424242424242")
    shop.deliver(service, session_id, "checkout.session.completed")
    settle(service, fulfil=True)
    advance(service, seconds=6 * DAY)

    recovered = subscription(service, started["id"])
    assert recovered["status"] == "active" and recovered["next_retry_at"] is None
    paid = [e["data"]["via"] for e in recovered["history"] if e["type"] == "PeriodPaid"]
    assert paid == ["charge", "recovery"]
    assert [e["type"] for e in recovered["history"]].count("Attempted") == 2  # no retry after
    assert ("renewal_failed", started["id"]) not in [
        (f["kind"], f["id"]) for f in service.get("/support/failures", headers=STAFF).json()[
            "failures"]]


def test_a_successful_retry_closes_the_recovery_link_so_the_period_is_paid_once(
    service: TestClient, shop: Shop
) -> None:
    customer, started, _ = declined_renewal(service, shop)
    link = recovery_link(service, started["id"])

    advance(service, seconds=DAY)

    assert subscription(service, started["id"])["status"] == "active"
    assert shop.sdk.v1.checkout.sessions.retrieve(link).status == "expired"
    assert len(shop.payment_intents(customer)) == 2


def test_a_retry_is_not_made_when_the_customer_already_paid_the_recovery_link(
    service: TestClient, shop: Shop
) -> None:
    customer, started, _ = declined_renewal(service, shop)
    link = recovery_link(service, started["id"])
    shop.pay(link)  # paid at Stripe; its webhook not delivered yet

    advance(service, seconds=DAY)
    assert subscription(service, started["id"])["status"] == "past_due"
    shop.deliver(service, link, "checkout.session.completed")
    settle(service, fulfil=True)
    advance(service, seconds=5 * DAY)

    after = subscription(service, started["id"])
    assert after["status"] == "active"
    assert [e["data"]["via"] for e in after["history"] if e["type"] == "PeriodPaid"] == [
        "charge", "recovery"]
    assert len(shop.payment_intents(customer)) == 2  # the first period, and the recovery


def test_retries_follow_the_schedule_then_the_subscription_is_unpaid_and_not_entitled(
    service: TestClient, shop: Shop
) -> None:
    customer, started, end = declined_renewal(service, shop, declines=4)
    retries = []
    for day in (1, 3, 5):
        before = subscription(service, started["id"])
        assert when(before["next_retry_at"]) == end + timedelta(days=day)
        advance(service, to=(end + timedelta(days=day)).isoformat())
        retries.append(subscription(service, started["id"])["status"])

    assert retries == ["past_due", "past_due", "unpaid"]
    assert entitled(service, customer) == []
    advance(service, seconds=40 * DAY)
    assert len(shop.payment_intents(customer)) == 1  # only the first period's succeeded
    attempts = [e for e in subscription(service, started["id"])["history"]
                if e["type"] == "Attempted"]
    assert [(a["data"]["period"], a["data"]["attempt"]) for a in attempts] == [
        (0, 0), (1, 0), (1, 1), (1, 2), (1, 3)]


def test_a_customers_access_is_snapshotted_and_reads_the_same_as_its_whole_history(
    service: TestClient, shop: Shop
) -> None:
    customer = save_card(service, shop)
    started = subscribe(service, customer, interval="day")
    for _ in range(SNAPSHOT_EVERY + 2):  # a renewal a day, an Access event each
        advance(service, seconds=DAY)

    customers = service.app.state.services.customers  # type: ignore[attr-defined]
    access = customers.access(customer)
    [snapshot] = customers.snapshots.get(access_uuid(customer), desc=True, limit=1)
    replayed = project_aggregate(None, customers.events.get(access_uuid(customer)))
    assert access.version > snapshot.originator_version >= SNAPSHOT_EVERY
    assert [v.id for v in snapshot.state["subscriptions"]] == [started["id"]]  # no id keys
    assert (access.version, access.purchases, access.subscriptions) == (
        replayed.version, replayed.purchases, replayed.subscriptions)
    assert isinstance(access.purchases, tuple)
    assert entitled(service, customer) == [started["id"]]


def test_canceled_at_period_end_stays_entitled_until_then_and_is_never_charged_again(
    service: TestClient, shop: Shop
) -> None:
    customer = save_card(service, shop)
    started = subscribe(service, customer)
    end = when(started["current_period_end"])

    canceled = service.post(f"/customers/{customer}/subscriptions/{started['id']}/cancel",
                            headers=STAFF, json={"at_period_end": True, "reason": "moving"})
    assert canceled.status_code == 200 and canceled.json()["cancel_at_period_end"] is True
    advance(service, to=(end - timedelta(seconds=1)).isoformat())
    assert entitled(service, customer) == [started["id"]]
    advance(service, to=(end + timedelta(days=40)).isoformat())

    assert subscription(service, started["id"])["status"] == "canceled"
    assert entitled(service, customer) == []
    assert len(shop.payment_intents(customer)) == 1
    listed = service.get(f"/customers/{customer}/subscriptions", headers=STAFF).json()
    assert [(s["id"], s["status"]) for s in listed["subscriptions"]] == [
        (started["id"], "canceled")]


def test_a_renewal_cut_short_is_finished_after_a_restart_with_one_payment_intent(
    make_service: Callable[..., TestClient], shop: Shop
) -> None:
    service = make_service(TEST_CLOCK="1")
    customer = save_card(service, shop)
    started = subscribe(service, customer)
    shop.fault("POST", "/v1/payment_intents", "503", count=3)  # the renewal's answer is lost
    advance(service, to=started["current_period_end"])
    assert subscription(service, started["id"])["status"] == "active"  # period 0 still paid

    restarted = make_service(TEST_CLOCK="1")
    advance(restarted, seconds=1)

    after = subscription(restarted, started["id"])
    assert [e["data"]["via"] for e in after["history"] if e["type"] == "PeriodPaid"] == [
        "charge", "charge"]
    assert len(shop.payment_intents(customer)) == 2


@pytest.mark.parametrize(("body", "message"), [
    ({"amount": 1500, "currency": "usd"}, "interval"),
    ({"amount": 10, "currency": "usd", "interval": "month"}, "amount"),
    ({"amount": 1500, "currency": "usd", "interval": "fortnight"}, "interval"),
    ({"amount": 1500, "currency": "usd", "interval": "month", "interval_count": 13},
     "interval_count"),
    ({"amount": 1500, "currency": "usd", "interval": "month", "interval_count": True},
     "interval_count"),
    ({"amount": 1500, "currency": "xyz", "interval": "month"}, "currency"),
    ({"amount": 1500, "currency": "usd", "interval": "month", "trial": 3}, "unknown"),
    ({"amount": 1500, "currency": "usd", "interval": "month", "payment_method": "card_1"},
     "payment_method"),
])
def test_a_malformed_subscription_is_refused_and_nothing_is_charged(
    service: TestClient, shop: Shop, body: dict[str, Any], message: str
) -> None:
    customer = save_card(service, shop)
    answer = service.post(f"/customers/{customer}/subscriptions", headers=STAFF, json=body)
    assert answer.status_code == 400 and message in answer.json()["error"]
    assert shop.payment_intents(customer) == []


def test_unknown_customers_subscriptions_and_clock_misuse_are_clear_4xx(
    service: TestClient, make_service: Callable[..., TestClient], shop: Shop
) -> None:
    customer = save_card(service, shop)
    started = subscribe(service, customer)
    cases = [
        service.post("/customers/cus_nobody/subscriptions", headers=STAFF,
                     json={"amount": 1500, "currency": "usd", "interval": "month"}),
        service.get("/customers/cus_nobody/entitlements", headers=STAFF),
        service.get("/subscriptions/msub_" + "0" * 24, headers=STAFF),
        service.get("/subscriptions/nope", headers=STAFF),
        service.post(f"/customers/cus_other/subscriptions/{started['id']}/cancel",
                     headers=STAFF, json={}),
        service.post("/support/clock/advance", headers=STAFF, json={"seconds": -1}),
        service.post("/support/clock/advance", headers=STAFF, json={"to": "2001-01-01T00:00Z"}),
        service.post("/support/clock/advance", headers=STAFF, json={"seconds": 1, "to": "x"}),
        service.post(f"/support/subscriptions/{started['id']}/retry", headers=STAFF, json={}),
        service.post("/support/clock/advance", json={"seconds": 1}),
        make_service().post("/support/clock/advance", headers=STAFF, json={"seconds": 1}),
    ]
    assert [c.status_code for c in cases] == [404, 404, 404, 400, 404, 400, 400, 400, 409,
                                              401, 404]
    assert subscription(service, started["id"])["version"] == 3  # nothing changed


def _months_later(moment: datetime, months: int) -> datetime:
    from domain.model.billing_period import add_months

    return add_months(moment, months)


def test_support_finds_a_failed_renewal_in_the_console_sends_a_link_and_retries_it(
    service: TestClient, shop: Shop
) -> None:
    customer, started, _ = declined_renewal(service, shop, declines=2)
    first_link = recovery_link(service, started["id"])
    csrf = sign_in(service)

    queue = service.get("/support?kind=renewal_failed")
    assert started["id"] in queue.text
    page = service.get(f"/support/search?q={started['id']}")
    assert page.status_code == 200
    assert "AttemptFailed" in page.text and "Retry the payment" in page.text

    sent = act(service, csrf, "subscription/recovery_link", id=started["id"], reason="asked")
    settle(service, fulfil=True)
    after_link = subscription(service, started["id"])
    assert sent.status_code == 303 and after_link["recovery_url"] is not None
    assert recovery_link(service, started["id"]) != first_link
    declined_again = act(service, csrf, "subscription/retry", id=started["id"],
                         reason="card topped up")
    settle(service, fulfil=True)
    assert subscription(service, started["id"])["status"] == "past_due"  # the second decline
    act(service, csrf, "subscription/retry", id=started["id"], reason="again")
    settle(service, fulfil=True)

    paid = subscription(service, started["id"])
    assert declined_again.status_code == 303 and paid["status"] == "active"
    staff = [(e["type"], e["actor"], e["data"].get("reason")) for e in paid["history"]
             if e["actor"] == "alice"]  # (the first two: alice started it, its first charge)
    assert staff[2:] == [("RecoveryLinkSent", "alice", "asked"),
                     ("Attempted", "alice", "card topped up"), ("Attempted", "alice", "again")]
    for link in (first_link, recovery_link(service, started["id"])):  # paid once: both closed
        assert shop.sdk.v1.checkout.sessions.retrieve(link).status == "expired"
    assert entitled(service, customer) == [started["id"]]
