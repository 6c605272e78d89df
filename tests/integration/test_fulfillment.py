"""Fulfillment through the real SDK, a real emulator and the real stores: once, whole, when paid."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from starlette.testclient import TestClient

from adapters.stripe_gateway import StripeGateway
from api.settings import Settings
from domain.apps.fulfill_checkout import Outcome
from domain.apps.fulfillment import FulfillmentProcess
from domain.apps.ledger import Ledger
from emulator.server import EmulatorServer
from tests.conftest import STAFF, settle
from tests.support import merchant
from tests.support.purchases import API_KEY, Shop, history_types

pytest_plugins = ["tests.support.purchase_fixtures"]  # the emulator, service and shop fixtures

COMPLETED = "checkout.session.completed"


def state(service: TestClient, session_id: str) -> dict:  # type: ignore[type-arg]
    answer = service.get(f"/sessions/{session_id}", headers=STAFF)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_a_paid_card_purchase_is_fulfilled_by_the_webhook_follower(
    service: TestClient, shop: Shop
) -> None:
    session_id = shop.session(("Ledger T-shirt", 2500, 2))
    shop.pay(session_id)

    shop.deliver(service, session_id, COMPLETED)
    settle(service, fulfil=True)

    fulfillment = state(service, session_id)["fulfillment"]
    assert (fulfillment["status"], fulfillment["trigger"]) == ("fulfilled", "webhook")
    assert [(i["description"], i["quantity"], i["granted"]) for i in fulfillment["line_items"]] \
        == [("Ledger T-shirt", 2, "2 x Ledger T-shirt")]
    assert history_types(service, session_id, STAFF).count("Fulfilled") == 1


def test_concurrent_fulfillments_of_one_session_record_one_fulfilled_and_share_one_key(
    service: TestClient, shop: Shop, stripe_emulator: EmulatorServer
) -> None:
    session_id = shop.session()
    shop.pay(session_id)
    shop.deliver(service, session_id, COMPLETED)
    settle(service)
    settings: Settings = service.app.state.services.settings  # type: ignore[attr-defined]
    # Eight applications with their own connections: eight processes racing, not one lock.
    ledger = Ledger(env=settings.store.env_for(Ledger.name))
    racers = [FulfillmentProcess(env=settings.store.env_for(FulfillmentProcess.name),
                                 stripe=StripeGateway(API_KEY, stripe_emulator.url),
                                 fulfiller=merchant.ship, sessions=ledger) for _ in range(8)]

    with ThreadPoolExecutor(8) as pool:
        outcomes: list[Outcome] = list(pool.map(
            lambda s: s.fulfill_checkout(session_id, trigger="success_page"), racers))
    for app in (*racers, ledger):
        app.close()
    settle(service, fulfil=True)

    assert {outcome.status for outcome in outcomes} == {"fulfilled"}
    assert sum(outcome.newly_fulfilled for outcome in outcomes) == 1
    assert history_types(service, session_id, STAFF).count("Fulfilled") == 1
    calls = merchant.calls_for(session_id)
    assert 1 <= len(calls) <= 8
    assert {call.idempotency_key for call in calls} == {f"fulfill:{session_id}"}


def test_fulfilling_again_and_again_changes_nothing(service: TestClient, shop: Shop) -> None:
    session_id = shop.session()
    shop.pay(session_id)
    shop.deliver(service, session_id, COMPLETED)
    settle(service, fulfil=True)
    fulfillment: FulfillmentProcess = service.app.state.services.fulfillment  # type: ignore[attr-defined]

    again = [fulfillment.fulfill_checkout(session_id, trigger="success_page") for _ in range(3)]
    settle(service, fulfil=True)

    assert [(o.status, o.newly_fulfilled) for o in again] == [("fulfilled", False)] * 3
    assert state(service, session_id)["fulfillment"]["trigger"] == "webhook"
    assert history_types(service, session_id, STAFF).count("Fulfilled") == 1


def test_a_session_with_25_line_items_is_fulfilled_with_all_25(
    service: TestClient, shop: Shop
) -> None:
    items = [(f"Sticker {n:02d}", 100 + n, n) for n in range(1, 26)]
    session_id = shop.session(*items)
    shop.pay(session_id)

    shop.deliver(service, session_id, COMPLETED)
    settle(service, fulfil=True)

    fulfilled = state(service, session_id)["fulfillment"]["line_items"]
    assert [(i["description"], i["quantity"], i["amount_total"]) for i in fulfilled] \
        == [(name, quantity, amount * quantity) for name, amount, quantity in items]


def test_a_completed_but_unpaid_bank_debit_waits_and_is_fulfilled_when_it_succeeds(
    service: TestClient, shop: Shop
) -> None:
    session_id = shop.session()
    shop.pay_by_bank(session_id, succeeds=True)
    shop.deliver(service, session_id, COMPLETED)
    settle(service, fulfil=True)
    waiting = state(service, session_id)

    shop.settle(session_id)
    shop.deliver(service, session_id, "checkout.session.async_payment_succeeded")
    settle(service, fulfil=True)

    assert (waiting["payment_status"], waiting["fulfillment"]["status"]) == ("unpaid", "pending")
    after = state(service, session_id)
    assert (after["payment_status"], after["fulfillment"]["status"]) == ("paid", "fulfilled")
    assert history_types(service, session_id, STAFF) == [
        "Completed", "AsyncPaymentSucceeded", "Fulfilled"]


def test_a_failed_bank_debit_is_recorded_told_to_the_customer_once_and_listed_for_support(
    service: TestClient, shop: Shop
) -> None:
    session_id = shop.session(("Ledger mug", 1200, 1))
    shop.pay_by_bank(session_id, succeeds=False)
    shop.deliver(service, session_id, COMPLETED)
    shop.settle(session_id)
    services = service.app.state.services  # type: ignore[attr-defined]

    for _ in range(2):  # Stripe delivers at least once
        shop.deliver(service, session_id, "checkout.session.async_payment_failed")
        settle(service, fulfil=True)
    outcome = services.fulfillment.fulfill_checkout(session_id, trigger="success_page")

    assert outcome.status == "failed"
    assert state(service, session_id)["fulfillment"]["status"] == "failed"
    assert list(services.notices.notifier.sent) == [
        ("ada@example.com", "Your payment did not go through")]
    assert history_types(service, session_id, STAFF) == [
        "Completed", "AsyncPaymentFailed", "CustomerNotified"]
    failures = service.get("/support/failures", headers=STAFF).json()["failures"]
    assert [(f["kind"], f["customer"], f["amount"], f["currency"])
            for f in failures if f["id"] == session_id] == [
        ("async_payment_failed", "ada@example.com", 1200, "usd")]


def test_an_expired_session_is_never_fulfilled(service: TestClient, shop: Shop) -> None:
    session_id = shop.session()
    shop.expire(session_id)

    shop.deliver(service, session_id, "checkout.session.expired")
    settle(service, fulfil=True)
    services = service.app.state.services  # type: ignore[attr-defined]
    outcome = services.fulfillment.fulfill_checkout(session_id, trigger="support")

    assert outcome.status == "expired"
    assert state(service, session_id)["fulfillment"]["status"] == "not_required"
    assert history_types(service, session_id, STAFF) == ["Expired"]
