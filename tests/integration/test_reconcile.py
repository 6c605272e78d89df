"""Reconciliation: the Stripe events never delivered are ingested through the Inbox, as
webhooks are, so the ones that were delivered are recognised; a later run starts from the
reconciled point."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from emulator.server import EmulatorServer
from tests.conftest import STAFF, settle
from tests.support.purchases import Shop, history_types

pytest_plugins = ["tests.support.purchase_fixtures"]

COMPLETED = "checkout.session.completed"


@pytest.fixture
def dropping(stripe_emulator: EmulatorServer) -> Iterator[None]:
    """The emulator records events but delivers none (as a lost webhook)."""
    control = httpx.Client(base_url=stripe_emulator.url, trust_env=False)
    control.post("/_emulator/delivery", json={"drop": True}).raise_for_status()
    try:
        yield
    finally:
        control.post("/_emulator/delivery", json={"drop": False}).raise_for_status()
        control.close()


def test_reconciling_ingests_the_dropped_event_and_recognises_the_delivered_one(
    service: TestClient, shop: Shop, dropping: None
) -> None:
    delivered, dropped = shop.session(), shop.session()
    shop.pay(delivered)
    shop.deliver(service, delivered, COMPLETED)
    shop.pay(dropped)  # its webhook never comes

    answer = service.post("/support/reconcile", headers=STAFF, json={"reason": "daily check"})
    settle(service, fulfil=True)

    assert answer.status_code == 200, answer.text
    counts = answer.json()
    assert set(counts) == {"seen", "new", "already_known", "since", "until"}
    assert counts["new"] >= 1 and counts["already_known"] >= 1
    assert counts["seen"] == counts["new"] + counts["already_known"]
    assert history_types(service, dropped, STAFF)[:2] == ["Completed", "Fulfilled"]
    assert history_types(service, delivered, STAFF).count("Completed") == 1


def test_a_second_run_finds_nothing_new_and_looks_back_only_from_the_point(
    service: TestClient, shop: Shop, dropping: None
) -> None:
    session_id = shop.session()
    shop.pay(session_id)
    first = service.post("/support/reconcile", headers=STAFF).json()

    again = service.post("/support/reconcile", headers=STAFF).json()

    assert first["new"] >= 1
    assert again["new"] == 0
    assert again["since"] is not None and again["seen"] <= first["seen"]
    runs = service.app.state.services.reconciler.runs()  # type: ignore[attr-defined]
    assert (runs[-1].actor, runs[-1].new) in {("alice", 0), ("system:schedule", 0)}


def test_reconcile_needs_a_staff_token_and_a_well_formed_body(service: TestClient) -> None:
    assert service.post("/support/reconcile").status_code == 401
    assert service.post("/support/reconcile", headers=STAFF,
                        json={"why": "x"}).status_code == 400


def test_reconcile_answers_503_and_records_no_run_while_stripe_is_down(
    service: TestClient, shop: Shop
) -> None:
    reconciler = service.app.state.services.reconciler  # type: ignore[attr-defined]
    runs_before = len(reconciler.runs())  # the store may be shared with other tests
    shop.fault("GET", "/v1/events", "503", count=3)

    answer = service.post("/support/reconcile", headers=STAFF)

    assert answer.status_code == 503
    assert len(reconciler.runs()) == runs_before


def test_the_worker_reconciles_on_schedule(
    make_service: Callable[..., TestClient], shop: Shop, dropping: None
) -> None:
    session_id = shop.session()
    shop.pay(session_id)
    service = make_service(RECONCILE_EVERY="1s")
    services = service.app.state.services  # type: ignore[attr-defined]

    services.start(follow=True)  # as the worker does
    def actors() -> set[str]:
        return {run.actor for run in services.reconciler.runs()}

    # The run is recorded after the events it found, so the worker may apply them first.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not (
        "Completed" in _types(service, session_id) and "system:schedule" in actors()
    ):
        time.sleep(0.2)

    assert "Completed" in _types(service, session_id)
    assert "system:schedule" in actors()


def _types(service: TestClient, session_id: str) -> list[str]:
    answer = service.get(f"/sessions/{session_id}/history", headers=STAFF)
    return [e["type"] for e in answer.json()["events"]] if answer.status_code == 200 else []
