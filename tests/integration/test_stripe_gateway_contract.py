"""One contract, two Stripe gateways: the real adapter talking HTTP to the emulator, and the
hand-written fake the domain's unit tests use. Every test runs against both (the worlds:
``tests/support/stripe_worlds.py``).

Both retry as the SDK does (``max_network_retries=2``: one try and two retries for a 5xx or
a timeout, none for a 429), so each fault is armed for a number of tries that settles the
answer, and each test checks that the armed tries were all used. The saved-card and charge
parts of the one contract class live in ``tests/support/contract_cards.py`` and
``contract_charges.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from domain.ports import StripeRefused, StripeUnavailable, UnknownAtStripe
from emulator.server import EmulatorServer
from tests.support.contract_cards import CardContract
from tests.support.contract_charges import ChargeContract
from tests.support.purchases import Item
from tests.support.stripe_worlds import RETRIES, EmulatorWorld, FakeWorld, StripeWorld

TWELVE_ITEMS: list[Item] = [(f"Sticker {n}", 100 + n, 1 + n % 3) for n in range(12)]


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


class TestStripeGatewayContract(CardContract, ChargeContract):
    """What the domain may count on from the Stripe gateway ports, whichever gateway it gets."""

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
