"""What ``/v1/subscriptions`` and ``/v1/invoices`` refuse, with Stripe's status, code and param."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from tests.integration.emulator.billing_support import customer, price, subscribe


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    return error


@pytest.fixture
def ready(client: stripe.StripeClient) -> dict[str, str]:
    """A customer with an attached card, a monthly and a one-time price, another's card."""
    cus, pm = customer(client)
    _, foreign = customer(client)
    one_time = client.v1.prices.create(params={
        "currency": "usd", "unit_amount": 500, "product_data": {"name": "Sticker"}})
    return {"customer": cus, "pm": pm, "price": price(client).id, "one_time": one_time.id,
            "foreign_pm": foreign, "eur": price_eur(client)}


def price_eur(client: stripe.StripeClient) -> str:
    return client.v1.prices.create(params={  # type: ignore[arg-type]
        "currency": "eur", "unit_amount": 900, "product_data": {"name": "Euro plan"},
        "recurring": {"interval": "month"}}).id


CASES: dict[str, tuple[dict[str, str], int, str | None, str | None]] = {
    "unknown parameter": ({"trial_period_days": "7"}, 400, "parameter_unknown",
                          "trial_period_days"),
    "unknown item parameter": ({"items[0][tax_rates]": "x"}, 400, "parameter_unknown",
                               "items[0][tax_rates]"),
    "no customer": ({"customer": ""}, 400, "parameter_missing", "customer"),
    "unknown customer": ({"customer": "cus_missing"}, 400, "resource_missing", "customer"),
    "no items": ({"items[0][price]": ""}, 400, "parameter_missing", "items[0][price]"),
    "unknown price": ({"items[0][price]": "price_missing"}, 400, "resource_missing",
                      "items[0][price]"),
    "one-time price": ({"items[0][price]": "{one_time}"}, 400, None, "items[0][price]"),
    "quantity zero": ({"items[0][quantity]": "0"}, 400, "parameter_invalid_integer",
                      "items[0][quantity]"),
    "quantity not a number": ({"items[0][quantity]": "two"}, 400, "parameter_invalid_integer",
                              "items[0][quantity]"),
    "same price twice": ({"items[1][price]": "{price}"}, 400, None, "items"),
    "two currencies": ({"items[1][price]": "{eur}"}, 400, None, "items"),
    "card of another customer": ({"default_payment_method": "{foreign_pm}"}, 400,
                                 "resource_missing", "default_payment_method"),
    "unknown card": ({"default_payment_method": "pm_missing"}, 400, "resource_missing",
                     "default_payment_method"),
    "send_invoice": ({"collection_method": "send_invoice"}, 400, None, "collection_method"),
    "pending_if_incomplete": ({"payment_behavior": "pending_if_incomplete"}, 400, None,
                              "payment_behavior"),
    "bad payment_behavior": ({"payment_behavior": "maybe"}, 400, None, "payment_behavior"),
    "bad cancel_at_period_end": ({"cancel_at_period_end": "yes"}, 400, None,
                                 "cancel_at_period_end"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_create_refuses_bad_input_and_creates_nothing(
    case: str, api: httpx.Client, client: stripe.StripeClient, ready: dict[str, str]
) -> None:
    changes, status, code, param = CASES[case]
    body = {"customer": ready["customer"], "items[0][price]": ready["price"],
            "default_payment_method": ready["pm"]}
    body.update({k: v.format(**ready) for k, v in changes.items()})

    error = _error(api.post("/v1/subscriptions", data=body), status)

    assert (error.get("code"), error.get("param")) == (code, param)
    assert client.v1.subscriptions.list(params={"status": "all"}).data == []


def test_a_customer_without_any_payment_method_cannot_subscribe(
    api: httpx.Client, client: stripe.StripeClient
) -> None:
    bare = client.v1.customers.create(params={"email": "bare@example.com"})

    error = _error(api.post("/v1/subscriptions", data={
        "customer": bare.id, "items[0][price]": price(client).id}), 400)

    assert error["code"] == "resource_missing"
    assert "no attached payment source or default payment method" in error["message"]


@pytest.mark.parametrize("method, path", [
    ("GET", "/v1/subscriptions/sub_missing"), ("POST", "/v1/subscriptions/sub_missing"),
    ("DELETE", "/v1/subscriptions/sub_missing"), ("GET", "/v1/invoices/in_missing"),
    ("POST", "/v1/invoices/in_missing/pay"),
])
def test_unknown_ids_are_404_resource_missing(api: httpx.Client, method: str, path: str
                                               ) -> None:
    error = _error(api.request(method, path), 404)

    assert (error["code"], error["param"]) == ("resource_missing", "id")
    assert path.split("/")[3] in error["message"]


def test_paying_a_paid_invoice_is_refused(api: httpx.Client, client: stripe.StripeClient
                                          ) -> None:
    cus, pm = customer(client)
    sub = subscribe(client, cus, pm, price(client).id)

    error = _error(api.post(f"/v1/invoices/{sub.latest_invoice}/pay"), 400)

    assert "already paid" in error["message"]


@pytest.mark.parametrize("path, body, param", [
    ("/v1/invoices/{invoice}/pay", {"forgive": "true"}, "forgive"),
    ("/v1/invoices/{invoice}/pay", {"payment_method": "pm_missing"}, "payment_method"),
    ("/v1/subscriptions/{sub}", {"items[0][price]": "x"}, "items"),
    ("/v1/subscriptions/{sub}", {"default_payment_method": "pm_missing"},
     "default_payment_method"),
    ("/v1/subscriptions/{sub}", {"cancel_at_period_end": "maybe"}, "cancel_at_period_end"),
])
def test_update_and_pay_refuse_bad_input(
    api: httpx.Client, client: stripe.StripeClient, path: str, body: dict[str, str], param: str
) -> None:
    cus, bad = customer(client, card="pm_card_chargeCustomerFail")
    sub = subscribe(client, cus, bad, price(client).id)
    url = path.format(invoice=sub.latest_invoice, sub=sub.id)

    error = _error(api.post(url, data=body), 400)

    assert error["param"] == param
    assert client.v1.invoices.retrieve(sub.latest_invoice).attempt_count == 1  # type: ignore


def test_a_canceled_subscription_only_takes_metadata(api: httpx.Client,
                                                     client: stripe.StripeClient) -> None:
    cus, pm = customer(client)
    sub = subscribe(client, cus, pm, price(client).id)
    client.v1.subscriptions.cancel(sub.id)

    refused = api.post(f"/v1/subscriptions/{sub.id}", data={"cancel_at_period_end": "true"})
    allowed = api.post(f"/v1/subscriptions/{sub.id}", data={"metadata[note]": "gone"})

    _error(refused, 400)
    assert allowed.status_code == 200 and allowed.json()["metadata"] == {"note": "gone"}


@pytest.mark.parametrize("query, param", [
    ({"status": "sleeping"}, "status"), ({"limit": "0"}, "limit"), ({"colour": "red"}, "colour"),
])
def test_lists_refuse_bad_filters(api: httpx.Client, query: dict[str, str], param: str) -> None:
    for path in ("/v1/subscriptions", "/v1/invoices"):
        assert _error(api.get(path, params=query), 400)["param"] == param


def test_an_unexpandable_invoice_field_is_refused(api: httpx.Client,
                                                  client: stripe.StripeClient) -> None:
    cus, pm = customer(client)
    sub = subscribe(client, cus, pm, price(client).id)

    error = _error(api.get(f"/v1/invoices/{sub.latest_invoice}",
                           params={"expand[]": "number"}), 400)

    assert error["param"] == "expand[0]"
