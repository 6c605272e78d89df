"""A delayed bank debit: the session completes unpaid, then the payment settles or fails."""

from __future__ import annotations

import time
from typing import Any

import httpx
import stripe

from emulator.config import EmulatorConfig
from emulator.server import EmulatorServer

SESSION_EVENTS = "checkout.session.*"


def test_bank_debit_that_succeeds_completes_unpaid_then_reports_async_payment_succeeded(
    control: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    session = shop.session(shop.price(2500))
    control.post(f"/pay/{session.id}", data={"method": "bank_debit_succeeds"})
    completed = client.v1.checkout.sessions.retrieve(session.id)

    settled = control.post(f"/_emulator/checkout/sessions/{session.id}/settle")

    assert (completed.status, completed.payment_status) == ("complete", "unpaid")
    assert settled.status_code == 200
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    assert shop.event_types(type=SESSION_EVENTS) == [
        "checkout.session.completed", "checkout.session.async_payment_succeeded"]
    events = client.v1.events.list(params={"type": SESSION_EVENTS}).data
    assert events[0].data.object.payment_status == "paid"
    assert events[1].data.object.payment_status == "unpaid"


def test_bank_debit_that_fails_reports_async_payment_failed_and_stays_unpaid(
    client: stripe.StripeClient, control: httpx.Client, shop: Any
) -> None:
    session = shop.session(shop.price(2500))
    shop.pay(session.id, method="bank_debit_fails").raise_for_status()

    control.post(f"/_emulator/checkout/sessions/{session.id}/settle").raise_for_status()

    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    assert (done.status, done.payment_status) == ("complete", "unpaid")
    assert done.payment_intent.status == "requires_payment_method"
    assert done.payment_intent.last_payment_error is not None
    assert shop.event_types(type=SESSION_EVENTS) == [
        "checkout.session.completed", "checkout.session.async_payment_failed"]


def test_pending_bank_debit_payment_intent_is_processing(
    client: stripe.StripeClient, shop: Any
) -> None:
    session = shop.session(shop.price(2500))

    shop.pay(session.id, method="bank_debit_succeeds").raise_for_status()

    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    assert done.payment_intent.status == "processing"
    assert done.payment_intent.payment_method_types == ["us_bank_account"]


def test_settling_twice_is_refused(control: httpx.Client, shop: Any) -> None:
    session = shop.session(shop.price(2500))
    shop.pay(session.id, method="bank_debit_succeeds").raise_for_status()
    control.post(f"/_emulator/checkout/sessions/{session.id}/settle").raise_for_status()

    again = control.post(f"/_emulator/checkout/sessions/{session.id}/settle")

    assert again.status_code == 400
    assert again.json()["error"]["type"] == "invalid_request_error"


def test_bank_debit_settles_by_itself_after_the_configured_delay() -> None:
    config = EmulatorConfig(settle_delay_seconds=0.2)
    with EmulatorServer(config=config) as server:
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": server.url})
        price = client.v1.prices.create(params={
            "currency": "usd", "unit_amount": 900, "product_data": {"name": "Mug"}})
        session = client.v1.checkout.sessions.create(params={
            "mode": "payment", "success_url": "http://127.0.0.1:1/ok",
            "line_items": [{"price": price.id, "quantity": 1}]})
        httpx.post(f"{server.url}/pay/{session.id}", data={"method": "bank_debit_succeeds"},
                   trust_env=False)

        deadline = time.monotonic() + 5
        while (client.v1.checkout.sessions.retrieve(session.id).payment_status != "paid"
               and time.monotonic() < deadline):
            time.sleep(0.05)

        assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"


def test_bank_debit_is_not_offered_when_the_session_allows_only_cards(shop: Any) -> None:
    session = shop.session(shop.price(), payment_method_types=["card"])

    response = shop.pay(session.id, method="bank_debit_succeeds")

    assert response.status_code == 400
