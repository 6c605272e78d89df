"""Everything the emulator serves has at least the keys of Stripe's own example of that object."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.webhooks import fixtures

RESOURCES = ["checkout.session", "item", "price", "product", "customer", "event",
             "webhook_endpoint", "payment_intent", "setup_intent", "payment_method",
             "subscription", "charge", "deleted_customer"]


@pytest.fixture(scope="module")
def stripe_examples() -> dict[str, Any]:
    """Stripe's published examples (``tests/fixtures/stripe``, in the repository: never skipped)."""
    return fixtures()


def _served(api: httpx.Client, shop: Any) -> dict[str, dict[str, Any]]:
    """Create one of each object through the emulator and fetch each as served over HTTP."""
    def get(path: str) -> dict[str, Any]:
        response = api.get(path)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    shop.endpoint("http://127.0.0.1:9/unused", ["checkout.session.completed"])
    one_time = shop.price(2500)
    paid = shop.session(one_time, quantity=2)
    shop.pay(paid.id, card="4242424242424242").raise_for_status()
    saver = shop.client.v1.customers.create(params={"email": "saver@example.com"})
    setup = shop.session(mode="setup", currency="usd", customer=saver.id)
    shop.pay(setup.id, card="4242424242424242").raise_for_status()
    leaver = shop.client.v1.customers.create(params={"email": "leaver@example.com"})
    api.delete(f"/v1/customers/{leaver.id}").raise_for_status()
    monthly = shop.price(1500, name="Pro plan", interval="month")
    subscribed = shop.session(monthly, mode="subscription")
    shop.pay(subscribed.id, card="4242424242424242").raise_for_status()

    session = get(f"/v1/checkout/sessions/{paid.id}")
    setup_session = get(f"/v1/checkout/sessions/{setup.id}")
    subscription_session = get(f"/v1/checkout/sessions/{subscribed.id}")
    setup_intent = get(f"/v1/setup_intents/{setup_session['setup_intent']}")
    charged = shop.client.v1.payment_intents.create(params={
        "amount": 1500, "currency": "usd", "customer": saver.id, "off_session": True,
        "payment_method": setup_intent["payment_method"], "confirm": True})
    return {
        "checkout.session": session,
        "item": get(f"/v1/checkout/sessions/{paid.id}/line_items")["data"][0],
        "price": get(f"/v1/prices/{monthly.id}"),
        "product": get(f"/v1/products/{one_time.product}"),
        "customer": get(f"/v1/customers/{setup_session['customer']}"),
        "event": get("/v1/events?type=checkout.session.completed")["data"][0],
        "webhook_endpoint": get("/v1/webhook_endpoints")["data"][0],
        "payment_intent": get(f"/v1/payment_intents/{session['payment_intent']}"),
        "setup_intent": setup_intent,
        "payment_method": get(f"/v1/payment_methods/{setup_intent['payment_method']}"),
        "subscription": get(f"/v1/subscriptions/{subscription_session['subscription']}"),
        "charge": get(f"/v1/charges/{charged.latest_charge}"),
        "deleted_customer": get(f"/v1/customers/{leaver.id}"),
    }


@pytest.mark.parametrize("resource", RESOURCES)
def test_served_object_has_every_key_of_stripes_example(
    resource: str, stripe_examples: dict[str, Any], api: httpx.Client, shop: Any
) -> None:
    served = _served(api, shop)[resource]

    missing = set(stripe_examples[resource]) - set(served)

    assert missing == set()
    assert served["object"] == stripe_examples[resource]["object"]


@pytest.mark.parametrize("resource", RESOURCES)
def test_served_object_id_has_stripes_prefix(
    resource: str, stripe_examples: dict[str, Any], api: httpx.Client, shop: Any
) -> None:
    served = _served(api, shop)[resource]

    prefix = stripe_examples[resource]["id"].split("_")[0]

    assert served["id"].startswith(prefix + "_")


def test_checkout_session_ids_look_like_stripes_test_ids(api: httpx.Client, shop: Any) -> None:
    session = shop.session(shop.price())

    assert session.id.startswith("cs_test_")


def test_nested_objects_keep_stripes_nesting(
    stripe_examples: dict[str, Any], api: httpx.Client, shop: Any
) -> None:
    served = _served(api, shop)

    item_price = served["item"]["price"]
    card = served["payment_method"]["card"]
    subscription_item = served["subscription"]["items"]["data"][0]

    assert set(stripe_examples["price"]) - set(item_price) == set()
    assert set(stripe_examples["payment_method"]["card"]) - set(card) == set()
    assert {"current_period_start", "current_period_end", "price"} <= set(subscription_item)
    assert served["event"]["data"]["object"]["object"] == "checkout.session"
    charge_card = served["charge"]["payment_method_details"]["card"]
    assert set(stripe_examples["charge"]["payment_method_details"]["card"]) - set(
        charge_card) == set()
    assert set(stripe_examples["charge"]["outcome"]) - set(served["charge"]["outcome"]) == set()


def test_bundled_shapes_cover_stripes_examples(stripe_examples: dict[str, Any]) -> None:
    from emulator.shapes import template

    missing = {name: set(stripe_examples[name]) - set(template(name)) for name in RESOURCES}

    assert all(not keys for keys in missing.values()), missing
