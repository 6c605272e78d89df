"""A returning customer's hosted page pre-fills their saved card, and one click pays with it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import stripe

ADA = {"email": "ada@example.com", "name": "Ada Lovelace",
       "address": {"country": "US", "postal_code": "94080"}}


def ada_with_card(client: stripe.StripeClient, number: str = "4242424242424242", *,
                  redisplay: str = "always") -> tuple[stripe.Customer, stripe.PaymentMethod]:
    """A customer with one saved card (``allow_redisplay``, Ada's billing details)."""
    ada = client.v1.customers.create(params={"email": "ada@example.com", "name": "Ada Lovelace"})
    card = client.v1.payment_methods.create(params={  # type: ignore[arg-type]
        "type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034},
        "allow_redisplay": redisplay, "billing_details": ADA})
    client.v1.payment_methods.attach(card.id, params={"customer": ada.id})
    return ada, card


def saved_choice(page: httpx.Response) -> str | None:
    """The ``#saved-card`` label of the page, or None."""
    found = re.search(r'<label id="saved-card"[^>]*>(.*?)</label>', page.text, re.S)
    return " ".join(found.group(1).split()) if found else None


@pytest.fixture
def later(server: Any) -> Iterator[Callable[[int], None]]:
    """Moves the emulator's clock seam forward by N seconds (put back after the test)."""
    state = server.app.state.runtime.state
    original = state.clock

    def move(seconds: int) -> None:
        state.clock = lambda: original() + seconds

    yield move
    state.clock = original


def test_a_returning_customers_page_preselects_their_saved_card(
    control: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    ada, card = ada_with_card(client)
    session = shop.session(shop.price(1800), customer=ada.id)

    page = control.get(f"/pay/{session.id}")

    choice = saved_choice(page)
    assert choice is not None
    assert "Visa •••• 4242" in choice
    assert 'name="method" value="saved_card" checked' in choice
    assert f'name="payment_method" value="{card.id}"' in page.text
    assert "Ada Lovelace" in page.text and "ada@example.com" in page.text
    for marker in ('id="card-number"', 'id="pay-button"', 'id="total"'):
        assert marker in page.text


def test_paying_with_the_prefilled_card_completes_the_session_with_that_payment_method(
    control: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    ada, card = ada_with_card(client)
    session = shop.session(shop.price(1800), customer=ada.id)

    response = control.post(f"/pay/{session.id}",
                            data={"method": "saved_card", "payment_method": card.id})

    assert response.status_code == 303
    done = client.v1.checkout.sessions.retrieve(session.id,
                                                params={"expand": ["payment_intent"]})
    assert (done.status, done.payment_status) == ("complete", "paid")
    intent: Any = done.payment_intent
    assert (intent.status, intent.amount, intent.payment_method) == ("succeeded", 1800, card.id)
    assert client.v1.payment_methods.retrieve(card.id).customer == ada.id
    assert done.customer_details is not None and done.customer_details.name == "Ada Lovelace"


def test_a_typed_card_number_pays_with_a_new_card_even_with_the_saved_card_preselected(
    control: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    ada, card = ada_with_card(client, "4000000000009995")
    session = shop.session(shop.price(1800), customer=ada.id)

    response = control.post(f"/pay/{session.id}", data={
        "method": "saved_card", "payment_method": card.id, "card_number": "4242424242424242"})

    assert response.status_code == 303
    done = client.v1.checkout.sessions.retrieve(session.id,
                                                params={"expand": ["payment_intent"]})
    intent: Any = done.payment_intent
    assert intent.payment_method != card.id


def test_a_declined_saved_card_shows_the_decline_and_leaves_the_session_open(
    control: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    ada, card = ada_with_card(client, "4000000000009995")
    session = shop.session(shop.price(1800), customer=ada.id)

    response = control.post(f"/pay/{session.id}",
                            data={"method": "saved_card", "payment_method": card.id})

    assert response.status_code == 402
    assert "Your card has insufficient funds." in response.text
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_a_limited_card_is_prefilled_only_when_the_session_filters_include_limited(
    control: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    ada, _ = ada_with_card(client, redisplay="limited")
    default = shop.session(shop.price(1800), customer=ada.id)
    widened = shop.session(shop.price(1800), customer=ada.id, saved_payment_method_options={
        "allow_redisplay_filters": ["always", "limited", "unspecified"]})

    assert saved_choice(control.get(f"/pay/{default.id}")) is None
    assert "•••• 4242" in (saved_choice(control.get(f"/pay/{widened.id}")) or "")
    served = client.v1.checkout.sessions.retrieve(widened.id).saved_payment_method_options
    assert served is not None
    assert served.allow_redisplay_filters == ["always", "limited", "unspecified"]


def test_the_prefill_is_gone_30_minutes_after_the_session_was_created(
    control: httpx.Client, client: stripe.StripeClient, shop: Any,
    later: Callable[[int], None]
) -> None:
    ada, card = ada_with_card(client)
    session = shop.session(shop.price(1800), customer=ada.id)
    later(30 * 60)

    page = control.get(f"/pay/{session.id}")
    paid = control.post(f"/pay/{session.id}",
                        data={"method": "saved_card", "payment_method": card.id})

    assert saved_choice(page) is None
    assert 'name="method" value="card" checked' in page.text
    assert paid.status_code == 400
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_setup_mode_pages_never_prefill(
    control: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    ada, _ = ada_with_card(client)
    session = shop.session(mode="setup", currency="usd", customer=ada.id)

    assert saved_choice(control.get(f"/pay/{session.id}")) is None


def test_required_billing_collection_skips_a_card_without_a_street_address(
    control: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    ada, _ = ada_with_card(client)
    session = shop.session(shop.price(1800), customer=ada.id,
                           billing_address_collection="required")

    page = control.get(f"/pay/{session.id}")

    assert saved_choice(page) is None
    assert 'id="billing-line1"' in page.text
    assert client.v1.checkout.sessions.retrieve(session.id).billing_address_collection == (
        "required")
