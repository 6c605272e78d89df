"""The merchant's own fulfiller (``FULFILLER=package.module:callable``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from api.settings import Settings, SettingsError
from tests.conftest import STAFF, service_env, settle
from tests.support import merchant
from tests.support.purchases import Shop, history_types

pytest_plugins = ["tests.support.purchase_fixtures"]  # the emulator, service and shop fixtures

COMPLETED = "checkout.session.completed"
SHIP = "tests.support.merchant:ship"


def test_the_configured_fulfiller_is_called_once_with_the_idempotency_key(
    make_service: Callable[..., TestClient], shop: Shop
) -> None:
    service = make_service(FULFILLER=SHIP)
    session_id = shop.session(("Ledger hoodie", 4500, 1), ("Ledger socks", 900, 3))
    shop.pay(session_id)

    shop.deliver(service, session_id, COMPLETED)
    settle(service, fulfil=True)

    [call] = merchant.calls_for(session_id)
    assert call.idempotency_key == f"fulfill:{session_id}"
    assert [(i.description, i.quantity) for i in call.line_items] == [
        ("Ledger hoodie", 1), ("Ledger socks", 3)]
    fulfillment = service.get(f"/sessions/{session_id}", headers=STAFF).json()["fulfillment"]
    assert [i["granted"] for i in fulfillment["line_items"]] == [
        "shipped 1 x Ledger hoodie", "shipped 3 x Ledger socks"]


def test_a_fulfiller_that_raises_is_recorded_and_the_follower_goes_on_with_the_next_session(
    make_service: Callable[..., TestClient], shop: Shop
) -> None:
    service = make_service(FULFILLER=SHIP)
    faulty, fine = shop.session(("Faulty toaster", 3000, 1)), shop.session()
    for session_id in (faulty, fine):
        shop.pay(session_id)
        shop.deliver(service, session_id, COMPLETED)

    settle(service, fulfil=True)

    history = service.get(f"/sessions/{faulty}/history", headers=STAFF).json()["events"]
    [failed] = [e for e in history if e["type"] == "FulfillmentFailed"]
    assert failed["data"]["error"] == "WarehouseRefused: cannot ship Faulty toaster"
    assert (failed["data"]["attempts"], failed["data"]["trigger"]) == (1, "webhook")
    assert "Fulfilled" not in [e["type"] for e in history]
    assert history_types(service, fine, STAFF)[-1] == "Fulfilled"
    failures = service.get("/support/failures", headers=STAFF).json()["failures"]
    assert [(f["kind"], f["last_error"]) for f in failures if f["id"] == faulty] == [
        ("fulfillment_failed", "WarehouseRefused: cannot ship Faulty toaster")]


@pytest.mark.parametrize("spec", ["tests.support.merchant", "tests.support.nowhere:ship",
                                  "tests.support.merchant:FAIL_ONCE"])
def test_a_fulfiller_setting_that_names_no_callable_stops_start_up(spec: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(service_env("memory://", FULFILLER=spec))

    assert refused.value.problems[0].startswith("FULFILLER: ")


def test_the_success_page_of_a_session_the_fulfiller_refused_reassures_the_customer(
    make_service: Callable[..., TestClient], shop: Shop
) -> None:
    service = make_service(FULFILLER=SHIP)
    session_id = shop.session(("Faulty kettle", 2000, 1))
    shop.pay(session_id)

    page = service.get(f"/success?session_id={session_id}")
    settle(service, fulfil=True)

    assert page.status_code == 200
    assert "could not complete your order just now" in page.text
    assert "pay again" in page.text
    assert history_types(service, session_id, STAFF)[-1] == "FulfillmentFailed"


def test_metrics_count_fulfillments_and_failures_by_trigger(
    make_service: Callable[..., TestClient], shop: Shop
) -> None:
    service = make_service(FULFILLER=SHIP)
    fine, faulty = shop.session(), shop.session(("Faulty lamp", 1500, 1))
    for session_id in (fine, faulty):
        shop.pay(session_id)
        service.get(f"/success?session_id={session_id}")

    text = service.get("/metrics").text

    assert 'checkout_ledger_fulfillments_total{trigger="success_page"} 1.0' in text
    assert 'checkout_ledger_fulfillment_failures_total{trigger="success_page"} 1.0' in text
