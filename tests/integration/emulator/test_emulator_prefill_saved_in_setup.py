"""A card saved through Checkout in setup mode comes back pre-filled on the customer's next
payment page: the service's saved-card and recovery flow, driven through the SDK and the page."""

from __future__ import annotations

import re
from typing import Any

import httpx
import stripe

SUCCESS = "http://127.0.0.1:4242/success?session_id={CHECKOUT_SESSION_ID}"


def save_card_in_setup_mode(control: httpx.Client, shop: Any, number: str,
                            **extra: Any) -> str:
    """A setup-mode session paid on the hosted page; the saved card's id."""
    session = shop.session(mode="setup", currency="usd", **extra)
    assert control.post(f"/pay/{session.id}", data={"card_number": number}).status_code == 303
    done = shop.client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["setup_intent.payment_method"]})
    return str(done.setup_intent.payment_method.id)


def recovery_session(client: stripe.StripeClient, customer: str, charge: str = "chg_1"
                     ) -> stripe.checkout.Session:
    """A Checkout Session made with exactly the parameters the service's recovery uses."""
    return client.v1.checkout.sessions.create(params={  # type: ignore[arg-type]
        "mode": "payment", "customer": customer,
        "line_items": [{"price_data": {"currency": "usd", "unit_amount": 1800,
                                       "product_data": {"name": "Monthly top-up"}},
                        "quantity": 1}],
        "metadata": {"checkout_ledger_charge": charge},
        "success_url": SUCCESS, "cancel_url": "http://127.0.0.1:4242/cancel",
    }, options={"idempotency_key": f"checkout-ledger:recovery:{charge}"})


def test_a_card_saved_in_setup_mode_may_always_be_redisplayed_and_has_billing_details(
    control: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    ada = client.v1.customers.create(params={"email": "ada@example.com"})

    card = client.v1.payment_methods.retrieve(save_card_in_setup_mode(
        control, shop, "4242424242424242", customer=ada.id))

    assert (card.customer, card.allow_redisplay) == (ada.id, "always")
    assert card.billing_details.email == "ada@example.com"
    assert card.billing_details.name
    assert card.billing_details.address is not None
    assert (card.billing_details.address.country, card.billing_details.address.postal_code) == (
        "US", "94080")


def test_the_recovery_page_of_a_card_saved_in_setup_mode_prefills_it(
    control: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    # The service's flow: a setup session with no customer, then a Customer and an attach.
    card = save_card_in_setup_mode(control, shop, "4000 0000 0000 9995")
    ada = client.v1.customers.create(params={"email": "ada@example.com"})
    client.v1.payment_methods.attach(card, params={"customer": ada.id})
    client.v1.customers.update(ada.id, params={"invoice_settings": {
        "default_payment_method": card}})
    session = recovery_session(client, ada.id)

    page = control.get(f"/pay/{session.id}")

    choice = re.search(r'<label id="saved-card"[^>]*>(.*?)</label>', page.text, re.S)
    assert choice is not None and "•••• 9995" in choice.group(1)
    declined = control.post(f"/pay/{session.id}",
                            data={"method": "saved_card", "payment_method": card})
    assert declined.status_code == 402  # the same card is declined again, as at Stripe
    paid = control.post(f"/pay/{session.id}", data={
        "method": "card", "card_number": "4242 4242 4242 4242"})
    assert paid.status_code == 303


def test_paying_the_recovery_with_the_saved_card_keeps_it_attached(
    control: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    ada = client.v1.customers.create(params={"email": "ada@example.com"})
    card = save_card_in_setup_mode(control, shop, "4242424242424242", customer=ada.id)
    session = recovery_session(client, ada.id)

    paid = control.post(f"/pay/{session.id}",
                        data={"method": "saved_card", "payment_method": card})

    assert paid.status_code == 303
    done = client.v1.checkout.sessions.retrieve(session.id,
                                                params={"expand": ["payment_intent"]})
    intent: Any = done.payment_intent
    assert (done.payment_status, intent.payment_method) == ("paid", card)
    assert client.v1.payment_methods.retrieve(card).customer == ada.id
    listed = client.v1.customers.payment_methods.list(ada.id)
    assert [m.id for m in listed.data] == [card]


def test_a_card_saved_with_a_subscription_is_limited_and_not_prefilled_next_time(
    control: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    monthly = shop.price(1500, name="Pro plan", interval="month")
    ada = client.v1.customers.create(params={"email": "ada@example.com"})
    first = shop.session(monthly, mode="subscription", customer=ada.id)
    control.post(f"/pay/{first.id}", data={"card_number": "4242424242424242"})
    [card] = client.v1.customers.payment_methods.list(ada.id).data

    page = control.get(f"/pay/{recovery_session(client, ada.id).id}")

    assert card.allow_redisplay == "limited"
    assert 'id="saved-card"' not in page.text


def test_the_customer_can_allow_a_card_to_be_redisplayed_later(
    control: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    ada = client.v1.customers.create(params={"email": "ada@example.com"})
    card = client.v1.payment_methods.attach("pm_card_visa", params={"customer": ada.id})
    client.v1.payment_methods.update(card.id, params={  # type: ignore[arg-type]
        "allow_redisplay": "always", "billing_details": {
            "name": "Ada Lovelace", "email": "ada@example.com",
            "address": {"country": "FR"}}})

    page = control.get(f"/pay/{recovery_session(client, ada.id).id}")

    assert 'id="saved-card"' in page.text
    assert "payment_method.updated" in shop.event_types()


def test_the_control_api_pays_with_the_prefilled_card_as_the_page_would(
    control: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    ada = client.v1.customers.create(params={"email": "ada@example.com"})
    card = save_card_in_setup_mode(control, shop, "4242424242424242", customer=ada.id)
    session = recovery_session(client, ada.id)

    paid = shop.pay(session.id, method="saved_card", payment_method=card)
    another = recovery_session(client, ada.id, charge="chg_2")
    refused = shop.pay(another.id, method="saved_card", payment_method="pm_not_offered")

    assert paid.status_code == 200
    assert paid.json()["session"]["status"] == "complete"
    assert refused.status_code == 400
    assert refused.json()["error"]["param"] == "payment_method"
    assert client.v1.checkout.sessions.retrieve(another.id).status == "open"
