"""Malformed requests answer 4xx in Stripe's shape and change nothing."""

from __future__ import annotations

import re

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SUCCESS = "http://127.0.0.1:4242/success?session_id={CHECKOUT_SESSION_ID}"


def _snapshot(api: httpx.Client) -> dict[str, list[str]]:
    """Ids of everything an API user can list."""
    paths = ["/v1/checkout/sessions", "/v1/products", "/v1/prices", "/v1/customers",
             "/v1/events", "/v1/payment_intents"]
    return {p: [o["id"] for o in api.get(p, params={"limit": 100}).json()["data"]] for p in paths}


@pytest.fixture
def price_id(api: httpx.Client) -> str:
    response = api.post("/v1/prices", data={"currency": "usd", "unit_amount": "2500",
                                            "product_data[name]": "T-shirt"})
    price: str = response.json()["id"]
    return price


def _cases(price_id: str) -> list[tuple[dict[str, str], str]]:
    """(form body, the param Stripe would blame)."""
    item = {"mode": "payment", "success_url": SUCCESS, "line_items[0][price]": price_id}
    return [
        ({**item, "line_items[0][quantity]": "0"}, "line_items[0][quantity]"),
        ({**item, "line_items[0][quantity]": "-3"}, "line_items[0][quantity]"),
        ({**item, "line_items[0][quantity]": "two"}, "line_items[0][quantity]"),
        ({**item, "line_items[0][quantity]": "1000000"}, "line_items[0][quantity]"),
        (item, "line_items[0][quantity]"),
        ({"mode": "payment", "line_items[0][price]": price_id,
          "line_items[0][quantity]": "1"}, "success_url"),
        ({"success_url": SUCCESS, "line_items[0][price]": price_id,
          "line_items[0][quantity]": "1"}, "mode"),
        ({"mode": "barter", "success_url": SUCCESS}, "mode"),
        ({"mode": "payment", "success_url": SUCCESS}, "line_items"),
        ({"mode": "payment", "success_url": "not a url", "line_items[0][price]": price_id,
          "line_items[0][quantity]": "1"}, "success_url"),
        ({"mode": "subscription", "success_url": SUCCESS, "line_items[0][price]": price_id,
          "line_items[0][quantity]": "1"}, "line_items"),
        ({"mode": "setup", "success_url": SUCCESS, "currency": "usd",
          "line_items[0][price]": price_id, "line_items[0][quantity]": "1"}, "line_items"),
        ({"mode": "setup", "success_url": SUCCESS}, "currency"),
        ({**item, "line_items[0][quantity]": "1", "customer": "cus_nobody"}, "customer"),
        ({**item, "line_items[0][quantity]": "1", "customer_email": "not-an-email"},
         "customer_email"),
        ({**item, "line_items[0][quantity]": "1", "line_items[1][price_data][currency]": "usd",
          "line_items[1][price_data][product_data][name]": "Inline",
          "line_items[1][quantity]": "1"}, "line_items[1][price_data][unit_amount]"),
        ({"mode": "payment", "success_url": SUCCESS,
          "line_items[0][price_data][currency]": "usd",
          "line_items[0][price_data][unit_amount]": "900",
          "line_items[0][price_data][product_data][name]": "Inline",
          "line_items[0][quantity]": "1", "line_items[1][price]": "price_gone",
          "line_items[1][quantity]": "1"}, "line_items[1][price]"),
        ({**item, "line_items[0][quantity]": "1", "metadata": "flat"}, "metadata"),
    ]


def test_malformed_session_requests_are_400_naming_the_param_and_change_nothing(
    api: httpx.Client, price_id: str
) -> None:
    before = _snapshot(api)

    answers = [(api.post("/v1/checkout/sessions", data=body), param)
               for body, param in _cases(price_id)]

    for response, param in answers:
        assert response.status_code == 400, (param, response.text)
        error = response.json()["error"]
        assert error["type"] == "invalid_request_error"
        assert error["param"] == param, error
        assert error["message"]
    assert _snapshot(api) == before


def test_a_recurring_price_in_payment_mode_is_refused(api: httpx.Client) -> None:
    monthly = api.post("/v1/prices", data={"currency": "usd", "unit_amount": "1500",
                                           "recurring[interval]": "month",
                                           "product_data[name]": "Pro"}).json()

    response = api.post("/v1/checkout/sessions", data={
        "mode": "payment", "success_url": SUCCESS, "line_items[0][price]": monthly["id"],
        "line_items[0][quantity]": "1"})

    assert response.status_code == 400
    assert "recurring" in response.json()["error"]["message"]


@pytest.mark.parametrize("path", [
    "/v1/customers/cus_missing", "/v1/prices/price_missing", "/v1/products/prod_missing",
    "/v1/payment_intents/pi_missing", "/v1/setup_intents/seti_missing",
    "/v1/payment_methods/pm_missing", "/v1/subscriptions/sub_missing",
    "/v1/events/evt_missing", "/v1/webhook_endpoints/we_missing",
    "/v1/checkout/sessions/cs_test_missing/line_items",
])
def test_unknown_ids_are_404_resource_missing(api: httpx.Client, path: str) -> None:
    response = api.get(path)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "resource_missing"


def test_attaching_to_an_unknown_customer_changes_nothing(api: httpx.Client) -> None:
    before = _snapshot(api)

    response = api.post("/v1/payment_methods/pm_card_visa/attach",
                        data={"customer": "cus_missing"})

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "customer"
    assert _snapshot(api) == before


def test_charging_without_amount_or_currency_is_refused(api: httpx.Client) -> None:
    responses = [api.post("/v1/payment_intents", data=body)
                 for body in ({"currency": "usd"}, {"amount": "2000"},
                              {"amount": "20", "currency": "usd"})]

    assert [r.status_code for r in responses] == [400, 400, 400]
    assert [r.json()["error"]["param"] for r in responses] == ["amount", "currency", "amount"]


def test_webhook_endpoint_needs_url_and_enabled_events(api: httpx.Client) -> None:
    responses = [api.post("/v1/webhook_endpoints", data=body) for body in (
        {"enabled_events[]": "*"}, {"url": "http://127.0.0.1:9/hook"},
        {"url": "ftp://x", "enabled_events[]": "*"})]

    assert [r.status_code for r in responses] == [400, 400, 400]
    assert api.get("/v1/webhook_endpoints").json()["data"] == []


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(quantity=st.one_of(st.text(max_size=12),
                          st.integers(min_value=-5, max_value=1_100_000).map(str)))
def test_any_quantity_text_is_either_accepted_or_a_clean_400(
    api: httpx.Client, price_id: str, quantity: str
) -> None:
    response = api.post("/v1/checkout/sessions", data={
        "mode": "payment", "success_url": SUCCESS, "line_items[0][price]": price_id,
        "line_items[0][quantity]": quantity})

    if re.fullmatch(r"\+?[0-9]+", quantity) and 1 <= int(quantity) <= 999_999:
        assert response.status_code == 200
    else:
        assert response.status_code == 400, response.text
        assert response.json()["error"]["param"] == "line_items[0][quantity]"
