"""Paying a Checkout Session through ``/v1/payment_pages`` as ``stripe trigger checkout.session.*``
does: a PaymentMethod from a test token or an IBAN, then ``confirm``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from emulator.server import EmulatorServer

BILLING = {"billing_details[email]": "stripe@example.com", "billing_details[name]": "Jenny Rosen"}
SHIPPING = {"payment_intent_data[shipping][name]": "Jenny Rosen",
            "payment_intent_data[shipping][address][line1]": "510 Townsend St",
            "payment_intent_data[shipping][address][country]": "US"}


def card(api: httpx.Client, token: str = "tok_visa") -> str:
    answer = api.post("/v1/payment_methods", data={"type": "card", "card[token]": token,
                                                   **BILLING})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


def iban(api: httpx.Client, number: str) -> httpx.Response:
    return api.post("/v1/payment_methods", data={"type": "sepa_debit",
                                                 "sepa_debit[iban]": number, **BILLING})


def confirm(api: httpx.Client, session_id: str, pm: str, **extra: Any) -> httpx.Response:
    return api.post(f"/v1/payment_pages/{session_id}/confirm",
                    data={"payment_method": pm, **extra})


def test_a_token_card_pays_the_page_and_the_intent_gets_payment_intent_data(
        api: httpx.Client, client: stripe.StripeClient, shop: Any) -> None:
    session = shop.session(shop.price(1500), quantity=2, **{
        "payment_intent_data": {"shipping": {"name": "Jenny Rosen", "address": {
            "line1": "510 Townsend St", "country": "US"}}, "description": "two mugs"}})
    page = api.get(f"/v1/payment_pages/{session.id}")
    pm = card(api)

    answer = confirm(api, session.id, pm, expected_amount="3000")

    assert page.status_code == 200
    assert (page.json()["amount_total"], page.json()["status"]) == (3000, "open")
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["payment_status"]) == ("complete", "paid")
    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert paid.customer_details is not None and paid.customer_details.name == "Jenny Rosen"
    intent = client.v1.payment_intents.retrieve(str(paid.payment_intent))
    assert (intent.status, intent.description) == ("succeeded", "two mugs")
    assert intent.shipping is not None and intent.shipping.address.line1 == "510 Townsend St"
    assert shop.event_types(type="checkout.session.*") == ["checkout.session.completed"]


def test_a_declined_token_is_the_cards_402_and_the_page_stays_open(
        api: httpx.Client, client: stripe.StripeClient, shop: Any) -> None:
    session = shop.session(shop.price(1500))

    answer = confirm(api, session.id, card(api, "tok_chargeDeclined"))

    assert answer.status_code == 402
    assert answer.json()["error"]["decline_code"] == "generic_decline"
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


@pytest.mark.parametrize(("extra", "param"), [
    ({"expected_amount": "2999"}, "expected_amount"),
    ({"color": "blue"}, "color"),
])
def test_a_confirm_stripe_would_refuse_is_refused(
        api: httpx.Client, shop: Any, extra: dict[str, str], param: str) -> None:
    session = shop.session(shop.price(1500), quantity=2)

    answer = confirm(api, session.id, card(api), **extra)

    assert (answer.status_code, answer.json()["error"]["param"]) == (400, param)


def test_a_page_of_no_session_is_a_404(api: httpx.Client) -> None:
    answer = api.get("/v1/payment_pages/cs_test_a1nobody")

    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "resource_missing")


def test_a_card_cannot_pay_a_sepa_only_session(api: httpx.Client, shop: Any,
                                               client: stripe.StripeClient) -> None:
    price = client.v1.prices.create(params={"currency": "eur", "unit_amount": 1500,
                                            "product_data": {"name": "Abo"}})
    session = shop.session(price, payment_method_types=["sepa_debit"])

    answer = confirm(api, session.id, card(api))

    assert (answer.status_code, answer.json()["error"]["param"]) == (400, "payment_method")


@pytest.mark.parametrize(("number", "outcome"), [
    ("AT611904300234573201", "checkout.session.async_payment_succeeded"),
    ("IT60X0542811101000000123456", "checkout.session.async_payment_failed"),
])
def test_a_sepa_debit_completes_unpaid_then_settles_as_its_test_iban_does(
        api: httpx.Client, control: httpx.Client, client: stripe.StripeClient, shop: Any,
        number: str, outcome: str) -> None:
    price = client.v1.prices.create(params={"currency": "eur", "unit_amount": 1500,
                                            "product_data": {"name": "Abo"}})
    session = shop.session(price, payment_method_types=["sepa_debit"], **{
        "payment_intent_data": {"setup_future_usage": "off_session"}})
    pm = iban(api, number)

    answer = confirm(api, session.id, pm.json()["id"])
    settled = control.post(f"/_emulator/checkout/sessions/{session.id}/settle")

    assert pm.json()["sepa_debit"]["last4"] == number[-4:]
    assert (answer.json()["status"], answer.json()["payment_status"]) == ("complete", "unpaid")
    assert settled.status_code == 200
    assert shop.event_types(type="checkout.session.*") == ["checkout.session.completed", outcome]
    intent = client.v1.payment_intents.retrieve(str(settled.json()["session"]["payment_intent"]))
    assert (intent.payment_method_types, intent.setup_future_usage) == (
        ["sepa_debit"], "off_session")


@pytest.mark.parametrize(("data", "param", "code"), [
    ({"sepa_debit[iban]": "AT611904300234573202", **BILLING}, "sepa_debit[iban]",
     "invalid_bank_account_iban"),
    ({"sepa_debit[iban]": "AT611904300234573201"}, "billing_details[name]",
     "parameter_missing"),
    ({"card[token]": "tok_nobody"}, "card[token]", "resource_missing"),
    ({"card[token]": "tok_visa", "card[number]": "4242424242424242"}, "card[token]", None),
])
def test_a_payment_method_stripe_would_refuse_is_refused(
        api: httpx.Client, data: dict[str, str], param: str, code: str | None) -> None:
    kind = "sepa_debit" if "sepa_debit[iban]" in data else "card"

    answer = api.post("/v1/payment_methods", data={"type": kind, **data})

    error = answer.json()["error"]
    assert (answer.status_code, error["param"], error.get("code")) == (400, param, code)


def test_payment_intent_data_is_for_payment_mode_only(api: httpx.Client,
                                                      shop: Any) -> None:
    price = shop.price(1500, interval="month")

    answer = api.post("/v1/checkout/sessions", data={
        "mode": "subscription", "success_url": "http://127.0.0.1:4242/ok",
        "line_items[0][price]": price.id, "line_items[0][quantity]": "1", **SHIPPING})

    assert (answer.status_code, answer.json()["error"]["param"]) == (400, "payment_intent_data")


def test_a_subscription_page_paid_by_card_makes_a_customer_with_the_card(
        api: httpx.Client, client: stripe.StripeClient, shop: Any, server: EmulatorServer
        ) -> None:
    session = shop.session(shop.price(900, interval="month"), mode="subscription")

    answer = confirm(api, session.id, card(api), expected_amount="900")

    assert answer.status_code == 200, answer.text
    paid = client.v1.checkout.sessions.retrieve(session.id)
    sub = client.v1.subscriptions.retrieve(str(paid.subscription))
    assert (sub.status, sub.customer) == ("active", paid.customer)
    methods = client.v1.customers.payment_methods.list(str(paid.customer)).data
    assert [m.card.last4 for m in methods if m.card] == ["4242"]
