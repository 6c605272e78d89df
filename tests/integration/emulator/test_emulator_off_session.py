"""Off-session PaymentIntents: a charge on success, Stripe's 402 on a decline, its 400s."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

DECLINES = [
    ("pm_card_chargeDeclined", "card_declined", "generic_decline", "Your card was declined."),
    ("pm_card_chargeCustomerFail", "card_declined", "generic_decline",
     "Your card was declined."),
    ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds",
     "Your card has insufficient funds."),
    ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card",
     "Your card has expired."),
    ("pm_card_authenticationRequired", "authentication_required", "authentication_required",
     "Your card was declined. This transaction requires authentication."),
]


def _customer_with(api: httpx.Client, pm: str) -> tuple[str, str]:
    customer = api.post("/v1/customers", data={"email": "kim@example.com"}).json()["id"]
    card = api.post(f"/v1/payment_methods/{pm}/attach", data={"customer": customer}).json()
    return customer, card["id"]


def _charge(customer: str, card: str, **extra: str) -> dict[str, str]:
    return {"amount": "2000", "currency": "usd", "customer": customer, "payment_method": card,
            "off_session": "true", "confirm": "true", "description": "Renewal",
            "metadata[order]": "A-1", **extra}


def test_an_off_session_charge_succeeds_with_a_retrievable_charge(
    client: stripe.StripeClient, api: httpx.Client, shop: Any
) -> None:
    customer, card = _customer_with(api, "pm_card_visa")

    intent = client.v1.payment_intents.create(params={  # type: ignore[arg-type]
        "amount": 2000, "currency": "usd", "customer": customer, "payment_method": card,
        "off_session": True, "confirm": True, "description": "Renewal",
        "metadata": {"order": "A-1"}})

    assert (intent.status, intent.amount_received) == ("succeeded", 2000)
    charge = client.v1.charges.retrieve(intent.latest_charge)  # type: ignore[arg-type]
    assert (charge.status, charge.paid, charge.payment_intent) == ("succeeded", True, intent.id)
    assert (charge.outcome.type, charge.payment_method_details.card.last4) == (
        "authorized", "4242")
    assert charge.metadata.to_dict() == {"order": "A-1"}
    assert shop.event_types()[-3:] == ["payment_intent.created", "charge.succeeded",
                                       "payment_intent.succeeded"]


@pytest.mark.parametrize(("pm", "code", "decline_code", "message"), DECLINES)
def test_a_decline_is_stripes_402_with_the_intent_the_card_and_the_charge(
    api: httpx.Client, shop: Any, pm: str, code: str, decline_code: str, message: str
) -> None:
    customer, card = _customer_with(api, pm)

    response = api.post("/v1/payment_intents", data=_charge(customer, card))

    assert response.status_code == 402
    error = response.json()["error"]
    assert (error["type"], error["code"], error["decline_code"], error["message"]) == (
        "card_error", code, decline_code, message)
    assert error["doc_url"] == "https://stripe.com/docs/error-codes/" + code.replace("_", "-")
    assert error["request_log_url"].startswith("https://dashboard.stripe.com/test/logs/req_")
    assert error["payment_method"]["id"] == card
    intent = error["payment_intent"]
    assert (intent["status"], intent["last_payment_error"]["code"]) == (
        "requires_payment_method", code)
    assert intent["latest_charge"] == error["charge"] == intent["last_payment_error"]["charge"]
    charge = api.get(f"/v1/charges/{error['charge']}").json()
    assert (charge["status"], charge["failure_code"], charge["outcome"]["reason"]) == (
        "failed", code, decline_code)
    assert shop.event_types()[-2:] == ["charge.failed", "payment_intent.payment_failed"]


@pytest.mark.parametrize(("amount", "code"), [
    ("0", "parameter_invalid_integer"), ("-5", "parameter_invalid_integer"),
    ("49", "amount_too_small"), ("100000000", "amount_too_large"),
])
def test_amounts_out_of_stripes_range_are_refused(
    api: httpx.Client, amount: str, code: str
) -> None:
    customer, card = _customer_with(api, "pm_card_visa")

    response = api.post("/v1/payment_intents", data=_charge(customer, card, amount=amount))

    assert response.status_code == 400
    assert (response.json()["error"]["code"], response.json()["error"]["param"]) == (
        code, "amount")
    assert api.get("/v1/payment_intents").json()["data"] == []


def test_an_unknown_currency_and_a_missing_customer_are_refused_naming_the_param(
    api: httpx.Client,
) -> None:
    customer, card = _customer_with(api, "pm_card_visa")

    currency = api.post("/v1/payment_intents", data=_charge(customer, card, currency="xyz"))
    nobody = api.post("/v1/payment_intents", data=_charge("cus_nobody", card))

    assert (currency.status_code, currency.json()["error"]["param"]) == (400, "currency")
    assert currency.json()["error"]["message"].startswith("Invalid currency: xyz.")
    assert nobody.status_code == 400
    assert (nobody.json()["error"]["code"], nobody.json()["error"]["param"]) == (
        "resource_missing", "customer")


def test_a_detached_card_cannot_be_charged(api: httpx.Client) -> None:
    customer, card = _customer_with(api, "pm_card_visa")
    api.post(f"/v1/payment_methods/{card}/detach").raise_for_status()

    response = api.post("/v1/payment_intents", data=_charge(customer, card))
    again = api.post(f"/v1/payment_methods/{card}/attach", data={"customer": customer})

    assert (response.status_code, response.json()["error"]["param"]) == (400, "payment_method")
    assert "may not be used again" in response.json()["error"]["message"]
    assert again.status_code == 400


def test_a_retried_create_with_its_idempotency_key_charges_once(
    client: stripe.StripeClient, api: httpx.Client
) -> None:
    customer, card = _customer_with(api, "pm_card_visa")
    params: Any = {"amount": 2000, "currency": "usd", "customer": customer,
                   "payment_method": card, "off_session": True, "confirm": True}

    first = client.v1.payment_intents.create(params=params, options={"idempotency_key": "r-1"})
    second = client.v1.payment_intents.create(params=params, options={"idempotency_key": "r-1"})

    assert first.id == second.id
    assert len(api.get("/v1/payment_intents").json()["data"]) == 1
    assert len(api.get("/v1/charges").json()["data"]) == 1
