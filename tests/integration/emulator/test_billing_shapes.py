"""Invoices, their lines and test clocks carry Stripe's keys; Checkout links its first invoice."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from emulator.shapes_build import REMOVED
from tests.integration.emulator.billing_support import clock, customer, price, subscribe, ts
from tests.support.webhooks import fixtures


@pytest.fixture(scope="module")
def stripe_examples() -> dict[str, Any]:
    return fixtures()


def _served(api: httpx.Client, client: stripe.StripeClient) -> dict[str, dict[str, Any]]:
    made = clock(client, ts(2027, 1, 1))
    cus, pm = customer(client, made.id)
    sub = subscribe(client, cus, pm, price(client).id)
    invoice = api.get(f"/v1/invoices/{sub.latest_invoice}").json()
    return {"invoice": invoice, "line_item": invoice["lines"]["data"][0],
            "test_helpers.test_clock": api.get(f"/v1/test_helpers/test_clocks/{made.id}").json(),
            "deleted_test_helpers.test_clock": api.delete(
                f"/v1/test_helpers/test_clocks/{made.id}").json()}


@pytest.mark.parametrize("resource", ["invoice", "line_item", "test_helpers.test_clock",
                                      "deleted_test_helpers.test_clock"])
def test_served_objects_have_every_key_of_stripes_example(
    resource: str, stripe_examples: dict[str, Any], api: httpx.Client,
    client: stripe.StripeClient
) -> None:
    served = _served(api, client)[resource]
    expected = set(stripe_examples[resource]) - set(REMOVED.get(resource, []))

    assert expected - set(served) == set()
    assert served["object"] == stripe_examples[resource]["object"]
    assert served["id"].split("_")[0] == stripe_examples[resource]["id"].split("_")[0]


def test_the_invoice_names_its_subscription_only_under_parent(
    api: httpx.Client, client: stripe.StripeClient
) -> None:
    invoice = _served(api, client)["invoice"]

    assert "subscription" not in invoice
    assert set(invoice["parent"]) == {"type", "quote_details", "subscription_details"}
    assert set(invoice["status_transitions"]) == {"finalized_at", "marked_uncollectible_at",
                                                  "paid_at", "voided_at"}
    line = invoice["lines"]["data"][0]
    assert line["parent"]["type"] == "subscription_item_details"
    assert line["parent"]["subscription_item_details"]["subscription"] == line["subscription"]


def test_an_invoice_expands_its_customer_and_subscription(api: httpx.Client,
                                                          client: stripe.StripeClient) -> None:
    cus, pm = customer(client)
    sub = subscribe(client, cus, pm, price(client).id)

    served = api.get(f"/v1/invoices/{sub.latest_invoice}", params={
        "expand[]": ["customer", "parent.subscription_details.subscription"]}).json()

    assert served["customer"]["id"] == cus
    assert served["parent"]["subscription_details"]["subscription"]["id"] == sub.id


def test_a_paid_subscription_checkout_links_its_paid_first_invoice(
    client: stripe.StripeClient, shop: Any
) -> None:
    session = shop.session(shop.price(1500, interval="month"), mode="subscription")

    shop.pay(session.id, card="4242424242424242").raise_for_status()

    done = client.v1.checkout.sessions.retrieve(session.id)
    sub = client.v1.subscriptions.retrieve(done.subscription)  # type: ignore[arg-type]
    invoice = client.v1.invoices.retrieve(done.invoice)  # type: ignore[arg-type]
    assert done.invoice == sub.latest_invoice and done.payment_intent is None
    assert (invoice.status, invoice.billing_reason, invoice.amount_paid) == (
        "paid", "subscription_create", 1500)
    assert sub.status == "active"
    order = shop.event_types()
    assert order.index("customer.subscription.created") < order.index("invoice.paid") < \
        order.index("checkout.session.completed")


def test_a_checkout_for_a_customer_on_a_clock_subscribes_in_the_clocks_time(
    client: stripe.StripeClient, shop: Any
) -> None:
    made = clock(client, ts(2027, 1, 31))
    cus = client.v1.customers.create(params={"test_clock": made.id}).id
    session = shop.session(shop.price(1500, interval="month"), mode="subscription", customer=cus)

    shop.pay(session.id, card="4242424242424242").raise_for_status()

    sub_id = client.v1.checkout.sessions.retrieve(session.id).subscription
    sub = client.v1.subscriptions.retrieve(sub_id)  # type: ignore[arg-type]
    assert (sub.test_clock, sub.created) == (made.id, ts(2027, 1, 31))
    assert sub["items"].data[0].current_period_end == ts(2027, 2, 28)


def test_expiring_a_completed_session_is_refused_with_stripes_message(
    api: httpx.Client, shop: Any
) -> None:
    session = shop.session(shop.price())
    shop.pay(session.id, card="4242424242424242").raise_for_status()

    response = api.post(f"/v1/checkout/sessions/{session.id}/expire")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith(
        'Only Checkout Sessions with a status in ["open"] can be expired.')
    assert api.post("/v1/checkout/sessions/cs_test_missing/expire").status_code == 404
    assert api.post(f"/v1/checkout/sessions/{session.id}/expire",
                    data={"reason": "x"}).json()["error"]["code"] == "parameter_unknown"
