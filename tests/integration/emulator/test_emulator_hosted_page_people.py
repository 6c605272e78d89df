"""The hosted page as a person meets it: a decline keeps what was typed, a subscription says
"/ month", a paid session's page leads back to the shop, the browser finds a favicon."""

from __future__ import annotations

import re
from typing import Any

import httpx
import stripe

DECLINED = "4000000000000002"


def test_a_decline_keeps_the_typed_card_number_billing_fields_and_method(
    control: httpx.Client, shop: Any
) -> None:
    session = shop.session(shop.price(1800))

    declined = control.post(f"/pay/{session.id}", data={
        "method": "card", "card_number": "4000 0000 0000 0002", "billing_name": "Ada Lovelace",
        "billing_country": "GB", "billing_postal_code": "SW1Y 4JH"})

    assert declined.status_code == 402
    assert "Your card was declined." in declined.text
    assert 'value="4000 0000 0000 0002"' in declined.text
    assert 'value="Ada Lovelace"' in declined.text and 'value="SW1Y 4JH"' in declined.text
    assert '<option value="GB" selected>' in declined.text
    assert 'name="method" value="card" checked' in declined.text


def test_an_incorrect_number_is_shown_again_with_its_error(
    control: httpx.Client, shop: Any
) -> None:
    session = shop.session(shop.price(1800))

    wrong = control.post(f"/pay/{session.id}", data={"method": "card", "card_number": "1234"})

    assert wrong.status_code == 402
    assert 'value="1234"' in wrong.text
    assert "Your card number is incorrect." in wrong.text


def test_typed_values_are_escaped_when_shown_again(control: httpx.Client, shop: Any) -> None:
    session = shop.session(shop.price(1800))

    declined = control.post(f"/pay/{session.id}", data={
        "card_number": DECLINED, "billing_name": '"><script>alert(1)</script>'})

    assert "<script>alert(1)" not in declined.text
    assert "&#34;&gt;&lt;script&gt;" in declined.text


def test_a_fresh_page_shows_empty_fields(control: httpx.Client, shop: Any) -> None:
    page = control.get(f"/pay/{shop.session(shop.price(1800)).id}")

    assert 'id="card-number" name="card_number" inputmode="numeric" autocomplete="cc-number" ' \
           'placeholder="4242 4242 4242 4242" value=""' in page.text
    assert 'name="method" value="card" checked' in page.text


def test_a_subscription_shows_its_interval_on_items_total_and_button(
    control: httpx.Client, shop: Any
) -> None:
    monthly = shop.price(1500, name="Pro plan", interval="month")
    session = shop.session(monthly, mode="subscription")

    page = control.get(f"/pay/{session.id}").text

    assert re.search(r"\$15\.00<span class=\"per\"> / month</span>", page)
    assert '<span class="per" id="total-interval"> / month</span>' in page
    assert "Subscribe · $15.00 / month" in page


def test_an_interval_of_several_months_is_spelt_out(
    control: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    quarterly = client.v1.prices.create(params={
        "currency": "usd", "unit_amount": 4000, "product_data": {"name": "Pro plan"},
        "recurring": {"interval": "month", "interval_count": 3}})
    session = shop.session(quarterly, mode="subscription")

    assert " / 3 months" in control.get(f"/pay/{session.id}").text


def test_a_one_time_payment_shows_no_interval(control: httpx.Client, shop: Any) -> None:
    page = control.get(f"/pay/{shop.session(shop.price(1800)).id}").text

    assert " / month" not in page
    assert '<span class="per" id="total-interval"></span>' in page


def test_a_paid_sessions_page_says_paid_and_leads_back_to_the_success_url(
    control: httpx.Client, shop: Any
) -> None:
    session = shop.session(shop.price(1800))
    shop.pay(session.id, card="4242424242424242").raise_for_status()

    page = control.get(f"/pay/{session.id}")

    assert page.status_code == 200
    assert 'id="paid"' in page.text and "Paid" in page.text
    assert (f'id="return-link" href="http://127.0.0.1:4242/success?session_id={session.id}"'
            in page.text)
    assert 'id="pay-form"' not in page.text
    assert "Total paid" in page.text


def test_a_saved_cards_page_says_card_saved(control: httpx.Client, shop: Any) -> None:
    session = shop.session(mode="setup", currency="usd")
    shop.pay(session.id, card="4242424242424242").raise_for_status()

    page = control.get(f"/pay/{session.id}").text

    assert "Card saved" in page and 'id="return-link"' in page


def test_an_expired_sessions_page_says_nothing_was_charged(
    control: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    session = shop.session(shop.price(1800))
    client.v1.checkout.sessions.expire(session.id)

    page = control.get(f"/pay/{session.id}").text

    assert "expired" in page and "Nothing was charged." in page
    assert 'id="cancel-link"' in page


def test_the_favicon_is_served_and_linked(control: httpx.Client, shop: Any) -> None:
    icon = control.get("/favicon.ico")

    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert control.get("/favicon.svg").status_code == 200
    assert 'rel="icon" href="/favicon.svg"' in control.get(
        f"/pay/{shop.session(shop.price()).id}").text
