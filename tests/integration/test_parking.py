"""One odd event never stops the pipeline: it is parked, listed, counted, and reprocessed
on a staff member's request. On the real stores, through the HTTP routes."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.conftest import STAFF
from tests.support.webhooks import new_session_id, session_event, signed

UNPAID = {"payment_status": "unpaid"}  # nothing to fulfil: no Stripe call in these tests


def post(client: TestClient, body: dict) -> None:  # type: ignore[type-arg]
    payload, headers = signed(body)
    response = client.post("/webhook", content=payload, headers=headers)
    assert response.status_code == 200, response.text


def follow_ledger_and_support(client: TestClient) -> None:
    services = client.app.state.services  # type: ignore[attr-defined]
    services.ledger_follower.catch_up()
    services.follower("Ledger", "Support").catch_up()


def unprocessable(client: TestClient, *event_ids: str) -> list[dict]:  # type: ignore[type-arg]
    """The open event_unprocessable cases of these events (the store is shared)."""
    failures = client.get("/support/failures", headers=STAFF).json()["failures"]
    return [f for f in failures if f["kind"] == "event_unprocessable" and f["id"] in event_ids]


def test_metadata_shaped_like_a_stored_type_is_applied_and_given_back_exactly(
    client: TestClient,
) -> None:
    session_id, after = new_session_id(), new_session_id()
    metadata = {"_type_": "x", "_data_": "y", "order": "42"}
    events = [session_event("checkout.session.completed", session_id, metadata=metadata,
                            **UNPAID), session_event("checkout.session.completed", after, **UNPAID)]
    for body in events:
        post(client, body)

    follow_ledger_and_support(client)

    state = client.get(f"/sessions/{session_id}", headers=STAFF).json()
    assert state["metadata"] == metadata
    assert client.get(f"/sessions/{after}", headers=STAFF).status_code == 200
    assert unprocessable(client, *(e["id"] for e in events)) == []


def test_an_event_that_cannot_be_applied_is_parked_listed_counted_and_the_next_goes_on(
    client: TestClient,
) -> None:
    odd, after = new_session_id(), new_session_id()
    odd_event = session_event("checkout.session.completed", odd, amount_total="25.00", **UNPAID)
    post(client, odd_event)
    post(client, session_event("checkout.session.completed", after, **UNPAID))

    follow_ledger_and_support(client)

    assert client.get(f"/sessions/{after}", headers=STAFF).status_code == 200
    assert client.get(f"/sessions/{odd}", headers=STAFF).status_code == 404
    [case] = unprocessable(client, odd_event["id"])
    assert (case["id"], case["type"], case["attempts"]) == (
        odd_event["id"], "checkout.session.completed", 1)
    assert "amount_total" in case["last_error"]
    metrics = client.get("/metrics").text
    assert 'checkout_ledger_events_parked_total{type="checkout.session.completed"} 1.0' in metrics
    assert 'checkout_ledger_open_failures{kind="event_unprocessable"}' in metrics


def test_reprocessing_a_parked_event_that_still_fails_is_recorded_and_counted(
    client: TestClient,
) -> None:
    odd_event = session_event("checkout.session.completed", new_session_id(),
                              customer_details=["not", "an", "object"], status=3, **UNPAID)
    post(client, odd_event)
    follow_ledger_and_support(client)

    answer = client.post(f"/support/events/{odd_event['id']}/reprocess", headers=STAFF,
                         json={"reason": "after the deploy"})
    follow_ledger_and_support(client)

    assert answer.status_code == 200
    body = answer.json()
    assert (body["status"], body["actor"], body["type"]) == (
        "failed", "alice", "checkout.session.completed")
    assert "status" in body["error"]
    [case] = unprocessable(client, odd_event["id"])
    assert case["attempts"] == 2


def test_reprocessing_an_applied_event_changes_nothing_and_is_recorded(
    client: TestClient,
) -> None:
    session_id = new_session_id()
    fine = session_event("checkout.session.completed", session_id, **UNPAID)
    post(client, fine)
    follow_ledger_and_support(client)
    before = client.get(f"/sessions/{session_id}/history", headers=STAFF).json()["events"]

    answers = [client.post(f"/support/events/{fine['id']}/reprocess", headers=STAFF).json()
               for _ in range(2)]

    assert [a["status"] for a in answers] == ["already_applied"] * 2
    after = client.get(f"/sessions/{session_id}/history", headers=STAFF).json()["events"]
    assert after == before


def test_reprocess_refuses_what_it_cannot_act_on(client: TestClient) -> None:
    unknown = client.post("/support/events/evt_never_stored_here/reprocess", headers=STAFF)
    malformed = client.post("/support/events/not-an-event/reprocess", headers=STAFF)
    bad_body = client.post("/support/events/evt_x/reprocess", headers=STAFF,
                           content=b"[1]")
    anonymous = client.post("/support/events/evt_x/reprocess")

    assert unknown.status_code == 404
    assert malformed.status_code == 400
    assert bad_body.status_code == 400
    assert anonymous.status_code == 401
    assert all(r.json()["error"] for r in (unknown, malformed, bad_body, anonymous))


def test_healthz_names_a_follower_that_does_not_advance_while_work_waits(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from api.app import create_app
    from api.settings import Settings
    from api.system import Seams
    from tests.conftest import service_env

    settings = Settings.from_env(service_env(f"sqlite:///{tmp_path}/ledger.sqlite3"))
    with TestClient(create_app(settings, follow=False, seams=Seams(stall_after=0.0,
                                                                  health_every=0.0))) as client:
        healthy = client.get("/healthz")
        post(client, session_event("checkout.session.completed", new_session_id(), **UNPAID))

        stalled = client.get("/healthz")
        client.app.state.services.ledger_follower.catch_up()  # type: ignore[attr-defined]
        caught_up = client.get("/healthz")

    assert healthy.status_code == 200 and healthy.json()["status"] == "ok"
    assert stalled.status_code == 503
    assert stalled.json()["status"] == "degraded"
    assert "stalled_seconds" in stalled.json()["followers"]["Ledger<-Inbox"]
    assert caught_up.json()["followers"]["Ledger<-Inbox"] == {
        "position": stalled.json()["followers"]["Ledger<-Inbox"]["position"] + 1, "lag": 0}
