"""Off-session charges of saved cards: through HTTP, the real SDK and the emulator, on
SQLite and PostgreSQL. A charge is made at most once, whatever fails or repeats."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from api.system import Seams
from domain.model.charge import Charge, charge_id_for
from tests.conftest import STAFF, settle
from tests.integration.test_saved_cards import save_card
from tests.support.purchases import Shop

pytest_plugins = ["tests.support.purchase_fixtures"]  # the emulator, service and shop fixtures

# Stripe's test cards, saved through setup mode, and how Stripe declines them off-session.
DECLINES = {
    "4000000000009995": ("card_declined", "insufficient_funds"),
    "4000000000000069": ("expired_card", "expired_card"),
    "4000002760003184": ("authentication_required", "authentication_required"),
    "4000000000000341": ("card_declined", "generic_decline"),
}


def charge(service: TestClient, customer: str, **body: object) -> tuple[int, dict]:  # type: ignore[type-arg]
    answer = service.post(f"/customers/{customer}/charges", headers=STAFF,
                          json={"amount": 2000, "currency": "usd", **body})
    return answer.status_code, answer.json()


def test_charging_the_default_card_succeeds_once(service: TestClient, shop: Shop) -> None:
    customer = save_card(service, shop)

    status, answer = charge(service, customer, description="Monthly top-up")
    settle(service, fulfil=True)

    assert (status, answer["status"], answer["failure"], answer["recovery_url"]) == (
        201, "succeeded", None, None)
    [intent] = shop.payment_intents(customer)
    assert (intent["id"], intent["amount"], intent["status"]) == (
        answer["payment_intent"], 2000, "succeeded")
    history = service.get(f"/charges/{answer['id']}", headers=STAFF).json()["history"]
    assert [(e["type"], e["actor"]) for e in history] == [("Requested", "alice"),
                                                         ("Succeeded", None)]


@pytest.mark.parametrize("card", sorted(DECLINES))
def test_a_decline_is_recorded_with_its_codes_the_customer_told_and_a_recovery_offered(
    service: TestClient, shop: Shop, card: str
) -> None:
    customer = save_card(service, shop, card=card)

    status, answer = charge(service, customer)
    settle(service, fulfil=True)

    assert (status, answer["status"]) == (201, "requires_payment_method")
    assert (answer["failure"]["code"], answer["failure"]["decline_code"]) == DECLINES[card]
    assert answer["recovery_url"]
    charge_now = service.get(f"/charges/{answer['id']}", headers=STAFF).json()
    assert [e["type"] for e in charge_now["history"]] == [
        "Requested", "Declined", "RecoveryOffered", "CustomerNotified"]
    sent = service.app.state.services.notices.notifier.sent  # type: ignore[attr-defined]
    assert ("ada@example.com", "We could not charge your saved card") in list(sent)
    assert charge_now["history"][3]["data"] == {"reason": "charge_failed",
                                                "to": "ada@example.com"}
    failures = service.get("/support/failures", headers=STAFF).json()["failures"]
    assert [(f["kind"], f["amount"]) for f in failures if f["id"] == answer["id"]] == [
        ("charge_failed", 2000)]


def test_paying_the_recovery_session_marks_the_charge_recovered_and_fulfils_nothing(
    service: TestClient, shop: Shop
) -> None:
    customer = save_card(service, shop, card="4000000000009995")
    _, declined = charge(service, customer)
    settle(service, fulfil=True)
    recovery = service.get(f"/charges/{declined['id']}", headers=STAFF).json()
    session_id = recovery["history"][2]["data"]["session_id"]

    shop.pay(session_id, card="4242424242424242")
    shop.deliver(service, session_id, "checkout.session.completed")
    settle(service, fulfil=True)

    after = service.get(f"/charges/{declined['id']}", headers=STAFF).json()
    assert after["recovered_by"] == session_id
    session = service.get(f"/sessions/{session_id}", headers=STAFF).json()
    assert session["fulfillment"]["status"] == "not_required"
    failures = service.get("/support/failures", headers=STAFF).json()["failures"]
    assert declined["id"] not in [f["id"] for f in failures]


def test_the_same_idempotency_key_answers_the_first_charge_and_charges_once(
    service: TestClient, shop: Shop
) -> None:
    customer = save_card(service, shop)

    first = charge(service, customer, idempotency_key="order-42")
    again = charge(service, customer, idempotency_key="order-42")
    other = charge(service, customer, idempotency_key="order-42", amount=999)

    assert first == again
    assert other[0] == 409
    assert len(shop.payment_intents(customer)) == 1


def test_concurrent_requests_with_one_key_make_one_charge(
    service: TestClient, shop: Shop
) -> None:
    customer = save_card(service, shop)

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: charge(service, customer, idempotency_key="k-1"),
                                range(6)))

    assert {a[1]["id"] for a in answers} == {charge_id_for(customer, "k-1")}
    assert {a[1]["status"] for a in answers} == {"succeeded"}
    assert len(shop.payment_intents(customer)) == 1


def test_a_lost_answer_is_unknown_then_resolved_with_the_same_key(
    service: TestClient, shop: Shop
) -> None:
    customer = save_card(service, shop)
    shop.fault("POST", "/v1/payment_intents", "503", count=3)  # the first try and 2 retries

    status, answer = charge(service, customer)
    service.app.state.services.follower("Charges", "Support").catch_up()  # type: ignore[attr-defined]
    listed = service.get("/support/failures", headers=STAFF).json()["failures"]
    settle(service, fulfil=True)

    assert (status, answer["status"]) == (202, "unknown")
    assert answer["id"] in [f["id"] for f in listed]
    resolved = service.get(f"/charges/{answer['id']}", headers=STAFF).json()
    assert resolved["status"] == "succeeded"
    assert [e["type"] for e in resolved["history"]] == [
        "Requested", "OutcomeUnknown", "Succeeded"]
    assert len(shop.payment_intents(customer)) == 1


def test_a_request_cut_short_by_a_crash_is_finished_once_on_restart(
    make_service: Callable[..., TestClient], shop: Shop
) -> None:
    service = make_service(seams=Seams(charge_grace=timedelta(0)))
    customer = save_card(service, shop)
    services = service.app.state.services  # type: ignore[attr-defined]
    charge_id = charge_id_for(customer, None)
    cut_short = Charge.of(charge_id)  # requested, and the process died before calling Stripe
    cut_short.request(charge_id, customer, services.customers.customer(customer).default_card,
                      700, "usd", None, None, "ada@example.com", "alice")
    services.charges.save(cut_short)

    settle(service, fulfil=True)
    settle(service, fulfil=True)

    finished = service.get(f"/charges/{charge_id}", headers=STAFF).json()
    assert finished["status"] == "succeeded"
    assert [pi["amount"] for pi in shop.payment_intents(customer)] == [700]


@pytest.mark.parametrize("body", [
    {"amount": 0, "currency": "usd"}, {"amount": -5, "currency": "usd"},
    {"amount": "20", "currency": "usd"}, {"amount": 10**9, "currency": "usd"},
    {"amount": 49, "currency": "usd"}, {"amount": 2000, "currency": "zzz"},
    {"amount": 2000}, {"amount": 2000, "currency": "usd", "tip": 1},
    {"amount": 2000, "currency": "usd", "payment_method": "card_1"},
    {"amount": 2000, "currency": "usd", "payment_method": "pm_not_this_customers"},
    {"amount": 2000, "currency": "usd", "idempotency_key": ""},
    {"amount": True, "currency": "usd"},
])
def test_a_malformed_charge_is_a_400_that_reaches_stripe_with_nothing(
    service: TestClient, shop: Shop, body: dict  # type: ignore[type-arg]
) -> None:
    customer = save_card(service, shop)

    answer = service.post(f"/customers/{customer}/charges", headers=STAFF, json=body)

    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]
    assert shop.payment_intents(customer) == []


def test_charges_refuse_unknown_customers_and_charges_and_anonymous_staff(
    service: TestClient,
) -> None:
    unknown = service.post("/customers/cus_never_seen/charges", headers=STAFF,
                           json={"amount": 2000, "currency": "usd"})
    no_charge = service.get(f"/charges/chg_{'f' * 24}", headers=STAFF)
    malformed = service.get("/charges/ch_123", headers=STAFF)
    not_json = service.post("/customers/cus_x/charges", headers=STAFF, content=b"{")
    anonymous = service.post("/customers/cus_x/charges", json={"amount": 1, "currency": "usd"})

    assert [r.status_code for r in (unknown, no_charge, malformed, not_json, anonymous)] == [
        404, 404, 400, 400, 401]
