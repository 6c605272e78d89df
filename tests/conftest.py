"""Shared fixtures: the service on each real store, staff credentials, signed webhooks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from tests.support.emulator import emulator, stripe_emulator  # noqa: F401  (fixtures)
from tests.support.fixtures import own_database_url, postgres_url  # noqa: F401  (fixtures)
from tests.support.webhooks import SECRET

OLD_SECRET = "whsec_test_rotated_out_secret"
STAFF_TOKEN = "alice-token-0123456789"
STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test runs on a fresh SQLite file and on the session's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/ledger.sqlite3"
    return str(request.getfixturevalue("postgres_url"))


def service_env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "STRIPE_API_KEY": "sk_test_checkout_ledger",
        "STRIPE_API_BASE": "http://127.0.0.1:9",
        "STRIPE_WEBHOOK_SECRET": f"{SECRET},{OLD_SECRET}",
        "STAFF_TOKENS": f"alice:{STAFF_TOKEN},bob:bob-token-0123456789",
        **extra,
    }


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings.from_env(service_env(database_url))


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The service without background threads: tests settle the followers themselves."""
    with TestClient(create_app(settings, follow=False)) as test_client:
        yield test_client


def settle(client: TestClient, *, fulfil: bool = False) -> None:
    """Let the ledger apply everything the inbox holds (the background runner would),
    and with ``fulfil`` let fulfillment follow the ledger too."""
    services = client.app.state.services  # type: ignore[attr-defined]
    if fulfil:
        services.settle()
    else:
        services.ledger_follower.catch_up()
