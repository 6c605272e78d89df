"""Payment Links on the emulator, through the official SDK over HTTP: the API as Stripe serves it,
and what a customer meets when opening a link's ``url``."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import stripe

from tests.support.webhooks import fixtures

SUCCESS = "http://127.0.0.1:4242/success?session_id={CHECKOUT_SESSION_ID}"


def make_link(client: stripe.StripeClient, price: stripe.Price, quantity: int = 1,
              **extra: Any) -> stripe.PaymentLink:
    return client.v1.payment_links.create(params={  # type: ignore[arg-type]
        "line_items": [{"price": price.id, "quantity": quantity}], **extra})


def visit(control: httpx.Client, link: stripe.PaymentLink) -> str:
    """Open the link as a customer: the new session's id."""
    answer = control.get(link.url, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert "/pay/cs_" in location
    return location.rsplit("/", 1)[1]


def refusal(call: Any) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        call()
    return caught.value


# The API ------------------------------------------------------------------------------------


def test_a_link_has_the_keys_of_stripes_example_and_its_own_values(
    client: stripe.StripeClient, shop: Any
) -> None:
    price = shop.price(1800)

    link = make_link(client, price, 2, metadata={"campaign": "spring"}).to_dict()

    example = fixtures()["payment_link"]
    assert set(example) <= set(link)
    assert link["id"].startswith("plink_")
    assert (link["object"], link["active"], link["livemode"]) == ("payment_link", True, False)
    assert link["currency"] == "usd"
    assert link["metadata"] == {"campaign": "spring"}
    assert link["after_completion"] == {"type": "hosted_confirmation",
                                        "hosted_confirmation": {"custom_message": None}}
    assert "/b/test_" in link["url"]
    assert link["subscription_data"] is None


def test_retrieve_list_and_line_items(client: stripe.StripeClient, shop: Any) -> None:
    price = shop.price(1800)
    first = make_link(client, price, 3)
    second = make_link(client, price)

    retrieved = client.v1.payment_links.retrieve(first.id)
    listed = client.v1.payment_links.list(params={"limit": 1})
    items = client.v1.payment_links.line_items.list(first.id)

    assert retrieved.to_dict() == first.to_dict()
    assert [link.id for link in listed.data] == [second.id] and listed.has_more
    assert [(i.object, i.price.id, i.quantity, i.amount_total, i.description)  # type: ignore[union-attr]
            for i in items.data] == [("item", price.id, 3, 5400, "Ledger T-shirt")]


def test_update_deactivates_and_reactivates_with_payment_link_updated_events(
    client: stripe.StripeClient, shop: Any
) -> None:
    link = make_link(client, shop.price())

    off = client.v1.payment_links.update(link.id, params={"active": False})
    active_only = client.v1.payment_links.list(params={"active": True})
    on = client.v1.payment_links.update(link.id, params={"active": True,
                                                         "metadata": {"round": "2"}})

    assert (off.active, on.active, on.metadata.to_dict()) == (False, True, {"round": "2"})
    assert link.id not in [x.id for x in active_only.data]
    updates = client.v1.events.list(params={"type": "payment_link.updated"}).data
    assert [e.data.previous_attributes.to_dict() for e in reversed(updates)] == [  # type: ignore[union-attr]
        {"active": True}, {"active": False, "metadata": {"round": None}}]
    assert shop.event_types(type="payment_link.created") == ["payment_link.created"]


def test_a_link_to_a_recurring_price_serves_subscription_data(
    client: stripe.StripeClient, shop: Any
) -> None:
    link = make_link(client, shop.price(1500, interval="month"))

    assert link.subscription_data is not None
    assert link.subscription_data.trial_period_days is None


def test_an_unknown_link_is_stripes_404(client: stripe.StripeClient) -> None:
    error = refusal(lambda: client.v1.payment_links.retrieve("plink_nope"))

    assert (error.http_status, error.code) == (404, "resource_missing")
    assert "plink_nope" in str(error.user_message)


@pytest.mark.parametrize(("params", "param", "code"), [
    ({"line_items": [{"price": "{price}", "quantity": 1}], "color": "red"}, "color",
     "parameter_unknown"),
    ({"line_items": [{"price": "{price}", "quantity": 1, "adjustable_quantity": {
        "enabled": True}}]}, "line_items[0][adjustable_quantity]", "parameter_unknown"),
    ({"line_items": [{"price": "{price}", "quantity": 1}],
      "after_completion": {"type": "redirect", "redirect": {"url": SUCCESS, "x": "1"}}},
     "after_completion[redirect][x]", "parameter_unknown"),
    ({"line_items": [{"price": "{price}", "quantity": 1}], "allow_promotion_codes": True},
     "allow_promotion_codes", "parameter_unknown"),
    ({}, "line_items", "parameter_missing"),
    ({"line_items": [{"price": "{price}"}]}, "line_items[0][quantity]", "parameter_missing"),
    ({"line_items": [{"quantity": 1}]}, "line_items[0][price]", "parameter_missing"),
    ({"line_items": [{"price": "price_nope", "quantity": 1}]}, "line_items[0][price]",
     "resource_missing"),
    ({"line_items": [{"price": "{price}", "quantity": 0}]}, "line_items[0][quantity]",
     "parameter_invalid_integer"),
    ({"line_items": [{"price": "{price}", "quantity": "two"}]}, "line_items[0][quantity]",
     "parameter_invalid_integer"),
    ({"line_items": [{"price": "{price}", "quantity": 1}],
      "after_completion": {"redirect": {"url": SUCCESS}}}, "after_completion[type]",
     "parameter_missing"),
    ({"line_items": [{"price": "{price}", "quantity": 1}],
      "after_completion": {"type": "redirect"}}, "after_completion[redirect][url]",
     "parameter_missing"),
    ({"line_items": [{"price": "{price}", "quantity": 1}],
      "after_completion": {"type": "redirect", "redirect": {"url": "ftp://shop"}}},
     "after_completion[redirect][url]", "url_invalid"),
])
def test_bad_parameters_are_refused_as_stripe_refuses_them(
    client: stripe.StripeClient, shop: Any, params: dict[str, Any], param: str, code: str
) -> None:
    price = shop.price()
    filled = json.loads(json.dumps(params).replace("{price}", price.id))

    error = refusal(lambda: client.v1.payment_links.create(params=filled))

    assert (error.http_status, error.param, error.code) == (400, param, code)
    assert client.v1.payment_links.list().data == []


@pytest.mark.parametrize(("params", "param"), [
    ({"after_completion": {"type": "sometimes"}}, "after_completion[type]"),
    ({"after_completion": {"type": "hosted_confirmation", "redirect": {"url": SUCCESS}}},
     "after_completion[redirect]"),
    ({"metadata": "spring"}, "metadata"),
    ({"billing_address_collection": "always"}, "billing_address_collection"),
])
def test_invalid_values_are_refused_naming_the_parameter(
    client: stripe.StripeClient, shop: Any, params: dict[str, Any], param: str
) -> None:
    price = shop.price()

    error = refusal(lambda: make_link(client, price, **params))

    assert (error.http_status, error.param) == (400, param)


def test_an_inactive_price_mixed_currencies_and_mixed_intervals_are_refused(
    client: stripe.StripeClient, shop: Any
) -> None:
    retired = client.v1.prices.create(params={"currency": "usd", "unit_amount": 500,
                                              "active": False, "product_data": {"name": "Mug"}})
    euro = client.v1.prices.create(params={"currency": "eur", "unit_amount": 500,
                                           "product_data": {"name": "Mug"}})
    usd, monthly, yearly = shop.price(), shop.price(interval="month"), shop.price(interval="year")

    inactive = refusal(lambda: make_link(client, retired))
    currencies = refusal(lambda: client.v1.payment_links.create(params={"line_items": [
        {"price": usd.id, "quantity": 1}, {"price": euro.id, "quantity": 1}]}))
    intervals = refusal(lambda: client.v1.payment_links.create(params={"line_items": [
        {"price": monthly.id, "quantity": 1}, {"price": yearly.id, "quantity": 1}]}))

    assert "inactive" in str(inactive.user_message)
    assert "same currency" in str(currencies.user_message)
    assert "recurring.interval" in str(intervals.user_message)


def test_update_refuses_unknown_parameters_and_unknown_links(
    client: stripe.StripeClient, shop: Any
) -> None:
    link = make_link(client, shop.price())

    unknown = refusal(lambda: client.v1.payment_links.update(
        link.id, params={"line_items": [{"id": "li_1", "quantity": 2}]}))
    missing = refusal(lambda: client.v1.payment_links.update("plink_nope",
                                                             params={"active": False}))
    not_boolean = refusal(lambda: client.v1.payment_links.update(
        link.id, params={"active": "maybe"}))  # type: ignore[typeddict-item]

    assert (unknown.param, unknown.code) == ("line_items", "parameter_unknown")
    assert missing.http_status == 404
    assert not_boolean.param == "active"
    assert client.v1.payment_links.retrieve(link.id).active is True


# What a customer meets ----------------------------------------------------------------------


def test_opening_a_link_creates_a_session_with_payment_link_and_the_links_metadata(
    client: stripe.StripeClient, shop: Any, control: httpx.Client
) -> None:
    price = shop.price(1800)
    link = make_link(client, price, 2, metadata={"campaign": "spring"},
                     after_completion={"type": "redirect", "redirect": {"url": SUCCESS}})

    first, second = visit(control, link), visit(control, link)

    assert first != second  # every visit its own session, as Stripe does
    session = client.v1.checkout.sessions.retrieve(first, params={"expand": ["payment_link"]})
    assert session.payment_link.id == link.id  # type: ignore[union-attr]
    assert (session.mode, session.amount_total, session.status) == ("payment", 3600, "open")
    assert session.metadata.to_dict() == {"campaign": "spring"}
    listed = client.v1.checkout.sessions.list(params={"payment_link": link.id})
    assert {s.id for s in listed.data} == {first, second}
    items = client.v1.checkout.sessions.line_items.list(first)
    assert [(i.price.id, i.quantity) for i in items.data] == [(price.id, 2)]  # type: ignore[union-attr]


def test_paying_a_redirect_link_redirects_with_the_session_id_and_sends_the_usual_webhooks(
    client: stripe.StripeClient, shop: Any, control: httpx.Client, receiver: Any
) -> None:
    shop.endpoint(receiver.url, ["checkout.session.completed"])
    link = make_link(client, shop.price(1800),
                     after_completion={"type": "redirect", "redirect": {"url": SUCCESS}})
    session_id = visit(control, link)

    paid = control.post(f"/pay/{session_id}", data={"card_number": "4242424242424242"})

    assert paid.status_code == 303
    assert paid.headers["location"] == SUCCESS.replace("{CHECKOUT_SESSION_ID}", session_id)
    shop.flush()
    delivered = [json.loads(r["body"]) for r in receiver.wait_for(1)]
    assert [(e["type"], e["data"]["object"]["id"], e["data"]["object"]["payment_link"])
            for e in delivered] == [("checkout.session.completed", session_id, link.id)]


def test_a_hosted_confirmation_link_shows_stripes_confirmation_page_after_payment(
    client: stripe.StripeClient, shop: Any, control: httpx.Client
) -> None:
    link = make_link(client, shop.price(1800), after_completion={
        "type": "hosted_confirmation",
        "hosted_confirmation": {"custom_message": "Your stickers ship tomorrow."}})
    session_id = visit(control, link)
    before = control.get(f"/pay/{session_id}/confirmation")

    paid = control.post(f"/pay/{session_id}", data={"card_number": "4242424242424242"},
                        follow_redirects=True)

    assert before.status_code == 404  # nothing to confirm while unpaid
    assert paid.status_code == 200
    assert str(paid.url).endswith(f"/pay/{session_id}/confirmation")
    assert 'id="confirmation"' in paid.text
    assert "Your stickers ship tomorrow." in paid.text
    assert "$18.00" in paid.text


def test_a_session_not_from_a_link_has_no_confirmation_page(
    shop: Any, control: httpx.Client
) -> None:
    session = shop.session(shop.price())
    shop.pay(session.id, card="4242424242424242")

    assert control.get(f"/pay/{session.id}/confirmation").status_code == 404
    assert control.get("/pay/cs_test_nope/confirmation").status_code == 404


def test_a_deactivated_link_says_so_and_opens_no_session(
    client: stripe.StripeClient, shop: Any, control: httpx.Client
) -> None:
    link = make_link(client, shop.price(), inactive_message="Sold out, back in June.")
    client.v1.payment_links.update(link.id, params={"active": False})

    page = control.get(link.url, follow_redirects=False)

    assert page.status_code == 200
    assert 'id="link-inactive"' in page.text and "Sold out, back in June." in page.text
    assert client.v1.checkout.sessions.list(params={"payment_link": link.id}).data == []
    client.v1.payment_links.update(link.id, params={"active": True})
    assert visit(control, link).startswith("cs_")


def test_an_unknown_link_url_is_a_404_page(control: httpx.Client) -> None:
    assert control.get("/b/test_nothing_here").status_code == 404


def test_a_subscription_link_opens_a_subscription_session(
    client: stripe.StripeClient, shop: Any, control: httpx.Client
) -> None:
    link = make_link(client, shop.price(1500, interval="month"))
    session_id = visit(control, link)

    shop.pay(session_id, card="4242424242424242").raise_for_status()

    session = client.v1.checkout.sessions.retrieve(session_id)
    assert (session.mode, session.status, session.payment_link) == ("subscription", "complete",
                                                                     link.id)
    assert session.subscription is not None
