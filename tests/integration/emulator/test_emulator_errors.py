"""Errors come back in Stripe's shape and status, so the SDK raises its own exception classes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe


def test_no_api_key_is_a_401_authentication_error(server: Any, control: httpx.Client) -> None:
    response = control.get("/v1/customers")
    keyless = stripe.StripeClient("sk_live_not_accepted", base_addresses={"api": server.url},
                                  max_network_retries=0)

    with pytest.raises(stripe.AuthenticationError):
        keyless.v1.customers.list()
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert "API key" in response.json()["error"]["message"]


def test_unknown_session_is_a_404_resource_missing(api: httpx.Client,
                                                   client: stripe.StripeClient) -> None:
    response = api.get("/v1/checkout/sessions/cs_test_nope")

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert response.status_code == 404
    error = response.json()["error"]
    log_url = error.pop("request_log_url")
    assert error == {
        "type": "invalid_request_error", "code": "resource_missing", "param": "id",
        "message": "No such checkout.session: 'cs_test_nope'",
        "doc_url": "https://stripe.com/docs/error-codes/resource-missing"}
    assert log_url.startswith(
        f"https://dashboard.stripe.com/test/logs/{response.headers['Request-Id']}?t=")
    assert raised.value.code == "resource_missing"
    assert raised.value.http_status == 404


def test_unknown_price_in_line_items_is_a_400_naming_the_param(
    client: stripe.StripeClient, shop: Any
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        shop.session(line_items=[{"price": "price_missing", "quantity": 1}])

    assert raised.value.http_status == 400
    assert raised.value.code == "resource_missing"
    assert raised.value.param == "line_items[0][price]"


def test_a_declined_off_session_charge_is_a_card_error_carrying_the_payment_intent(
    client: stripe.StripeClient,
) -> None:
    customer = client.v1.customers.create(params={"email": "bo@example.com"})
    card = client.v1.payment_methods.attach("pm_card_chargeDeclined",
                                            params={"customer": customer.id})

    with pytest.raises(stripe.CardError) as raised:
        client.v1.payment_intents.create(params={
            "amount": 2000, "currency": "usd", "customer": customer.id,
            "payment_method": card.id, "off_session": True, "confirm": True})

    error = raised.value
    assert error.http_status == 402
    assert (error.code, error.error.decline_code) == ("card_declined", "generic_decline")
    assert error.error.payment_intent.status == "requires_payment_method"
    assert error.error.payment_intent.last_payment_error.code == "card_declined"
    stored = client.v1.payment_intents.retrieve(error.error.payment_intent.id)
    assert stored.status == "requires_payment_method"


def test_unrecognized_url_is_a_404_in_stripes_shape(api: httpx.Client) -> None:
    response = api.post("/v1/teleport")

    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith(
        "Unrecognized request URL (POST: /v1/teleport)")


def test_same_idempotency_key_replays_the_first_response(api: httpx.Client) -> None:
    headers = {"Idempotency-Key": "create-ada-once"}

    first = api.post("/v1/customers", data={"email": "ada@example.com"}, headers=headers)
    second = api.post("/v1/customers", data={"email": "ada@example.com"}, headers=headers)

    assert first.json()["id"] == second.json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert len(api.get("/v1/customers").json()["data"]) == 1


def test_idempotency_key_reused_with_other_params_is_an_idempotency_error(
    client: stripe.StripeClient,
) -> None:
    client.v1.customers.create(params={"email": "a@example.com"},
                               options={"idempotency_key": "k1"})

    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create(params={"email": "b@example.com"},
                                   options={"idempotency_key": "k1"})


def test_a_card_error_is_replayed_for_the_same_idempotency_key(api: httpx.Client) -> None:
    customer = api.post("/v1/customers", data={"email": "c@example.com"}).json()
    card = api.post("/v1/payment_methods/pm_card_chargeDeclinedInsufficientFunds/attach",
                    data={"customer": customer["id"]}).json()
    body = {"amount": "2000", "currency": "usd", "customer": customer["id"],
            "payment_method": card["id"], "off_session": "true", "confirm": "true"}

    first = api.post("/v1/payment_intents", data=body, headers={"Idempotency-Key": "charge-1"})
    second = api.post("/v1/payment_intents", data=body, headers={"Idempotency-Key": "charge-1"})

    assert first.status_code == second.status_code == 402
    assert first.json() == second.json()
    assert first.json()["error"]["decline_code"] == "insufficient_funds"
    assert len(api.get("/v1/payment_intents").json()["data"]) == 1


def test_expiring_a_completed_session_is_refused(client: stripe.StripeClient, shop: Any) -> None:
    session = shop.session(shop.price())
    shop.pay(session.id, card="4242424242424242")

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.expire(session.id)

    assert raised.value.http_status == 400
