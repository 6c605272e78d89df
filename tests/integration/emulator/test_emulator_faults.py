"""``/_emulator/faults``: the next N calls of a route fail as Stripe fails, then it answers again."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
import stripe

from emulator.server import EmulatorServer
from tests.integration.emulator.conftest import API_KEY, Shop


def arm(control: httpx.Client, **rule: Any) -> dict[str, Any]:
    response = control.post("/_emulator/faults", json=rule)
    response.raise_for_status()
    armed: dict[str, Any] = response.json()
    return armed


def test_the_next_calls_of_a_route_answer_503_in_stripes_shape_then_it_answers_again(
    control: httpx.Client, api: httpx.Client, shop: Shop
) -> None:
    session = shop.session(shop.price())
    arm(control, method="GET", path="/v1/checkout/sessions/*", fault="503", count=2)

    answers = [api.get(f"/v1/checkout/sessions/{session.id}") for _ in range(3)]

    assert [a.status_code for a in answers] == [503, 503, 200]
    error = answers[0].json()["error"]
    assert error.pop("request_log_url").startswith(
        f"https://dashboard.stripe.com/test/logs/{answers[0].headers['request-id']}?t=")
    assert error == {"type": "api_error", "message": "An unknown error occurred"}
    assert answers[0].headers["request-id"].startswith("req_")
    assert answers[2].json()["id"] == session.id


@pytest.mark.parametrize("status", ["500", "502"])
def test_other_server_errors_are_api_errors_the_sdk_raises_as_such(
    status: str, control: httpx.Client, client: stripe.StripeClient, shop: Shop
) -> None:
    session = shop.session(shop.price())
    arm(control, method="GET", path="/v1/checkout/sessions/*", fault=status)

    with pytest.raises(stripe.APIError) as raised:
        client.v1.checkout.sessions.retrieve(session.id)

    assert raised.value.http_status == int(status)


def test_a_rate_limit_answers_429_as_stripe_does_and_the_sdk_raises_rate_limit_error(
    control: httpx.Client, api: httpx.Client, client: stripe.StripeClient
) -> None:
    arm(control, method="GET", path="/v1/prices", fault="429", count=2)

    raw = api.get("/v1/prices")
    with pytest.raises(stripe.RateLimitError) as raised:
        client.v1.prices.list()

    assert raw.status_code == 429
    error = raw.json()["error"]
    assert (error["type"], error["code"]) == ("invalid_request_error", "rate_limit")
    assert error["doc_url"] == "https://stripe.com/docs/error-codes/rate-limit"
    assert "rate limit" in error["message"]
    assert raised.value.http_status == 429


def test_a_star_matches_one_path_segment_and_the_method_must_match(
    control: httpx.Client, api: httpx.Client, shop: Shop
) -> None:
    session = shop.session(shop.price())
    customer = api.post("/v1/customers", data={"email": "ada@example.com"}).json()
    arm(control, method="GET", path="/v1/checkout/sessions/*", fault="503", count=5)
    arm(control, method="GET", path="/v1/customers/*", fault="503", count=5)

    untouched = [api.get("/v1/checkout/sessions").status_code,
                 api.get(f"/v1/checkout/sessions/{session.id}/line_items").status_code,
                 api.post(f"/v1/customers/{customer['id']}", data={"name": "Ada"}).status_code]

    assert untouched == [200, 200, 200]
    assert [rule["count"] for rule in control.get("/_emulator/faults").json()["faults"]] == [5, 5]


def test_a_double_star_matches_across_segments(
    control: httpx.Client, api: httpx.Client, shop: Shop
) -> None:
    session = shop.session(shop.price())
    arm(control, method="*", path="/v1/checkout/**", fault="500", count=2)

    answers = [api.get(f"/v1/checkout/sessions/{session.id}/line_items").status_code,
               api.post(f"/v1/checkout/sessions/{session.id}/expire").status_code]

    assert answers == [500, 500]


def test_a_timeout_holds_the_answer_past_the_clients_timeout_and_the_call_still_takes_effect(
    server: EmulatorServer, control: httpx.Client, client: stripe.StripeClient
) -> None:
    impatient = stripe.StripeClient(
        API_KEY, base_addresses={"api": server.url}, max_network_retries=0,
        http_client=stripe.HTTPXClient(allow_sync_methods=True, timeout=0.3))
    arm(control, method="POST", path="/v1/customers", fault="timeout", seconds=1.0)

    started = time.monotonic()
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.customers.create(params={"email": "late@example.com"})
    gave_up_after = time.monotonic() - started

    assert gave_up_after < 1.0
    assert _listed_within(client, "late@example.com", seconds=5)


def _listed_within(client: stripe.StripeClient, email: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if email in [c.email for c in client.v1.customers.list().data]:
            return True
        time.sleep(0.1)
    return False


def test_an_error_fault_sends_the_error_it_is_given(
    control: httpx.Client, client: stripe.StripeClient, shop: Shop
) -> None:
    session = shop.session(shop.price())
    arm(control, method="GET", path="/v1/checkout/sessions/*", fault="error", status=400,
        error={"type": "invalid_request_error", "message": "This session belongs elsewhere.",
               "code": "parameter_invalid"})

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.retrieve(session.id)

    assert (raised.value.http_status, raised.value.code) == (400, "parameter_invalid")


def test_each_injected_fault_is_logged_and_a_reset_disarms_the_rest(
    control: httpx.Client, api: httpx.Client
) -> None:
    rule = arm(control, method="GET", path="/v1/prices", fault="503", count=3)
    api.get("/v1/prices?limit=3")

    seen = control.get("/_emulator/faults").json()
    control.post("/_emulator/reset").raise_for_status()

    assert rule["id"].startswith("flt_") and rule["count"] == 3
    assert [(i["rule"], i["method"], i["path"], i["fault"]) for i in seen["injected"]] == [
        (rule["id"], "GET", "/v1/prices", "503")]
    assert seen["faults"][0]["count"] == 2
    assert api.get("/v1/prices").status_code == 200
    assert control.get("/_emulator/faults").json() == {"faults": [], "injected": []}


DECLINE = {"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds",
           "message": "Your card has insufficient funds."}


def _off_session(api: httpx.Client, email: str) -> tuple[str, str]:
    customer = api.post("/v1/customers", data={"email": email}).json()["id"]
    card = api.post("/v1/payment_methods/pm_card_visa/attach", data={"customer": customer})
    return customer, card.json()["id"]


def test_a_rule_with_params_declines_only_that_customers_charges_and_the_others_go_through(
    control: httpx.Client, client: stripe.StripeClient, api: httpx.Client
) -> None:
    (kim, kim_card), (lee, lee_card) = (_off_session(api, "kim@example.com"),
                                        _off_session(api, "lee@example.com"))
    rule = arm(control, method="POST", path="/v1/payment_intents", fault="error", status=402,
               error=DECLINE, params={"customer": kim}, count=2)

    def charge(customer: str, card: str) -> str:
        try:
            return str(client.v1.payment_intents.create(params={
                "amount": 1500, "currency": "usd", "customer": customer, "payment_method": card,
                "off_session": True, "confirm": True}).status)
        except stripe.CardError as declined:
            return f"{declined.http_status} {declined.code} {declined.error.decline_code}"

    outcomes = [charge(lee, lee_card), charge(kim, kim_card), charge(lee, lee_card),
                charge(kim, kim_card), charge(kim, kim_card)]

    assert rule["params"] == {"customer": kim}
    declined = "402 card_declined insufficient_funds"
    assert outcomes == ["succeeded", declined, "succeeded", declined, "succeeded"]
    assert [pi.customer for pi in client.v1.payment_intents.list().data].count(kim) == 1
    injected = control.get("/_emulator/faults").json()["injected"]
    assert [(i["rule"], i["path"]) for i in injected] == [(rule["id"], "/v1/payment_intents")] * 2


def test_params_match_the_query_and_nested_form_params_and_a_passed_call_keeps_its_body(
    control: httpx.Client, api: httpx.Client
) -> None:
    arm(control, method="POST", path="/v1/customers", fault="503",
        params={"metadata": {"plan": "pro"}, "email": "pro@example.com"})
    arm(control, method="GET", path="/v1/customers", fault="503", params={"email": "x@y.com"})

    answers = [api.post("/v1/customers", data={"email": "pro@example.com",
                                               "metadata[plan]": "basic"}),
               api.post("/v1/customers", data={"email": "pro@example.com",
                                               "metadata[plan]": "pro"}),
               api.get("/v1/customers", params={"email": "a@b.com"}),
               api.get("/v1/customers", params={"email": "x@y.com"})]

    assert [a.status_code for a in answers] == [200, 503, 200, 503]
    assert answers[0].json()["metadata"] == {"plan": "basic"}  # read, then handed on whole
    assert control.get("/_emulator/faults").json()["faults"] == []


@pytest.mark.parametrize("rule", [
    {"method": "GET", "path": "/_emulator/faults", "fault": "503"},
    {"method": "GET", "path": "/v1/prices", "fault": "504"},
    {"method": "PUT", "path": "/v1/prices", "fault": "503"},
    {"method": "GET", "path": "/v1/prices", "fault": "503", "count": 0},
    {"method": "GET", "path": "/v1/prices", "fault": "503", "count": True},
    {"method": "GET", "path": "/v1/prices", "fault": "error", "status": 200,
     "error": {"type": "api_error", "message": "x"}},
    {"method": "GET", "path": "/v1/prices", "fault": "error", "status": 400},
    {"method": "GET", "path": "/v1/prices", "fault": "503", "colour": "red"},
    {"path": "/v1/prices", "fault": "503"},
    {"method": "GET", "path": "/v1/prices", "fault": "503", "params": {}},
    {"method": "GET", "path": "/v1/prices", "fault": "503", "params": {"customer": 5}},
    {"method": "GET", "path": "/v1/prices", "fault": "503", "params": "customer=cus_1"},
    {"method": "GET", "path": "/v1/prices", "fault": "503", "params": {"metadata": {}}},
])
def test_a_rule_the_emulator_cannot_use_is_refused_and_nothing_is_armed(
    rule: dict[str, Any], control: httpx.Client
) -> None:
    response = control.post("/_emulator/faults", json=rule)

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert control.get("/_emulator/faults").json()["faults"] == []


def test_delete_disarms_every_rule(control: httpx.Client, api: httpx.Client) -> None:
    arm(control, method="GET", path="/v1/prices", fault="503", count=3)

    control.delete("/_emulator/faults").raise_for_status()

    assert api.get("/v1/prices").status_code == 200
