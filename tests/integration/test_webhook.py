"""POST /webhook on the real stores: what is recorded, and what is refused."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.testclient import TestClient

from tests.conftest import OLD_SECRET, STAFF, settle
from tests.support.webhooks import (
    SECRET,
    event,
    new_session_id,
    session_event,
    sign,
    signed,
)


def post(client: TestClient, body: dict | bytes, secret: str = SECRET, **kw):  # type: ignore[no-untyped-def]
    payload, headers = signed(body, secret, **kw)
    return client.post("/webhook", content=payload, headers=headers)


def log_size(client: TestClient) -> int:
    return client.app.state.services.inbox.recorder.max_notification_id() or 0  # type: ignore[attr-defined]


def test_a_signed_completed_event_is_recorded_and_applied_to_its_session(client: TestClient) -> None:
    session_id = new_session_id()
    completed = session_event("checkout.session.completed", session_id)

    response = post(client, completed)
    settle(client)

    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False}
    state = client.get(f"/sessions/{session_id}", headers=STAFF).json()
    assert (state["status"], state["payment_status"], state["amount_total"]) == ("complete", "paid", 2500)
    assert state["stripe_events"] == [completed["id"]]


def test_redelivered_completed_event_records_nothing_new(client: TestClient) -> None:
    completed = session_event("checkout.session.completed", new_session_id())
    post(client, completed)
    before = log_size(client)

    again = post(client, completed)

    assert again.status_code == 200
    assert again.json() == {"received": True, "duplicate": True}
    assert log_size(client) == before


def test_racing_deliveries_of_one_event_record_it_once(client: TestClient) -> None:
    session_id = new_session_id()
    completed = session_event("checkout.session.completed", session_id)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: post(client, completed).json(), range(8)))
    settle(client)

    assert sorted(a["duplicate"] for a in answers) == [False] + [True] * 7
    history = client.get(f"/sessions/{session_id}/history", headers=STAFF).json()
    assert [e["type"] for e in history["events"]] == ["Completed"]


def test_an_event_signed_with_a_rotated_secret_is_accepted(client: TestClient) -> None:
    response = post(client, session_event("checkout.session.completed", new_session_id()),
                    secret=OLD_SECRET)

    assert response.status_code == 200


def test_every_event_type_is_kept_in_the_raw_log_as_received(client: TestClient) -> None:
    charge = event("charge.succeeded", {"id": "ch_123", "object": "charge", "amount": 99})
    payload, headers = signed(charge)

    response = client.post("/webhook", content=payload, headers=headers)

    assert response.json() == {"received": True, "duplicate": False}
    stored = client.app.state.services.inbox.get(charge["id"])  # type: ignore[attr-defined]
    assert stored.type == "charge.succeeded" and stored.object_id == "ch_123"
    assert stored.payload == payload.decode()
    assert int(stored.created.timestamp()) == charge["created"]


BAD_BODIES = {
    "not json": b"{not json",
    "a json array": b"[1, 2]",
    "no id": json.dumps({"type": "x", "created": 1, "data": {"object": {}}}).encode(),
    "no type": json.dumps({"id": "evt_1x", "created": 1, "data": {"object": {}}}).encode(),
    "no data.object": json.dumps({"id": "evt_1y", "type": "x", "created": 1, "data": {}}).encode(),
    "no created": json.dumps({"id": "evt_1z", "type": "x", "data": {"object": {}}}).encode(),
    "session event without cs id": json.dumps(
        {"id": "evt_2a", "type": "checkout.session.completed", "created": 1,
         "data": {"object": {"id": "pi_1", "object": "payment_intent"}}}).encode(),
    "session event without a mode": json.dumps(
        {"id": "evt_2b", "type": "checkout.session.completed", "created": 1,
         "data": {"object": {"id": "cs_test_x", "object": "checkout.session",
                             "amount_total": 2500}}}).encode(),
    "invalid utf-8": b'{"id": "\xff"}',
    "created past year 9999": json.dumps(
        {"id": "evt_2c", "type": "x", "created": 10**13, "data": {"object": {}}}).encode(),
    "deeply nested": b"[" * 5000 + b"]" * 5000,
}


@pytest.mark.parametrize("name", sorted(BAD_BODIES))
def test_a_wrong_shaped_body_gets_400_and_records_nothing(client: TestClient, name: str) -> None:
    before = log_size(client)

    response = post(client, BAD_BODIES[name])

    assert response.status_code == 400
    assert response.json()["error"]
    assert log_size(client) == before


def test_missing_signature_gets_400(client: TestClient) -> None:
    body = json.dumps(session_event("checkout.session.completed", new_session_id())).encode()

    response = client.post("/webhook", content=body)

    assert response.status_code == 400
    assert "Stripe-Signature" in response.json()["error"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("garbage", "malformed"),
        ("t=123", "malformed"),
        ("v1=abc", "malformed"),
        (None, "does not match"),  # signed with a secret we do not have
    ],
)
def test_bad_signatures_get_400_and_record_nothing(client: TestClient, header: str | None,
                                                   expected: str) -> None:
    body = json.dumps(session_event("checkout.session.completed", new_session_id())).encode()
    before = log_size(client)

    response = client.post("/webhook", content=body, headers={
        "Stripe-Signature": header or sign(body, "whsec_someone_else")})

    assert response.status_code == 400
    assert expected in response.json()["error"]
    assert log_size(client) == before


def test_a_tampered_body_fails_verification(client: TestClient) -> None:
    body, headers = signed(session_event("checkout.session.completed", new_session_id()))

    response = client.post("/webhook", content=body.replace(b"2500", b"1"), headers=headers)

    assert response.status_code == 400


def test_a_stale_timestamp_gets_400(client: TestClient) -> None:
    before = log_size(client)

    response = post(client, session_event("checkout.session.completed", new_session_id()),
                    timestamp=int(time.time()) - 301)

    assert response.status_code == 400
    assert "stale" in response.json()["error"]
    assert log_size(client) == before


def test_a_body_over_one_mebibyte_gets_413_from_its_declared_length(client: TestClient) -> None:
    payload = b"{" + b" " * (1024 * 1024) + b"}"

    response = client.post("/webhook", content=payload,
                           headers={"Stripe-Signature": sign(payload, SECRET)})

    assert response.status_code == 413


def test_a_chunked_body_over_one_mebibyte_gets_413(client: TestClient) -> None:
    def chunks():  # no Content-Length: the limit is enforced while reading
        for _ in range(17):
            yield b" " * 65536

    response = client.post("/webhook", content=chunks(), headers={"Stripe-Signature": "t=1,v1=0"})

    assert response.status_code == 413


def test_other_methods_are_not_allowed(client: TestClient) -> None:
    assert client.get("/webhook").status_code == 405


def test_metrics_count_webhooks_by_type_and_outcome_and_show_the_backlog(client: TestClient) -> None:
    completed = session_event("checkout.session.completed", new_session_id())
    post(client, completed)
    post(client, completed)
    client.post("/webhook", content=b"{}", headers={"Stripe-Signature": "t=1,v1=00"})

    text = client.get("/metrics").text

    def value(sample: str) -> float:
        [line] = [ln for ln in text.splitlines() if ln.startswith(sample + " ")]
        return float(line.rsplit(" ", 1)[1])

    kind = 'type="checkout.session.completed"'
    assert value(f'checkout_ledger_webhooks_received_total{{outcome="recorded",{kind}}}') == 1
    assert value(f'checkout_ledger_webhooks_received_total{{outcome="duplicate",{kind}}}') == 1
    assert value('checkout_ledger_webhooks_received_total{outcome="rejected",type="unverified"}') == 1
    assert value("checkout_ledger_webhook_duplicates_total") == 1
    assert value('checkout_ledger_processing_lag_events{follower="ledger"}') >= 1  # not settled
    assert value('checkout_ledger_open_failures{kind="fulfillment_failed"}') >= 0
