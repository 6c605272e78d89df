"""Transient Stripe errors during fulfillment: retried with backoff, and never lost."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from starlette.testclient import TestClient

from adapters.stripe_gateway import StripeGateway
from api.system import Seams
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


def test_stripe_down_for_the_first_tries_is_retried_with_backoff_and_the_session_fulfilled(
    make_service: Callable[..., TestClient], flaky: EmulatorServer
) -> None:
    waited: list[float] = []

    def sleep(delay: float) -> None:
        waited.append(delay)
        if len(waited) == 2:
            flaky.start()  # Stripe is back (same state, same port) after two failed tries

    service = make_service(seams=Seams(
        stripe=StripeGateway(API_KEY, flaky.url, max_network_retries=0), sleep=sleep,
        retry_delays=SHORT))
    with Shop(flaky.url) as shop_on_flaky:
        session_id = shop_on_flaky.session()
        shop_on_flaky.pay(session_id)
        shop_on_flaky.deliver(service, session_id, COMPLETED)
    flaky.stop()  # nothing listens on its port now: connection refused

    settle(service, fulfil=True)

    assert waited == [0.01, 0.02]
    assert history_types(service, session_id, STAFF) == ["Completed", "Fulfilled"]


def test_stripe_down_for_every_try_pauses_fulfillment_without_blaming_the_session(
    make_service: Callable[..., TestClient], flaky: EmulatorServer
) -> None:
    service = make_service(seams=Seams(
        stripe=StripeGateway(API_KEY, flaky.url, max_network_retries=0), sleep=lambda _: None,
        retry_delays=SHORT))
    with Shop(flaky.url) as shop_on_flaky:
        session_id = shop_on_flaky.session(("Ledger poster", 900, 1))
        shop_on_flaky.pay(session_id)
        shop_on_flaky.deliver(service, session_id, COMPLETED)
    services = service.app.state.services  # type: ignore[attr-defined]
    to_fulfillment = services.follower("Ledger", "Fulfillment")
    position = to_fulfillment.position()
    flaky.stop()

    with pytest.raises(StripeUnavailable, match="after 5 tries"):
        settle(service, fulfil=True)
    paused_at = to_fulfillment.position()
    listed = service.get("/support/failures", headers=STAFF).json()["failures"]
    flaky.start()  # Stripe is back
    settle(service, fulfil=True)

    assert paused_at == position  # the batch is not marked done: it is tried again later
    assert session_id not in [f["id"] for f in listed]
    assert history_types(service, session_id, STAFF) == ["Completed", "Fulfilled"]


def test_the_success_page_during_an_outage_answers_503_and_records_nothing(
    make_service: Callable[..., TestClient],
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    service = make_service(seams=Seams(
        stripe=StripeGateway(API_KEY, nowhere, max_network_retries=0), retry_delays=SHORT))
    session_id = "cs_test_never_heard_of_during_an_outage"

    page = service.get(f"/success?session_id={session_id}")
    settle(service, fulfil=True)

    assert page.status_code == 503
    assert service.get(f"/sessions/{session_id}", headers=STAFF).status_code == 404
