"""The gateway contract for off-session charges (``ChargeGateway``), mixed into the one
contract class of ``tests/integration/test_stripe_gateway_contract.py``."""

from __future__ import annotations

import pytest

from domain.model.payment_facts import ChargeRequest, RecoveryRequest
from domain.ports import StripeRefused, StripeUnavailable, UnknownAtStripe
from tests.support.contract_cards import new_key
from tests.support.stripe_worlds import RETRIES, StripeWorld

DECLINES = [  # test card -> the PaymentIntent's status, Stripe's code and decline code
    ("pm_card_chargeDeclinedInsufficientFunds", "requires_payment_method", "card_declined",
     "insufficient_funds"),
    ("pm_card_chargeDeclinedExpiredCard", "requires_payment_method", "expired_card",
     "expired_card"),
    ("pm_card_chargeCustomerFail", "requires_payment_method", "card_declined", "generic_decline"),
]


def charge(customer: str, card: str, key: str | None = None, amount: int = 1500) -> ChargeRequest:
    return ChargeRequest(customer=customer, payment_method=card, amount=amount, currency="usd",
                         description="Ledger Pro, May", idempotency_key=key or new_key(),
                         metadata=(("charge", "chg_1"), ("plan", "pro")))


class ChargeContract:
    """What the domain may count on from the ``ChargeGateway`` port."""

    def test_a_good_card_is_charged_once_with_what_was_asked(self, world: StripeWorld) -> None:
        customer = world.customer()
        card = world.saved_card(customer, "pm_card_visa")

        result = world.gateway.charge_off_session(charge(customer, card))

        assert result.status == "succeeded" and result.decline is None
        assert world.charges_of(customer) == [{
            "id": result.payment_intent, "amount": 1500, "currency": "usd",
            "payment_method": card, "description": "Ledger Pro, May",
            "metadata": {"charge": "chg_1", "plan": "pro"}, "status": "succeeded"}]

    @pytest.mark.parametrize(("test_card", "status", "code", "decline_code"), DECLINES)
    def test_a_decline_is_a_result_with_stripes_codes(
        self, world: StripeWorld, test_card: str, status: str, code: str, decline_code: str
    ) -> None:
        customer = world.customer()
        card = world.saved_card(customer, test_card)

        result = world.gateway.charge_off_session(charge(customer, card))

        assert result.decline is not None and result.decline.message
        assert (result.status, result.decline.code, result.decline.decline_code) == (
            status, code, decline_code)
        [intent] = world.charges_of(customer)
        assert (intent["id"], intent["status"]) == (result.payment_intent, status)

    def test_a_card_needing_authentication_declines_and_waits_for_another_payment_method(
        self, world: StripeWorld
    ) -> None:
        customer = world.customer()
        card = world.saved_card(customer, "pm_card_authenticationRequired")

        result = world.gateway.charge_off_session(charge(customer, card))

        assert result.decline is not None
        assert (result.status, result.decline.code, result.decline.decline_code) == (
            "requires_payment_method", "authentication_required", "authentication_required")

    @pytest.mark.parametrize("test_card", ["pm_card_visa", "pm_card_chargeDeclinedExpiredCard"])
    def test_the_same_key_twice_answers_the_first_payment_intent_and_charges_once(
        self, world: StripeWorld, test_card: str
    ) -> None:
        customer = world.customer()
        request = charge(customer, world.saved_card(customer, test_card))

        first = world.gateway.charge_off_session(request)
        again = world.gateway.charge_off_session(request)

        assert again == first
        assert [intent["id"] for intent in world.charges_of(customer)] == [first.payment_intent]

    def test_the_same_key_for_another_charge_is_refused(self, world: StripeWorld) -> None:
        customer = world.customer()
        card = world.saved_card(customer, "pm_card_visa")
        key = new_key()
        world.gateway.charge_off_session(charge(customer, card, key))

        with pytest.raises(StripeRefused):
            world.gateway.charge_off_session(charge(customer, card, key, amount=9900))

    def test_timeouts_the_retries_cover_charge_once_as_each_retry_sends_the_same_key(
        self, world: StripeWorld
    ) -> None:
        customer = world.customer()
        card = world.saved_card(customer, "pm_card_visa")
        world.fail_next("charge_off_session", "timeout", RETRIES)

        result = world.gateway.charge_off_session(charge(customer, card))
        world.let_held_answers_land()

        assert result.status == "succeeded" and world.faults_left() == 0
        assert [intent["id"] for intent in world.charges_of(customer)] == [result.payment_intent]

    @pytest.mark.parametrize(("fault", "count"), [("timeout", RETRIES + 1), ("503", RETRIES + 1),
                                                  ("429", 1)])
    def test_a_lost_answer_is_unavailable_and_the_same_key_later_tells_the_one_outcome(
        self, world: StripeWorld, fault: str, count: int
    ) -> None:
        customer = world.customer()
        request = charge(customer, world.saved_card(customer, "pm_card_chargeDeclinedExpiredCard"))
        world.fail_next("charge_off_session", fault, count)

        with pytest.raises(StripeUnavailable):
            world.gateway.charge_off_session(request)
        world.let_held_answers_land()
        later = world.gateway.charge_off_session(request)

        assert world.faults_left() == 0
        assert later.status == "requires_payment_method" and later.decline is not None
        assert [intent["id"] for intent in world.charges_of(customer)] == [later.payment_intent]

    def test_a_refused_request_is_refused_without_a_retry(self, world: StripeWorld) -> None:
        customer = world.customer()
        request = charge(customer, world.saved_card(customer, "pm_card_visa"))
        world.fail_next("charge_off_session", "refused", 2)

        with pytest.raises(StripeRefused):
            world.gateway.charge_off_session(request)

        assert world.faults_left() == 1 and world.charges_of(customer) == []

    def test_a_card_of_another_customer_is_refused_and_nothing_is_charged(
        self, world: StripeWorld
    ) -> None:
        customer = world.customer()
        card = world.saved_card(world.customer(), "pm_card_visa")

        with pytest.raises(StripeRefused):
            world.gateway.charge_off_session(charge(customer, card))

        assert world.charges_of(customer) == []

    def test_a_card_attached_to_nobody_is_refused_and_nothing_is_charged(
        self, world: StripeWorld
    ) -> None:
        customer = world.customer()

        with pytest.raises(StripeRefused):
            world.gateway.charge_off_session(charge(customer, world.loose_card("pm_card_visa")))

        assert world.charges_of(customer) == []

    def test_a_customer_or_card_stripe_does_not_know_is_unknown_at_stripe(
        self, world: StripeWorld
    ) -> None:
        customer = world.customer()
        card = world.saved_card(customer, "pm_card_visa")

        with pytest.raises(UnknownAtStripe):
            world.gateway.charge_off_session(charge("cus_nobody0000", card))
        with pytest.raises(UnknownAtStripe):
            world.gateway.charge_off_session(charge(customer, "pm_nobody0000"))

    def test_a_recovery_session_is_for_the_customer_with_one_line_and_the_metadata(
        self, world: StripeWorld
    ) -> None:
        customer = world.customer("ada@example.com")
        request = RecoveryRequest(customer=customer, amount=2900, currency="usd",
                                  description="Ledger Pro, May", idempotency_key=new_key(),
                                  metadata=(("charge", "chg_7"),))
        urls = ("http://127.0.0.1:4242/paid?session_id={CHECKOUT_SESSION_ID}",
                "http://127.0.0.1:4242/account")

        session_id, url = world.gateway.create_recovery_session(request, *urls)
        again = world.gateway.create_recovery_session(request, *urls)

        assert session_id.startswith("cs_") and url.startswith("http") and session_id in url
        assert again == (session_id, url)
        assert world.checkout_session(session_id) == {
            "mode": "payment", "customer": customer, "metadata": {"charge": "chg_7"},
            "amount": 2900, "currency": "usd", "description": "Ledger Pro, May",
            "success_url": urls[0], "cancel_url": urls[1]}

    def test_a_recovery_session_is_closed_unless_the_customer_paid_it(
        self, world: StripeWorld
    ) -> None:
        customer = world.customer("ada@example.com")
        urls = ("http://127.0.0.1:4242/paid?session_id={CHECKOUT_SESSION_ID}",
                "http://127.0.0.1:4242/account")

        def recovery() -> str:
            request = RecoveryRequest(customer=customer, amount=2900, currency="usd",
                                      description="Ledger Pro, May", idempotency_key=new_key(),
                                      metadata=(("charge", "chg_7"),))
            return world.gateway.create_recovery_session(request, *urls)[0]

        unpaid, paid = recovery(), recovery()
        world.pay_recovery(paid)

        assert world.gateway.close_recovery_session(unpaid) is True
        assert world.gateway.close_recovery_session(unpaid) is True  # expired before
        assert world.gateway.close_recovery_session(paid) is False
        assert (world.recovery_status(unpaid), world.recovery_status(paid)) == (
            "expired", "complete")
