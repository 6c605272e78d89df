"""Fixtures for the fulfillment and support tests: one emulator, the service, a shop.

A test module asks for them with ``pytest_plugins = ["tests.support.purchase_fixtures"]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.system import NO_SEAMS, Seams
from emulator.config import EmulatorConfig
from emulator.server import EmulatorServer
from tests.conftest import service_env
from tests.support.purchases import Shop


@pytest.fixture(scope="session")
def stripe_emulator() -> Iterator[EmulatorServer]:
    """One emulator for these tests; bank debits settle only when a test asks."""
    config = EmulatorConfig(retry_base_seconds=0.05, settle_delay_seconds=None)
    with EmulatorServer(config=config) as running:
        yield running


@pytest.fixture
def make_service(database_url: str, stripe_emulator: EmulatorServer
                 ) -> Iterator[Callable[..., TestClient]]:
    """Factory: the service on this test's store, its SDK pointed at the emulator, without
    background threads (tests settle the followers). ``seams`` replace outside collaborators;
    other keyword arguments are extra settings."""
    started: list[TestClient] = []

    def make(*, seams: Seams = NO_SEAMS, **extra: str) -> TestClient:
        env = service_env(database_url, STRIPE_API_BASE=stripe_emulator.url, **extra)
        client = TestClient(create_app(Settings.from_env(env), follow=False, seams=seams))
        started.append(client.__enter__())
        return client

    yield make
    for client in started:
        client.__exit__(None, None, None)


@pytest.fixture
def service(make_service: Callable[..., TestClient]) -> TestClient:
    """The service with its default fulfiller and the log notifier."""
    return make_service()


@pytest.fixture
def shop(stripe_emulator: EmulatorServer) -> Iterator[Shop]:
    """A customer buying on the emulator, and the webhooks Stripe sends about it."""
    with Shop(stripe_emulator.url) as running:
        yield running
