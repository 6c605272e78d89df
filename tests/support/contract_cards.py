"""The gateway contract for saved cards (``CardGateway``), mixed into the one contract class
of ``tests/integration/test_stripe_gateway_contract.py`` and run against both worlds."""

from __future__ import annotations

import uuid

import pytest

from domain.ports import StripeRefused, UnknownAtStripe
from tests.support.stripe_worlds import StripeWorld


def new_key() -> str:
    return f"test-{uuid.uuid4().hex}"


class CardContract:
    """What the domain may count on from the ``CardGateway`` port."""

    def test_a_completed_setup_session_comes_with_its_card_in_one_request(
        self, world: StripeWorld
    ) -> None:
        session_id = world.setup_session("pm_card_visa", "ada@example.com")
        world.trap_other_reads()

        setup = world.gateway.retrieve_setup(session_id)

        assert world.other_reads() == 0
        assert (setup.session_id, setup.status, setup.customer_email) == (
            session_id, "complete", "ada@example.com")
        assert setup.customer is None  # Checkout creates no Customer in setup mode
        assert setup.setup_intent and setup.setup_intent.startswith("seti_")
        card = setup.card
        assert card is not None and card.payment_method.startswith("pm_")
        assert (card.brand, card.last4, card.customer) == ("visa", "4242", None)
        assert card.exp_month in range(1, 13) and card.exp_year >= 2026 and card.fingerprint

    def test_an_open_setup_session_has_no_card_yet(self, world: StripeWorld) -> None:
        session_id = world.setup_session(None, "ada@example.com")

        setup = world.gateway.retrieve_setup(session_id)

        assert (setup.status, setup.setup_intent, setup.card) == ("open", None, None)

    def test_a_setup_session_stripe_does_not_know_is_unknown_at_stripe(
        self, world: StripeWorld
    ) -> None:
        with pytest.raises(UnknownAtStripe):
            world.gateway.retrieve_setup(f"cs_test_{uuid.uuid4().hex}")

    def test_a_customer_created_twice_with_one_key_is_one_customer(
        self, world: StripeWorld
    ) -> None:
        key = new_key()

        first = world.gateway.create_customer("grace@example.com", key)
        again = world.gateway.create_customer("grace@example.com", key)

        assert first == again and first.startswith("cus_")
        customer = world.gateway.retrieve_customer(first)
        assert (customer.id, customer.email, customer.default_payment_method) == (
            first, "grace@example.com", None)

    def test_a_customer_stripe_does_not_know_is_unknown_at_stripe(
        self, world: StripeWorld
    ) -> None:
        with pytest.raises(UnknownAtStripe):
            world.gateway.retrieve_customer(f"cus_{uuid.uuid4().hex[:14]}")

    def test_a_deleted_customer_is_unknown_at_stripe(self, world: StripeWorld) -> None:
        customer = world.customer("gone@example.com")
        world.delete_customer(customer)

        with pytest.raises(UnknownAtStripe):
            world.gateway.retrieve_customer(customer)

    def test_an_attached_card_becomes_the_customers_default(self, world: StripeWorld) -> None:
        customer = world.customer("ada@example.com")

        card = world.gateway.attach_card("pm_card_visa", customer)
        again = world.gateway.attach_card(card.payment_method, customer)
        world.gateway.set_default_card(customer, card.payment_method)

        assert card.customer == customer and (card.brand, card.last4) == ("visa", "4242")
        assert again == card
        assert world.gateway.retrieve_customer(customer).default_payment_method == (
            card.payment_method)

    def test_a_card_of_another_customer_is_refused(self, world: StripeWorld) -> None:
        card = world.saved_card(world.customer(), "pm_card_visa")

        with pytest.raises(StripeRefused):
            world.gateway.attach_card(card, world.customer())

    def test_attaching_to_a_customer_stripe_does_not_know_is_unknown_at_stripe(
        self, world: StripeWorld
    ) -> None:
        with pytest.raises(UnknownAtStripe):
            world.gateway.attach_card(world.loose_card("pm_card_visa"), "cus_nobody0000")

    def test_the_same_card_number_saved_twice_has_the_same_fingerprint(
        self, world: StripeWorld
    ) -> None:
        first = world.gateway.attach_card("pm_card_visa", world.customer())
        second = world.gateway.attach_card("pm_card_visa", world.customer())
        other = world.gateway.attach_card("pm_card_mastercard", world.customer())

        assert first.payment_method != second.payment_method
        assert first.fingerprint == second.fingerprint != other.fingerprint
