"""``stripe listen``'s side of the emulator, spoken as the CLI speaks it (no CLI needed here):
``POST /v1/stripecli/sessions``, then the websocket that carries each event, signed."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
import stripe
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from emulator import cli_sessions
from emulator.server import EmulatorServer


def open_session(api: httpx.Client, **extra: Any) -> dict[str, Any]:
    answer = api.post("/v1/stripecli/sessions", data={
        "device_name": "laptop", "websocket_features[]": "webhooks", **extra})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def subscribe(session: dict[str, Any]) -> ClientConnection:
    url = f"{session['websocket_url']}?websocket_feature={session['websocket_authorized_feature']}"
    return connect(url, additional_headers={"Websocket-Id": session["websocket_id"]},
                   open_timeout=5)


def next_event(socket: ClientConnection) -> dict[str, Any]:
    message = json.loads(socket.recv(timeout=5))
    assert message["type"] == "webhook_event"
    return dict(message)


def test_a_session_names_its_websocket_and_the_secret_every_session_shares(
        api: httpx.Client, server: EmulatorServer) -> None:
    first = open_session(api, forward_to_url="http://127.0.0.1:4242/webhook")
    second = open_session(api)

    assert first["websocket_url"] == f"ws://127.0.0.1:{server.port}/stripecli/subscribe"
    assert first["websocket_authorized_feature"] == "webhooks"
    assert first["secret"].startswith("whsec_") and first["secret"] == second["secret"]
    assert first["websocket_id"] != second["websocket_id"]
    assert first["reconnect_delay"] > 0
    assert first["default_version"] == first["latest_version"] == "2026-10-28.endive"


@pytest.mark.parametrize(("data", "param", "code"), [
    ({"device_name": "laptop", "color": "blue"}, "color", "parameter_unknown"),
    ({}, "device_name", "parameter_missing"),
    ({"device_name": "laptop", "websocket_features[]": "v2_events"}, "websocket_features[0]",
     None),
    ({"device_name": "laptop", "forward_to_url": "localhost:4242"}, "forward_to_url",
     "url_invalid"),
])
def test_a_session_request_stripe_would_refuse_is_refused(
        api: httpx.Client, data: dict[str, str], param: str, code: str | None) -> None:
    answer = api.post("/v1/stripecli/sessions", data=data)

    error = answer.json()["error"]
    assert (answer.status_code, error["param"], error.get("code")) == (400, param, code)


def test_a_session_needs_the_api_key(server: EmulatorServer) -> None:
    answer = httpx.post(f"{server.url}/v1/stripecli/sessions", data={"device_name": "x"})

    assert answer.status_code == 401


def test_an_unknown_websocket_id_is_refused_with_the_message_the_cli_looks_for(
        api: httpx.Client) -> None:
    session = open_session(api)

    with pytest.raises(InvalidStatus) as refused:
        subscribe({**session, "websocket_id": "cliws_nobody"})

    assert refused.value.response.status_code == 400
    body = json.loads(refused.value.response.body or b"{}")
    assert body["error"]["message"] == "Unknown WebSocket ID."


def test_each_new_event_arrives_signed_with_the_session_secret_and_the_answer_is_logged(
        api: httpx.Client, client: stripe.StripeClient, control: httpx.Client) -> None:
    session = open_session(api)
    with subscribe(session) as socket:
        product = client.v1.products.create(params={"name": "Ledger mug"})
        message = next_event(socket)
        payload = message["event_payload"]
        event = stripe.Webhook.construct_event(
            payload, message["http_headers"]["Stripe-Signature"], session["secret"])
        socket.send(json.dumps({"type": "event_ack", "event_id": event.id,
                                "webhook_id": message["webhook_id"],
                                "webhook_conversation_id": message["webhook_conversation_id"]}))
        socket.send(json.dumps({"type": "webhook_response", "status": 200,
                                "forward_url": "http://127.0.0.1:4242/webhook", "body": "{}",
                                "notification_id": event.id, "http_headers": {},
                                "request_headers": {}, "request_body": payload,
                                "webhook_id": message["webhook_id"]}))

        logged = _wait_for_log(control, event.id)

    assert (event.type, event.data.object.id) == ("product.created", product.id)
    assert message["endpoint"] == {"api_version": None}
    assert message["http_headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert logged["endpoint"] == f"stripecli:{session['websocket_id']}"
    assert (logged["type"], logged["status"], logged["url"]) == (
        "product.created", 200, "http://127.0.0.1:4242/webhook")


def test_events_during_a_reconnect_wait_for_the_next_connection(
        api: httpx.Client, client: stripe.StripeClient) -> None:
    session = open_session(api)
    with subscribe(session) as socket:
        client.v1.products.create(params={"name": "Before"})
        assert json.loads(next_event(socket)["event_payload"])["type"] == "product.created"
    time.sleep(0.2)  # the server has seen the close
    client.v1.customers.create(params={"email": "while-away@example.com"})

    with subscribe(session) as socket:
        waited = json.loads(next_event(socket)["event_payload"])

    assert (waited["type"], waited["data"]["object"]["email"]) == (
        "customer.created", "while-away@example.com")


def test_a_session_that_never_connected_gets_nothing(
        api: httpx.Client, client: stripe.StripeClient) -> None:
    session = open_session(api)  # what --print-secret leaves behind
    client.v1.products.create(params={"name": "Unseen"})

    with subscribe(session) as socket:
        client.v1.products.create(params={"name": "Seen"})
        event = json.loads(next_event(socket)["event_payload"])

    assert event["data"]["object"]["name"] == "Seen"


def test_a_session_left_without_its_websocket_is_forgotten(
        api: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    session = open_session(api)
    monkeypatch.setattr(cli_sessions, "IDLE_SECONDS", 0.0)
    open_session(api)  # any new session (or event) sweeps the idle ones

    with pytest.raises(InvalidStatus) as refused:
        subscribe(session)

    assert b"Unknown WebSocket ID." in (refused.value.response.body or b"")


def _wait_for_log(control: httpx.Client, event_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        log = control.get("/_emulator/deliveries", params={"event": event_id}).json()
        if log["deliveries"]:
            return dict(log["deliveries"][0])
        time.sleep(0.02)
    raise AssertionError(f"no delivery logged for {event_id}")
