"""Webhook delivery: signed like Stripe, retried until 2xx, and the misbehaviour switches."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

import httpx
import stripe

from emulator.config import EmulatorConfig
from emulator.server import EmulatorServer

CARD = "4242424242424242"


def _bodies(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [json.loads(r["body"]) for r in requests]


def test_delivery_is_signed_so_the_sdk_verifies_it(receiver: Any, shop: Any) -> None:
    endpoint = shop.endpoint(receiver.url, ["checkout.session.completed"])
    session = shop.session(shop.price())

    shop.pay(session.id, card=CARD).raise_for_status()
    shop.flush()

    [delivered] = receiver.accepted()
    assert stripe.WebhookSignature.verify_header(delivered["body"], delivered["signature"],
                                                 endpoint.secret, tolerance=300)
    event = stripe.Webhook.construct_event(delivered["body"], delivered["signature"],
                                           endpoint.secret)
    assert event.type == "checkout.session.completed"
    assert event.data.object.id == session.id
    assert event.data.object.status == "complete"


def test_the_endpoint_secret_is_shown_only_when_created(
    client: stripe.StripeClient, shop: Any
) -> None:
    created = shop.endpoint("http://127.0.0.1:9/hook")

    fetched = client.v1.webhook_endpoints.retrieve(created.id)

    assert created.secret.startswith("whsec_")
    assert "secret" not in fetched


def test_a_wrong_secret_fails_verification(receiver: Any, shop: Any) -> None:
    shop.endpoint(receiver.url, ["checkout.session.completed"])
    session = shop.session(shop.price())
    shop.pay(session.id, card=CARD)
    shop.flush()

    [delivered] = receiver.accepted()

    try:
        stripe.WebhookSignature.verify_header(delivered["body"], delivered["signature"],
                                              "whsec_not_the_secret", tolerance=300)
    except stripe.SignatureVerificationError:
        return
    raise AssertionError("a wrong secret verified")


def test_failed_deliveries_are_retried_until_the_endpoint_answers_2xx(
    make_receiver: Any, control: httpx.Client, shop: Any
) -> None:
    flaky = make_receiver(fail_first=2)
    endpoint = shop.endpoint(flaky.url, ["checkout.session.completed"])
    session = shop.session(shop.price())

    shop.pay(session.id, card=CARD)
    shop.flush()

    assert [r["status"] for r in flaky.requests] == [500, 500, 200]
    log = control.get("/_emulator/deliveries").json()["deliveries"]
    assert [(d["attempt"], d["status"]) for d in log] == [(1, 500), (2, 500), (3, 200)]
    assert all(stripe.WebhookSignature.verify_header(r["body"], r["signature"], endpoint.secret)
               for r in flaky.requests)


def test_an_unreachable_endpoint_is_retried_up_to_max_attempts_with_growing_gaps() -> None:
    config = EmulatorConfig(retry_base_seconds=0.01, max_attempts=6)
    with EmulatorServer(config=config) as server:
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": server.url})
        client.v1.webhook_endpoints.create(params={
            "url": "http://127.0.0.1:9/nobody-listens", "enabled_events": ["customer.created"]})

        client.v1.customers.create(params={"email": "ada@example.com"})
        httpx.post(f"{server.url}/_emulator/flush", trust_env=False).raise_for_status()

        log = httpx.get(f"{server.url}/_emulator/deliveries",
                        trust_env=False).json()["deliveries"]
    assert [d["attempt"] for d in log] == [1, 2, 3, 4, 5, 6]
    assert all(d["status"] is None and d["error"] for d in log)
    gaps = [later["at"] - earlier["at"] for earlier, later in itertools.pairwise(log)]
    assert gaps[-1] > gaps[0]


def test_only_enabled_event_types_are_delivered_and_star_means_all(
    make_receiver: Any, shop: Any
) -> None:
    narrow, everything = make_receiver(), make_receiver()
    shop.endpoint(narrow.url, ["checkout.session.completed"])
    shop.endpoint(everything.url, ["*"])
    session = shop.session(shop.price())

    shop.pay(session.id, card=CARD)
    shop.flush()

    assert [e["type"] for e in _bodies(narrow.accepted())] == ["checkout.session.completed"]
    delivered = {e["type"] for e in _bodies(everything.accepted())}
    assert {"checkout.session.completed", "payment_intent.succeeded",
            "price.created"} <= delivered


def test_expired_sessions_are_delivered(receiver: Any, client: stripe.StripeClient,
                                        shop: Any) -> None:
    shop.endpoint(receiver.url, ["checkout.session.expired"])
    session = shop.session(shop.price())

    expired = client.v1.checkout.sessions.expire(session.id)
    shop.flush()

    assert expired.status == "expired"
    assert [e["data"]["object"]["id"] for e in _bodies(receiver.accepted())] == [session.id]


def test_duplicate_switch_delivers_every_event_twice(
    receiver: Any, control: httpx.Client, shop: Any
) -> None:
    shop.endpoint(receiver.url, ["checkout.session.completed"])
    control.post("/_emulator/delivery", json={"duplicate": True}).raise_for_status()
    session = shop.session(shop.price())

    shop.pay(session.id, card=CARD)
    shop.flush()

    events = _bodies(receiver.accepted())
    assert len(events) == 2
    assert events[0]["id"] == events[1]["id"]


def test_reverse_order_switch_delivers_a_sessions_events_newest_first(
    receiver: Any, control: httpx.Client, shop: Any
) -> None:
    shop.endpoint(receiver.url, ["checkout.session.completed",
                                 "checkout.session.async_payment_succeeded"])
    control.post("/_emulator/delivery", json={"reverse_order": True}).raise_for_status()
    session = shop.session(shop.price())
    shop.pay(session.id, method="bank_debit_succeeds")
    control.post(f"/_emulator/checkout/sessions/{session.id}/settle").raise_for_status()
    held = list(receiver.requests)

    shop.flush()

    assert held == []
    assert [e["type"] for e in _bodies(receiver.accepted())] == [
        "checkout.session.async_payment_succeeded", "checkout.session.completed"]


def test_delay_switch_holds_each_delivery_back(
    receiver: Any, control: httpx.Client, shop: Any
) -> None:
    shop.endpoint(receiver.url, ["checkout.session.completed"])
    control.post("/_emulator/delivery", json={"delay_seconds": 0.5}).raise_for_status()
    session = shop.session(shop.price())
    started = time.monotonic()

    shop.pay(session.id, card=CARD)
    receiver.wait_for(1)

    assert time.monotonic() - started >= 0.45
    assert len(receiver.accepted()) == 1


def test_dropped_events_are_never_delivered_but_listed_by_v1_events(
    receiver: Any, control: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    shop.endpoint(receiver.url, ["checkout.session.completed"])
    before = client.v1.events.list(params={"limit": 1}).data
    since = before[0].created - 1 if before else 0
    control.post("/_emulator/delivery", json={"drop": True}).raise_for_status()
    session = shop.session(shop.price())

    shop.pay(session.id, card=CARD)
    shop.flush()
    listed = client.v1.events.list(params={"type": "checkout.session.completed",
                                           "created": {"gt": since}})

    assert receiver.requests == []
    assert [e.data.object.id for e in listed.data] == [session.id]


def test_a_dropped_share_is_not_delivered_and_the_rest_is(
    receiver: Any, control: httpx.Client, shop: Any
) -> None:
    shop.endpoint(receiver.url, ["checkout.session.completed"])
    control.post("/_emulator/delivery", json={"drop_share": 0.5}).raise_for_status()
    sessions = [shop.session(shop.price()) for _ in range(40)]

    for session in sessions:
        shop.pay(session.id, card=CARD)
    shop.flush()

    delivered = {e["data"]["object"]["id"] for e in _bodies(receiver.accepted())}
    assert delivered < {s.id for s in sessions}
    assert 5 <= len(delivered) <= 35  # about half (P(outside) < 1e-5)


def test_late_deliveries_arrive_after_newer_events(
    receiver: Any, control: httpx.Client, shop: Any
) -> None:
    shop.endpoint(receiver.url, ["checkout.session.completed"])
    control.post("/_emulator/delivery",
                 json={"late_share": 0.5, "late_seconds": 0.5}).raise_for_status()
    sessions = [shop.session(shop.price()) for _ in range(20)]

    for session in sessions:
        shop.pay(session.id, card=CARD)
    shop.flush()

    arrived = [e["data"]["object"]["id"] for e in _bodies(receiver.accepted())]
    assert sorted(arrived) == sorted(s.id for s in sessions)
    assert arrived != [s.id for s in sessions]  # some came after newer ones (P(not) = 21 / 2**20)


def test_control_switches_reject_unknown_names_and_wrong_types(control: httpx.Client) -> None:
    responses = [control.post("/_emulator/delivery", json=body)
                 for body in ({"shuffle": True}, {"duplicate": "yes"}, {"delay_seconds": -1},
                              {"late_share": 1.5}, {"drop_share": True})]

    assert [r.status_code for r in responses] == [400, 400, 400, 400, 400]
    assert control.get("/_emulator/delivery").json() == {
        "duplicate": False, "reverse_order": False, "delay_seconds": 0.0, "drop": False,
        "drop_share": 0.0, "late_share": 0.0, "late_seconds": 0.0}


def test_deleted_endpoints_receive_nothing_more(
    receiver: Any, client: stripe.StripeClient, shop: Any
) -> None:
    endpoint = shop.endpoint(receiver.url, ["checkout.session.completed"])

    deleted = client.v1.webhook_endpoints.delete(endpoint.id)
    session = shop.session(shop.price())
    shop.pay(session.id, card=CARD)
    shop.flush()

    assert deleted.deleted is True
    assert receiver.requests == []
