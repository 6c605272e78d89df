"""Strict like Stripe: unknown parameters, non-expandable fields, unknown URLs, key conflicts."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

SUCCESS = "http://127.0.0.1:4242/success?session_id={CHECKOUT_SESSION_ID}"


@pytest.mark.parametrize(("path", "body", "unknown"), [
    ("/v1/customers", {"email": "a@example.com", "nickname": "x"}, "nickname"),
    ("/v1/payment_methods", {"type": "card", "card[number]": "4242424242424242",
                             "card[foo]": "1"}, "card[foo]"),
    ("/v1/checkout/sessions", {"mode": "setup", "currency": "usd", "success_url": SUCCESS,
                               "line_items[0][colour]": "red"}, "line_items[0][colour]"),
    ("/v1/payment_intents", {"amount": "100", "currency": "usd", "captain": "x"}, "captain"),
    ("/v1/webhook_endpoints", {"url": "http://127.0.0.1:9/x", "enabled_events[]": "*",
                               "secret": "x"}, "secret"),
])
def test_an_unknown_parameter_is_refused_by_name(
    api: httpx.Client, path: str, body: dict[str, str], unknown: str
) -> None:
    response = api.post(path, data=body)

    error = response.json()["error"]
    assert response.status_code == 400
    assert (error["type"], error["code"], error["param"], error["message"]) == (
        "invalid_request_error", "parameter_unknown", unknown,
        f"Received unknown parameter: {unknown}")


def test_an_unknown_query_parameter_of_a_list_is_refused(api: httpx.Client) -> None:
    response = api.get("/v1/events", params={"kind": "x"})

    assert (response.status_code, response.json()["error"]["param"]) == (400, "kind")


@pytest.mark.parametrize("path", ["currency", "customer_details", "setup_intent.status",
                                  "setup_intent.payment_method.card"])
def test_only_expandable_fields_expand(api: httpx.Client, shop: Any, path: str) -> None:
    customer = api.post("/v1/customers", data={"email": "a@example.com"}).json()["id"]
    session = shop.session(mode="setup", currency="usd", customer=customer)
    shop.pay(session.id, card="4242424242424242")

    response = api.get(f"/v1/checkout/sessions/{session.id}", params={"expand[]": path})

    assert response.status_code == 400
    assert response.json()["error"]["message"] == f"This property cannot be expanded ({path})."
    assert response.json()["error"]["param"] == "expand[0]"


def test_sessions_use_the_ui_mode_of_the_announced_api_version(shop: Any) -> None:
    session = shop.session(shop.price())

    assert session.ui_mode == "hosted_page"


def test_an_unknown_url_is_stripes_404_with_a_request_id(api: httpx.Client) -> None:
    response = api.get("/v1/x")

    request_id = response.headers["Request-Id"]
    assert response.status_code == 404
    assert request_id.startswith("req_")
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("Unrecognized request URL (GET: /v1/x). ")
    assert error["request_log_url"].startswith(
        f"https://dashboard.stripe.com/test/logs/{request_id}")


def test_a_replay_names_the_original_request(api: httpx.Client) -> None:
    headers = {"Idempotency-Key": "once"}

    first = api.post("/v1/customers", data={"email": "a@example.com"}, headers=headers)
    second = api.post("/v1/customers", data={"email": "a@example.com"}, headers=headers)

    assert (second.status_code, second.content) == (first.status_code, first.content)
    assert second.headers["Original-Request"] == first.headers["Request-Id"]
    assert "Idempotent-Replayed" not in first.headers


def test_a_key_still_in_use_is_a_409_and_the_first_request_runs_alone(
    api: httpx.Client,
) -> None:
    started = threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield b"email=slow%40example.com"
        started.set()
        time.sleep(0.5)
        yield b"&name=Slow"

    headers = {"Idempotency-Key": "busy", "Content-Type": "application/x-www-form-urlencoded"}
    results: list[httpx.Response] = []
    first = threading.Thread(target=lambda: results.append(
        api.post("/v1/customers", content=slow_body(), headers=headers)))
    first.start()
    started.wait(5)
    time.sleep(0.1)

    second = api.post("/v1/customers", data={"email": "slow@example.com", "name": "Slow"},
                      headers={"Idempotency-Key": "busy"})
    first.join(5)
    third = api.post("/v1/customers", data={"email": "slow@example.com", "name": "Slow"},
                     headers={"Idempotency-Key": "busy"})

    assert second.status_code == 409
    assert (second.json()["error"]["type"], second.json()["error"]["code"]) == (
        "idempotency_error", "idempotency_key_in_use")
    assert second.headers["Stripe-Should-Retry"] == "true"
    assert results[0].status_code == 200
    assert third.json()["id"] == results[0].json()["id"]
    assert len(api.get("/v1/customers").json()["data"]) == 1
