"""Staff audit routes: a session's history, its state as of a version or a time, the log."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from tests.conftest import STAFF, settle
from tests.support.webhooks import new_session_id, session_event, signed


def deliver(client: TestClient, *events: dict) -> None:
    for e in events:
        payload, headers = signed(e)
        assert client.post("/webhook", content=payload, headers=headers).status_code == 200
    settle(client)


@pytest.fixture
def delayed_payment(client: TestClient) -> tuple[str, list[dict]]:
    """A bank debit: completed unpaid, then settled."""
    session_id = new_session_id()
    events = [
        session_event("checkout.session.completed", session_id, payment_status="unpaid",
                      created=1_790_000_000),
        session_event("checkout.session.async_payment_succeeded", session_id,
                      created=1_790_086_400),
    ]
    deliver(client, *events)
    return session_id, events


def test_history_lists_every_event_oldest_first_with_stripe_ids(
    client: TestClient, delayed_payment: tuple[str, list[dict]]
) -> None:
    session_id, events = delayed_payment

    history = client.get(f"/sessions/{session_id}/history", headers=STAFF).json()

    assert history["session"] == session_id
    assert [e["type"] for e in history["events"]] == ["Completed", "AsyncPaymentSucceeded"]
    assert [e["version"] for e in history["events"]] == [1, 2]
    assert [e["stripe_event_id"] for e in history["events"]] == [e["id"] for e in events]
    assert history["events"][0]["stripe_created"] == "2026-09-21T14:13:20+00:00"
    assert history["events"][0]["data"]["facts"]["payment_status"] == "unpaid"
    assert all(e["actor"] is None and e["recorded_at"] for e in history["events"])


def test_state_as_of_a_version_replays_only_the_first_n_events(
    client: TestClient, delayed_payment: tuple[str, list[dict]]
) -> None:
    session_id, _ = delayed_payment

    at_1 = client.get(f"/sessions/{session_id}?version=1", headers=STAFF).json()
    now = client.get(f"/sessions/{session_id}", headers=STAFF).json()

    assert (at_1["version"], at_1["payment_status"], at_1["payment_outcome"]) == (1, "unpaid", "pending")
    assert (at_1["amount_total"], at_1["mode"], at_1["status"]) == (2500, "payment", "complete")
    assert (now["version"], now["payment_status"], now["payment_outcome"]) == (2, "paid", "succeeded")
    assert now["fulfillment"] == {"status": "pending", "line_items": [], "fulfilled_at": None,
                                  "trigger": None, "last_error": None, "attempts": 0}


def test_state_as_of_a_time_replays_the_events_recorded_by_then(client: TestClient) -> None:
    session_id = new_session_id()
    deliver(client, session_event("checkout.session.completed", session_id, payment_status="unpaid"))
    between = datetime.now(UTC)
    time.sleep(0.02)
    deliver(client, session_event("checkout.session.async_payment_failed", session_id))

    then = client.get(f"/sessions/{session_id}", params={"at": between.isoformat()}, headers=STAFF)
    before = client.get(f"/sessions/{session_id}",
                        params={"at": (between - timedelta(days=1)).isoformat()}, headers=STAFF)

    assert then.json()["payment_outcome"] == "pending"
    assert then.json()["version"] == 1
    assert before.status_code == 404


@pytest.mark.parametrize("query", ["version=0", "version=-1", "version=two", "at=yesterday",
                                   "version=1&at=2026-01-01T00:00:00Z"])
def test_malformed_audit_queries_get_400(
    client: TestClient, delayed_payment: tuple[str, list[dict]], query: str
) -> None:
    session_id, _ = delayed_payment

    response = client.get(f"/sessions/{session_id}?{query}", headers=STAFF)

    assert response.status_code == 400
    assert response.json()["error"]


def test_a_version_past_the_last_event_is_404(
    client: TestClient, delayed_payment: tuple[str, list[dict]]
) -> None:
    session_id, _ = delayed_payment

    assert client.get(f"/sessions/{session_id}?version=3", headers=STAFF).status_code == 404


def test_unknown_and_malformed_session_ids(client: TestClient) -> None:
    assert client.get(f"/sessions/{new_session_id()}", headers=STAFF).status_code == 404
    assert client.get(f"/sessions/{new_session_id()}/history", headers=STAFF).status_code == 404
    assert client.get("/sessions/pi_123", headers=STAFF).status_code == 400
    assert client.get("/sessions/cs_bad%20id/history", headers=STAFF).status_code == 400


@pytest.mark.parametrize("path", ["/sessions/cs_test_x", "/sessions/cs_test_x/history", "/events"])
@pytest.mark.parametrize("header", [None, "Bearer wrong-token-123456", "Basic alice-token-0123456789",
                                    "alice-token-0123456789"])
def test_staff_routes_need_a_valid_bearer_token(client: TestClient, path: str,
                                                header: str | None) -> None:
    headers = {"Authorization": header} if header else {}

    response = client.get(path, headers=headers)

    assert response.status_code == 401
    assert "Bearer" in response.json()["error"]


def test_the_event_log_pages_through_every_session_event_in_order(
    client: TestClient, delayed_payment: tuple[str, list[dict]]
) -> None:
    session_id, events = delayed_payment
    collected, after = [], 0
    while True:
        page = client.get(f"/events?after={after}&limit=2", headers=STAFF).json()
        if not page["events"]:
            break
        assert len(page["events"]) <= 2
        collected += page["events"]
        after = page["next"]

    mine = [e for e in collected if e["session"] == session_id]
    positions = [e["position"] for e in collected]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert [e["type"] for e in mine] == ["Completed", "AsyncPaymentSucceeded"]
    assert [e["stripe_event_id"] for e in mine] == [e["id"] for e in events]


@pytest.mark.parametrize("query", ["after=-1", "limit=0", "limit=1001", "after=x"])
def test_malformed_log_queries_get_400(client: TestClient, query: str) -> None:
    assert client.get(f"/events?{query}", headers=STAFF).status_code == 400


def test_events_recorded_while_the_ledger_was_down_are_applied_on_start(
    client: TestClient, settings
) -> None:  # type: ignore[no-untyped-def]
    from api.app import create_app

    session_id = new_session_id()  # setup mode: nothing to fulfil, no Stripe call on start
    payload, headers = signed(session_event("checkout.session.completed", session_id,
                                            mode="setup", payment_status="no_payment_required"))
    assert client.post("/webhook", content=payload, headers=headers).status_code == 200

    with TestClient(create_app(settings)) as restarted:
        state = restarted.get(f"/sessions/{session_id}", headers=STAFF)
        for _ in range(100):  # the ledger catches up in its own thread
            if state.status_code == 200:
                break
            time.sleep(0.05)
            state = restarted.get(f"/sessions/{session_id}", headers=STAFF)

    assert state.status_code == 200
    assert state.json()["status"] == "complete"
