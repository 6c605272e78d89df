"""Saved cards charged off-session behave like Stripe's test cards."""

from __future__ import annotations

from typing import Any

import pytest
import stripe


def _saved_card(client: stripe.StripeClient, shop: Any, number: str) -> tuple[str, str]:
    """Save ``number`` through a setup-mode Checkout; return (customer, payment method)."""
    pat = client.v1.customers.create(params={"email": "pat@example.com"})
    session = shop.session(mode="setup", currency="usd", customer=pat.id)
    shop.pay(session.id, card=number).raise_for_status()
    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["setup_intent"]})
    return done.customer, done.setup_intent.payment_method  # type: ignore[return-value]


def _charge(client: stripe.StripeClient, customer: str, card: str) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(params={
        "amount": 1500, "currency": "usd", "customer": customer, "payment_method": card,
        "off_session": True, "confirm": True})


def test_a_saved_4242_card_is_charged_off_session(client: stripe.StripeClient,
                                                  shop: Any) -> None:
    customer, card = _saved_card(client, shop, "4242424242424242")

    intent = _charge(client, customer, card)

    assert (intent.status, intent.amount_received) == ("succeeded", 1500)
    assert intent.id.startswith("pi_")


@pytest.mark.parametrize(("number", "decline_code"), [
    ("4000000000000002", "generic_decline"),
    ("4000000000009995", "insufficient_funds"),
    ("4000000000000341", "generic_decline"),
])
def test_a_saved_decline_card_is_declined_off_session(
    client: stripe.StripeClient, shop: Any, number: str, decline_code: str
) -> None:
    customer, card = _saved_card(client, shop, number)

    with pytest.raises(stripe.CardError) as raised:
        _charge(client, customer, card)

    assert raised.value.code == "card_declined"
    assert raised.value.error.decline_code == decline_code
    assert raised.value.error.payment_intent.status == "requires_payment_method"


def test_a_card_always_needing_authentication_fails_off_session_and_never_waits_for_action(
    client: stripe.StripeClient, shop: Any
) -> None:
    customer, card = _saved_card(client, shop, "4000002760003184")

    with pytest.raises(stripe.CardError) as raised:
        _charge(client, customer, card)

    assert (raised.value.code, raised.value.error.decline_code) == (
        "authentication_required", "authentication_required")
    intent = raised.value.error.payment_intent
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.code == "authentication_required"
    assert shop.event_types()[-2:] == ["charge.failed", "payment_intent.payment_failed"]
    assert "payment_intent.requires_action" not in shop.event_types()


def test_a_card_authenticated_at_setup_is_charged_off_session_without_authentication(
    client: stripe.StripeClient, shop: Any
) -> None:
    customer, card = _saved_card(client, shop, "4000002500003155")

    intent = _charge(client, customer, card)

    assert intent.status == "succeeded"


def test_on_session_a_card_needing_authentication_waits_for_action(
    client: stripe.StripeClient, shop: Any
) -> None:
    intent = client.v1.payment_intents.create(params={
        "amount": 1500, "currency": "usd", "payment_method": "pm_card_authenticationRequired",
        "confirm": True})

    assert (intent.status, intent.next_action.type) == ("requires_action", "use_stripe_sdk")
    assert intent.latest_charge is None
    assert shop.event_types()[-1] == "payment_intent.requires_action"


def test_a_payment_method_of_another_customer_is_refused(
    client: stripe.StripeClient, shop: Any
) -> None:
    _, card = _saved_card(client, shop, "4242424242424242")
    stranger = client.v1.customers.create(params={"email": "x@example.com"})

    with pytest.raises(stripe.InvalidRequestError) as raised:
        _charge(client, stranger.id, card)

    assert raised.value.param == "payment_method"


def test_attach_and_list_a_customers_payment_methods(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "lu@example.com"})
    created = client.v1.payment_methods.create(params={
        "type": "card", "card": {"number": "5555555555554444", "exp_month": 4,
                                 "exp_year": 2031}})

    attached = client.v1.payment_methods.attach(created.id, params={"customer": customer.id})
    listed = client.v1.customers.payment_methods.list(customer.id)

    assert attached.customer == customer.id
    assert [(m.id, m.card.brand, m.card.last4) for m in listed.data] == [
        (created.id, "mastercard", "4444")]


def test_customers_can_be_found_by_email(client: stripe.StripeClient) -> None:
    client.v1.customers.create(params={"email": "one@example.com"})
    wanted = client.v1.customers.create(params={"email": "two@example.com"})

    found = client.v1.customers.list(params={"email": "two@example.com"})

    assert [c.id for c in found.data] == [wanted.id]


def test_sessions_can_be_found_by_payment_intent(client: stripe.StripeClient, shop: Any) -> None:
    session = shop.session(shop.price())
    shop.session(shop.price())
    shop.pay(session.id, card="4242424242424242")
    intent = client.v1.checkout.sessions.retrieve(session.id).payment_intent

    found = client.v1.checkout.sessions.list(params={"payment_intent": intent})

    assert [s.id for s in found.data] == [session.id]


def test_a_subscription_can_be_cancelled(client: stripe.StripeClient, shop: Any) -> None:
    session = shop.session(shop.price(1500, interval="month"), mode="subscription")
    shop.pay(session.id, card="4242424242424242")
    subscription_id = client.v1.checkout.sessions.retrieve(session.id).subscription

    cancelled = client.v1.subscriptions.cancel(subscription_id)  # type: ignore[arg-type]

    assert cancelled.status == "canceled"
    assert "customer.subscription.deleted" in shop.event_types()
