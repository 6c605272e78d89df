"""The hosted payment page: what ``session.url`` shows and what paying on it does."""

from __future__ import annotations

from typing import Any

import httpx
import stripe


def test_session_url_points_at_the_hosted_page_on_the_emulator(
    server: Any, control: httpx.Client, shop: Any
) -> None:
    session = shop.session(shop.price(2500), quantity=2)

    page = control.get(session.url)

    assert session.url == f"{server.url}/pay/{session.id}"
    assert page.status_code == 200
    assert "Ledger T-shirt" in page.text
    assert "$50.00" in page.text
    for marker in ('id="card-number"', 'id="pay-button"', 'name="method" value="card"',
                   'value="bank_debit_succeeds"', 'value="bank_debit_fails"', 'id="cancel-link"',
                   "Bank debit (delayed)"):
        assert marker in page.text


def test_paying_with_4242_redirects_to_success_url_with_the_session_id(
    control: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    session = shop.session(shop.price(2500))

    response = control.post(f"/pay/{session.id}",
                            data={"method": "card", "card_number": "4242 4242 4242 4242"})

    assert response.status_code == 303
    assert response.headers["location"] == (
        f"http://127.0.0.1:4242/success?session_id={session.id}")
    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert paid.url is None
    intent = client.v1.payment_intents.retrieve(paid.payment_intent)  # type: ignore[arg-type]
    assert (intent.status, intent.amount) == ("succeeded", 2500)


def test_paying_with_0002_is_declined_and_leaves_the_session_open(
    control: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    session = shop.session(shop.price(2500))
    events_before = shop.event_types()

    response = control.post(f"/pay/{session.id}",
                            data={"method": "card", "card_number": "4000 0000 0000 0002"})

    assert response.status_code == 402
    assert 'id="error"' in response.text
    assert "Your card was declined." in response.text
    still = client.v1.checkout.sessions.retrieve(session.id)
    assert (still.status, still.payment_status) == ("open", "unpaid")
    assert shop.event_types() == events_before


def test_an_invalid_card_number_is_refused_on_the_page(control: httpx.Client, shop: Any) -> None:
    session = shop.session(shop.price())

    response = control.post(f"/pay/{session.id}", data={"card_number": "1234"})

    assert response.status_code == 402
    assert "Your card number is incorrect." in response.text


def test_a_completed_session_cannot_be_paid_twice(control: httpx.Client, shop: Any) -> None:
    session = shop.session(shop.price())
    control.post(f"/pay/{session.id}", data={"card_number": "4242424242424242"})

    again = control.post(f"/pay/{session.id}", data={"card_number": "4242424242424242"})
    page = control.get(f"/pay/{session.id}")

    assert again.status_code == 400
    assert "complete" in page.text
    assert shop.event_types(type="checkout.session.completed") == ["checkout.session.completed"]


def test_an_unknown_session_page_is_404(control: httpx.Client) -> None:
    response = control.get("/pay/cs_test_nope")

    assert response.status_code == 404


def test_setup_mode_saves_the_card_on_the_sessions_customer(
    control: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    ada = client.v1.customers.create(params={"email": "ada@example.com"})
    session = shop.session(mode="setup", currency="usd", customer=ada.id)

    response = control.post(f"/pay/{session.id}", data={"card_number": "4242424242424242"})

    assert response.status_code == 303
    done = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["setup_intent"]})
    assert (done.status, done.payment_status) == ("complete", "no_payment_required")
    assert done.customer == ada.id
    assert (done.setup_intent.status, done.setup_intent.customer) == ("succeeded", ada.id)
    method = client.v1.payment_methods.retrieve(done.setup_intent.payment_method)
    assert method.customer == ada.id
    assert (method.card.brand, method.card.last4) == ("visa", "4242")
    saved = client.v1.customers.payment_methods.list(ada.id)
    assert [m.id for m in saved.data] == [method.id]
    assert "payment_method.attached" in shop.event_types()


def test_setup_mode_without_a_customer_saves_the_card_to_nobody_and_creates_no_customer(
    control: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    session = shop.session(mode="setup", currency="usd", customer_email="ada@example.com")

    control.post(f"/pay/{session.id}", data={"card_number": "4242424242424242"})

    done = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["setup_intent.payment_method"]})
    assert done.customer is None
    assert (done.setup_intent.status, done.setup_intent.customer) == ("succeeded", None)
    assert done.setup_intent.payment_method.customer is None
    assert client.v1.customers.list().data == []
    assert "customer.created" not in shop.event_types()
    assert "payment_method.attached" not in shop.event_types()


def test_subscription_mode_creates_an_active_subscription(
    control: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    monthly = shop.price(1500, name="Pro plan", interval="month")
    session = shop.session(monthly, mode="subscription")

    response = control.post(f"/pay/{session.id}", data={"card_number": "4242424242424242"})

    assert response.status_code == 303
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "paid")
    subscription = client.v1.subscriptions.retrieve(done.subscription)  # type: ignore[arg-type]
    assert subscription.status == "active"
    assert subscription.customer == done.customer
    assert subscription["items"].data[0].price.id == monthly.id
    assert "customer.subscription.created" in shop.event_types()


def test_cancel_link_goes_to_cancel_url(control: httpx.Client, shop: Any) -> None:
    session = shop.session(shop.price(), cancel_url="http://127.0.0.1:4242/cart?x=1&y=2")

    page = control.get(f"/pay/{session.id}")

    assert 'href="http://127.0.0.1:4242/cart?x=1&amp;y=2"' in page.text
