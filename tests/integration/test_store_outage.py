"""The event store goes away: webhooks get 503 (Stripe retries), nothing half-written."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.health import PROBE_EVERY, ProgressWatch
from api.settings import Settings
from tests.conftest import STAFF, service_env, settle
from tests.support.pg_cluster import PostgresCluster
from tests.support.webhooks import new_session_id, session_event, signed


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL of this module's own, to stop and start again."""
    with PostgresCluster() as running:
        yield running


def test_webhooks_get_503_while_postgres_is_down_and_200_once_it_is_back(
    cluster: PostgresCluster,
) -> None:
    settings = Settings.from_env(service_env(cluster.url))
    session_id = new_session_id()
    payload, headers = signed(session_event("checkout.session.completed", session_id,
                                            mode="setup", payment_status="no_payment_required"))
    with TestClient(create_app(settings, follow=False)) as client:
        cluster.pause()
        try:
            started = time.monotonic()
            during = client.post("/webhook", content=payload, headers=headers)
            took = time.monotonic() - started
            health = client.get("/healthz")
        finally:
            cluster.resume()
        # Stripe retries: the pool may take a few seconds to reconnect after the restart.
        after = client.post("/webhook", content=payload, headers=headers)
        deadline = time.monotonic() + 15
        while after.status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.5)
            after = client.post("/webhook", content=payload, headers=headers)
        settle(client)
        history = client.get(f"/sessions/{session_id}/history", headers=STAFF).json()

    assert (during.status_code, health.status_code) == (503, 503)
    assert "nothing was recorded" in during.json()["error"]
    assert took < 3, "the README promises the 503 within 3 s (Stripe waits about 10 s)"
    assert after.json() == {"received": True, "duplicate": False}  # the 503 recorded nothing
    assert [e["type"] for e in history["events"]] == ["Completed"]


def test_healthz_answers_503_quickly_though_its_reading_of_the_followers_is_fresh(
    cluster: PostgresCluster,
) -> None:
    """The followers' reading is reused (here for a minute), the store's answer for half a
    second: once that is past, an outage is a 503 within the README's 3 s."""
    settings = Settings.from_env(service_env(cluster.url))
    with TestClient(create_app(settings, follow=False)) as client:
        watch = client.app.state.progress = ProgressWatch(every=60.0)  # type: ignore[attr-defined]
        before = client.get("/healthz")
        answered = time.monotonic()  # the store's answer is at least this old
        cluster.pause()
        try:
            time.sleep(max(0.0, answered + PROBE_EVERY - time.monotonic()))
            started = time.monotonic()
            during = client.get("/healthz")
            took = time.monotonic() - started
        finally:
            cluster.resume()
        after = client.get("/healthz")
        deadline = time.monotonic() + 15
        while after.status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.5)
            after = client.get("/healthz")

    assert (before.status_code, during.status_code, after.status_code) == (200, 503, 200)
    assert during.json()["status"] == "unavailable"
    assert took < 3
    assert after.json()["followers"] == before.json()["followers"]  # the reading kept
    assert watch.readings.taken == 1
