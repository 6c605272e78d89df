"""The project's Stripe emulator for service tests: one per test session, and a few shortcuts.

``tests/conftest.py`` imports the ``emulator`` fixture; point the service at it with
``service_env(database_url, STRIPE_API_BASE=emulator.url)``. The emulator is shared by every
test of the session and never reset here, so tests create their own sessions (unique ids) and
count only what they created.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe

from emulator.config import EmulatorConfig
from emulator.seed import seed_catalog
from emulator.server import EmulatorServer

API_KEY = "sk_test_checkout_ledger"  # what tests/conftest.py's service_env gives the service
GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorServer]:
    """A running emulator: fast webhook retries, bank debits settle only when a test says so."""
    config = EmulatorConfig(retry_base_seconds=0.05, max_attempts=3, settle_delay_seconds=None)
    with EmulatorServer(config=config) as running:
        yield running


class EmulatorControl:
    """The official SDK and the ``/_emulator`` control API of one emulator, for arranging tests."""

    def __init__(self, server: EmulatorServer) -> None:
        self.url = server.url
        self.sdk = stripe.StripeClient(API_KEY, base_addresses={"api": server.url},
                                       max_network_retries=0)
        self.http = httpx.Client(base_url=server.url, trust_env=False, timeout=15)

    def seed(self) -> dict[str, dict[str, Any]]:
        """The demo catalog (created once, idempotent), by lookup key."""
        return {str(p["lookup_key"]): p for p in seed_catalog(self.url, API_KEY)}

    def session(self, session_id: str) -> dict[str, Any]:
        """A Checkout Session as Stripe serves it."""
        return self.sdk.v1.checkout.sessions.retrieve(session_id).to_dict()

    def session_ids(self) -> set[str]:
        """Every Checkout Session the emulator holds."""
        listed = self.sdk.v1.checkout.sessions.list(params={"limit": 100}).auto_paging_iter()
        return {s.id for s in listed}

    def customer(self, email: str = "ada@example.com") -> str:
        """A new Customer's id."""
        return self.sdk.v1.customers.create(params={"email": email}).id

    def pay(self, session_id: str, **body: Any) -> httpx.Response:
        """Pay as the hosted page would: ``card="4242..."`` or ``method="bank_debit_..."``."""
        return self.http.post(f"/_emulator/checkout/sessions/{session_id}/pay", json=body)

    def settle(self, session_id: str) -> None:
        """Settle a pending bank debit now."""
        self.http.post(f"/_emulator/checkout/sessions/{session_id}/settle").raise_for_status()

    def expire(self, session_id: str) -> None:
        """Expire an open session through the API, as Stripe's ``expire`` does."""
        self.sdk.v1.checkout.sessions.expire(session_id)

    def events(self, session_id: str, event_type: str) -> list[dict[str, Any]]:
        """Stripe events of ``event_type`` about the session, oldest first."""
        listed = self.sdk.v1.events.list(params={"type": event_type, "limit": 100})
        found = [e.to_dict() for e in listed.auto_paging_iter()]
        return [e for e in reversed(found) if e["data"]["object"]["id"] == session_id]

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def stripe_emulator(emulator: EmulatorServer) -> Iterator[EmulatorControl]:
    """Shortcuts bound to the session's emulator."""
    control = EmulatorControl(emulator)
    try:
        yield control
    finally:
        control.close()
