"""Transient Stripe errors during fulfillment: retried with backoff, and never lost."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from adapters.fulfillers import record_grants
from adapters.notifiers import LogNotifier
from adapters.stripe_gateway import StripeGateway
from domain.fulfillment import FulfillmentService
from emulator.config import EmulatorConfig
from emulator.server import EmulatorServer, free_port
from tests.conftest import STAFF, settle
from tests.support.purchases import API_KEY, Shop, history_types

pytest_plugins = ["tests.support.purchase_fixtures"]  # the emulator, service and shop fixtures

COMPLETED = "checkout.session.completed"
SHORT = (0.01, 0.02, 0.04, 0.08)


@pytest.fixture
def flaky() -> Iterator[EmulatorServer]:
    """An emulator of this test's own, to stop and start again."""
    server = EmulatorServer(config=EmulatorConfig(settle_delay_seconds=None)).start()
    yield server
    server.stop()


def follow_with(service: TestClient, fulfillment: FulfillmentService) -> None:
    """Let the webhook follower fulfil through ``fulfillment`` (the composition root's seam)."""
    service.app.state.services.fulfillment_follower.processor.service = fulfillment  # type: ignore[attr-defined]


def test_stripe_down_for_the_first_tries_is_retried_with_backoff_and_the_session_fulfilled(
    service: TestClient, flaky: EmulatorServer
) -> None:
    with Shop(flaky.url) as shop_on_flaky:
        session_id = shop_on_flaky.session()
        shop_on_flaky.pay(session_id)
        shop_on_flaky.deliver(service, session_id, COMPLETED)
    flaky.stop()  # nothing listens on its port now: connection refused
    waited: list[float] = []

    def sleep(delay: float) -> None:
        waited.append(delay)
        if len(waited) == 2:
            flaky.start()  # Stripe is back (same state, same port) after two failed tries

    ledger = service.app.state.services.ledger  # type: ignore[attr-defined]
    follow_with(service, FulfillmentService(
        ledger, StripeGateway(API_KEY, flaky.url, max_network_retries=0), record_grants,
        LogNotifier(), sleep=sleep, retry_delays=SHORT))
    settle(service, fulfil=True)

    assert waited == [0.01, 0.02]
    assert history_types(service, session_id, STAFF) == ["Created", "Completed", "Fulfilled"]


def test_stripe_down_for_every_try_records_the_failure_which_support_lists_and_can_mend(
    service: TestClient, shop: Shop
) -> None:
    session_id = shop.session(("Ledger poster", 900, 1))
    shop.pay(session_id)
    shop.deliver(service, session_id, COMPLETED)
    ledger = service.app.state.services.ledger  # type: ignore[attr-defined]
    nowhere = f"http://127.0.0.1:{free_port()}"
    follow_with(service, FulfillmentService(
        ledger, StripeGateway(API_KEY, nowhere, max_network_retries=0), record_grants,
        LogNotifier(), retry_delays=SHORT))

    settle(service, fulfil=True)
    listed = service.get("/support/failures", headers=STAFF).json()["failures"]
    mended = service.post(f"/support/sessions/{session_id}/fulfill", headers=STAFF)
    settle(service, fulfil=True)
    after = service.get("/support/failures", headers=STAFF).json()["failures"]

    [case] = [f for f in listed if f["id"] == session_id]
    assert (case["kind"], case["attempts"], case["amount"]) == ("fulfillment_failed", 1, 900)
    assert case["last_error"].startswith("Stripe unavailable after 5 tries")
    assert (mended.status_code, mended.json()["status"]) == (200, "fulfilled")
    assert session_id not in [f["id"] for f in after]
    assert history_types(service, session_id, STAFF) == [
        "Created", "Completed", "FulfillmentFailed", "StaffActionRequested", "Fulfilled"]
