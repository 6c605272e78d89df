"""Transient Stripe errors during fulfillment: retried with backoff, and never lost."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from adapters.fulfillers import record_grants
from adapters.notifiers import LogNotifier
from adapters.stripe_gateway import StripeGateway
from domain.apps.fulfill_checkout import FulfillmentService
from domain.ports import StripeUnavailable
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


def test_stripe_down_for_every_try_pauses_fulfillment_without_blaming_the_session(
    service: TestClient, shop: Shop
) -> None:
    session_id = shop.session(("Ledger poster", 900, 1))
    shop.pay(session_id)
    shop.deliver(service, session_id, COMPLETED)
    services = service.app.state.services  # type: ignore[attr-defined]
    real = services.fulfillment_follower.processor.service
    nowhere = f"http://127.0.0.1:{free_port()}"
    follow_with(service, FulfillmentService(
        services.ledger, StripeGateway(API_KEY, nowhere, max_network_retries=0), record_grants,
        LogNotifier(), retry_delays=SHORT))
    position = services.fulfillment_follower.position()

    with pytest.raises(StripeUnavailable, match="after 5 tries"):
        settle(service, fulfil=True)
    paused_at = services.fulfillment_follower.position()
    listed = service.get("/support/failures", headers=STAFF).json()["failures"]
    follow_with(service, real)  # Stripe is back
    settle(service, fulfil=True)

    assert paused_at == position  # the batch is not marked done: it is tried again later
    assert session_id not in [f["id"] for f in listed]
    assert history_types(service, session_id, STAFF) == ["Created", "Completed", "Fulfilled"]


def test_the_success_page_during_an_outage_answers_503_and_records_nothing(
    service: TestClient,
) -> None:
    services = service.app.state.services  # type: ignore[attr-defined]
    nowhere = f"http://127.0.0.1:{free_port()}"
    services.fulfillment = FulfillmentService(
        services.ledger, StripeGateway(API_KEY, nowhere, max_network_retries=0), record_grants,
        LogNotifier(), retry_delays=SHORT)
    session_id = "cs_test_never_heard_of_during_an_outage"

    page = service.get(f"/success?session_id={session_id}")

    assert page.status_code == 503
    assert service.get(f"/sessions/{session_id}", headers=STAFF).status_code == 404
