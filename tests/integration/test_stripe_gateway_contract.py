"""One contract, two Stripe gateways: the real adapter talking HTTP to the emulator, and the
hand-written fake the domain's unit tests use. Every test runs against both.

Both retry as the SDK does (``max_network_retries=2``: one try and two retries for a 5xx or
a timeout, none for a 429), so each fault is armed for a number of tries that settles the
answer, and each test checks that the armed tries were all used.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import httpx
import pytest

from adapters.stripe_gateway import StripeGateway
from domain.ports import (
    CheckoutSnapshot,
    LineItem,
    StripeRefused,
    StripeUnavailable,
    UnknownAtStripe,
)
from emulator.server import EmulatorServer
from tests.support.fake_stripe import FakeStripeGateway
from tests.support.purchases import API_KEY, Item, Shop

RETRIES = 2
CLIENT_TIMEOUT = 0.3  # the real adapter's timeout here; a held answer comes after HOLD
HOLD = 1.0
TWELVE_ITEMS: list[Item] = [(f"Sticker {n}", 100 + n, 1 + n % 3) for n in range(12)]


class Gateway(Protocol):
    def retrieve_checkout(self, session_id: str) -> CheckoutSnapshot: ...


class StripeWorld(Protocol):
    """What the contract arranges, the same way whichever gateway is under test."""

    gateway: Gateway

    def paid_session(self, items: Sequence[Item]) -> str: ...

    def fail_next_retrievals(self, fault: str, count: int) -> None: ...

    def faults_left(self) -> int:
        """Faulted tries still armed (each try of a call, retries included, uses one)."""
        ...


class EmulatorWorld:
    """The real adapter and the emulator, with faults armed through ``/_emulator/faults``."""

    def __init__(self, url: str) -> None:
        self.gateway = StripeGateway(API_KEY, url, max_network_retries=RETRIES,
                                     timeout_seconds=CLIENT_TIMEOUT)
        self.shop = Shop(url)
        self.control = httpx.Client(base_url=url, trust_env=False, timeout=15)

    def paid_session(self, items: Sequence[Item]) -> str:
        session_id = self.shop.session(*items)
        self.shop.pay(session_id)
        return session_id

    def fail_next_retrievals(self, fault: str, count: int) -> None:
        rule: dict[str, Any] = {"method": "GET", "path": "/v1/checkout/sessions/*",
                                "fault": fault, "count": count}
        if fault == "timeout":
            rule["seconds"] = HOLD
        if fault == "refused":
            rule.update(fault="error", status=400, error={
                "type": "invalid_request_error", "code": "parameter_invalid",
                "message": "This Checkout Session cannot be retrieved with this key."})
        self.control.post("/_emulator/faults", json=rule).raise_for_status()

    def faults_left(self) -> int:
        armed = self.control.get("/_emulator/faults").json()["faults"]
        return sum(rule["count"] for rule in armed)

    def close(self) -> None:
        self.control.delete("/_emulator/faults").raise_for_status()
        self.control.close()
        self.shop.__exit__()


class FakeWorld:
    """The hand-written fake, arranged through its own methods."""

    def __init__(self) -> None:
        self.gateway = FakeStripeGateway(max_network_retries=RETRIES)

    def paid_session(self, items: Sequence[Item]) -> str:
        return self.gateway.add_paid_session([
            LineItem(f"price_fake_{n}", quantity, name, amount * quantity, "usd")
            for n, (name, amount, quantity) in enumerate(items)])

    def fail_next_retrievals(self, fault: str, count: int) -> None:
        self.gateway.fail_next(fault, count, call="retrieve_checkout")

    def faults_left(self) -> int:
        return self.gateway.faults_left()


@pytest.fixture(params=["fake", "emulator"])
def world(request: pytest.FixtureRequest) -> Iterator[StripeWorld]:
    if request.param == "fake":
        yield FakeWorld()
        return
    server: EmulatorServer = request.getfixturevalue("emulator")
    real = EmulatorWorld(server.url)
    try:
        yield real
    finally:
        real.close()


class TestStripeGatewayContract:
    """What the domain may count on from ``retrieve_checkout``, whichever gateway it gets."""

    def test_a_paid_session_comes_with_every_line_item_past_the_first_page(
        self, world: StripeWorld
    ) -> None:
        session_id = world.paid_session(TWELVE_ITEMS)

        snapshot = world.gateway.retrieve_checkout(session_id)

        facts = snapshot.facts
        assert (facts.session_id, facts.mode, facts.status, facts.payment_status) == (
            session_id, "payment", "complete", "paid")
        assert facts.amount_total == sum(amount * qty for _, amount, qty in TWELVE_ITEMS)
        assert [(i.description, i.quantity, i.amount_total, i.currency)
                for i in snapshot.line_items] == [
            (name, qty, amount * qty, "usd") for name, amount, qty in TWELVE_ITEMS]
        assert all(item.price for item in snapshot.line_items)

    def test_a_session_stripe_does_not_know_is_unknown_at_stripe(self, world: StripeWorld) -> None:
        with pytest.raises(UnknownAtStripe):
            world.gateway.retrieve_checkout(f"cs_test_{uuid.uuid4().hex}")

    @pytest.mark.parametrize("fault", ["503", "timeout"])
    def test_failures_the_retries_cover_end_in_the_answer(
        self, world: StripeWorld, fault: str
    ) -> None:
        session_id = world.paid_session(TWELVE_ITEMS[:1])
        world.fail_next_retrievals(fault, RETRIES)

        snapshot = world.gateway.retrieve_checkout(session_id)

        assert snapshot.facts.payment_status == "paid"
        assert world.faults_left() == 0

    @pytest.mark.parametrize("fault", ["500", "502", "503"])
    def test_server_errors_past_the_retries_leave_stripe_unavailable_not_refused(
        self, world: StripeWorld, fault: str
    ) -> None:
        session_id = world.paid_session(TWELVE_ITEMS[:1])
        world.fail_next_retrievals(fault, RETRIES + 1)

        with pytest.raises(StripeUnavailable):
            world.gateway.retrieve_checkout(session_id)

        assert world.faults_left() == 0
        assert world.gateway.retrieve_checkout(session_id).facts.session_id == session_id

    def test_a_rate_limit_leaves_stripe_unavailable_at_once_without_a_retry(
        self, world: StripeWorld
    ) -> None:
        session_id = world.paid_session(TWELVE_ITEMS[:1])
        world.fail_next_retrievals("429", 2)

        with pytest.raises(StripeUnavailable):
            world.gateway.retrieve_checkout(session_id)

        assert world.faults_left() == 1  # the second 429 is still armed: no retry used it
        with pytest.raises(StripeUnavailable):
            world.gateway.retrieve_checkout(session_id)
        assert world.gateway.retrieve_checkout(session_id).facts.session_id == session_id

    def test_timeouts_past_the_retries_leave_stripe_unavailable(self, world: StripeWorld) -> None:
        session_id = world.paid_session(TWELVE_ITEMS[:1])
        world.fail_next_retrievals("timeout", RETRIES + 1)

        with pytest.raises(StripeUnavailable):
            world.gateway.retrieve_checkout(session_id)

        assert world.faults_left() == 0

    def test_another_client_error_is_refused_without_a_retry(self, world: StripeWorld) -> None:
        session_id = world.paid_session(TWELVE_ITEMS[:1])
        world.fail_next_retrievals("refused", 2)

        with pytest.raises(StripeRefused):
            world.gateway.retrieve_checkout(session_id)

        assert world.faults_left() == 1
