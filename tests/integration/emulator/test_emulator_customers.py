"""Customers and their saved cards: default card, delete, detach, fingerprints, events."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe


def _event(api: httpx.Client, type_: str) -> dict[str, Any]:
    found: dict[str, Any] = api.get("/v1/events", params={"type": type_}).json()["data"][0]
    return found


def test_the_default_card_must_be_attached_to_that_customer(
    client: stripe.StripeClient, api: httpx.Client
) -> None:
    kim = client.v1.customers.create(params={"email": "kim@example.com", "name": "Kim"})
    card = client.v1.payment_methods.attach("pm_card_visa", params={"customer": kim.id})
    stray = client.v1.payment_methods.create(params={  # type: ignore[arg-type]
        "type": "card", "card": {"number": "4242424242424242", "exp_month": 1,
                                 "exp_year": 2031}})

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.customers.update(kim.id, params={
            "invoice_settings": {"default_payment_method": stray.id}})
    updated = client.v1.customers.update(kim.id, params={
        "invoice_settings": {"default_payment_method": card.id}})

    assert (raised.value.http_status, raised.value.code, raised.value.param) == (
        400, "resource_missing", "invoice_settings[default_payment_method]")
    assert updated.invoice_settings.default_payment_method == card.id
    assert _event(api, "customer.updated")["data"]["previous_attributes"] == {
        "invoice_settings": {"default_payment_method": None}}


def test_a_deleted_customer_answers_deleted_and_is_listed_no_more(
    client: stripe.StripeClient, api: httpx.Client
) -> None:
    kim = client.v1.customers.create(params={"email": "kim@example.com"})

    deleted = client.v1.customers.delete(kim.id)
    retrieved = api.get(f"/v1/customers/{kim.id}")

    assert (deleted.id, deleted.deleted) == (kim.id, True)
    assert retrieved.json() == {"id": kim.id, "object": "customer", "deleted": True}
    assert client.v1.customers.list().data == []
    assert api.post(f"/v1/customers/{kim.id}", data={"name": "x"}).status_code == 404
    assert _event(api, "customer.deleted")["data"]["object"]["id"] == kim.id


def test_detach_reports_the_customer_the_card_had(
    client: stripe.StripeClient, api: httpx.Client
) -> None:
    kim = client.v1.customers.create(params={"email": "kim@example.com"})
    card = client.v1.payment_methods.attach("pm_card_mastercard", params={"customer": kim.id})

    detached = client.v1.payment_methods.detach(card.id)

    assert detached.customer is None
    event = _event(api, "payment_method.detached")
    assert event["data"]["previous_attributes"] == {"customer": kim.id}
    assert client.v1.customers.payment_methods.list(kim.id).data == []


def test_the_same_card_number_keeps_its_fingerprint(client: stripe.StripeClient) -> None:
    def card(number: str) -> stripe.PaymentMethod:
        return client.v1.payment_methods.create(params={  # type: ignore[arg-type]
            "type": "card", "card": {"number": number, "exp_month": 1, "exp_year": 2031}})

    first, again, other = card("4242424242424242"), card("4242424242424242"), card(
        "5555555555554444")

    assert first.card.fingerprint == again.card.fingerprint != other.card.fingerprint
    assert len(first.card.fingerprint) == 16


def test_a_customer_created_with_a_card_has_it_attached(client: stripe.StripeClient) -> None:
    kim = client.v1.customers.create(params={
        "email": "kim@example.com", "payment_method": "pm_card_visa",
        "metadata": {"plan": "pro"}})

    cards = client.v1.customers.payment_methods.list(kim.id, params={"type": "card"})

    assert [m.card.last4 for m in cards.data] == ["4242"]
    assert kim.metadata.to_dict() == {"plan": "pro"}


def test_a_setup_session_exposes_the_saved_card_in_one_nested_expansion(
    client: stripe.StripeClient, shop: Any
) -> None:
    kim = client.v1.customers.create(params={"email": "kim@example.com"})
    session = shop.session(mode="setup", currency="usd", customer=kim.id)
    shop.pay(session.id, card="5555555555554444").raise_for_status()

    done = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["setup_intent.payment_method"]})

    card = done.setup_intent.payment_method
    assert done.setup_intent.status == "succeeded"
    assert (card.customer, card.card.brand, card.card.last4) == (kim.id, "mastercard", "4444")
    assert (card.card.exp_month, card.card.exp_year) == (12, 2034)
    assert card.card.fingerprint
