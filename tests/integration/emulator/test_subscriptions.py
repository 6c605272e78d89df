"""``/v1/subscriptions``: created with a first invoice paid at once, updated, canceled."""

from __future__ import annotations

import httpx
import stripe

from tests.integration.emulator.billing_support import (
    attach,
    customer,
    events,
    price,
    subscribe,
    types,
)


def test_a_new_subscription_pays_its_first_invoice_and_becomes_active(
    client: stripe.StripeClient,
) -> None:
    monthly = price(client, 1500)
    cus, pm = customer(client)

    sub = subscribe(client, cus, pm, monthly.id, metadata={"plan": "pro"})

    assert sub.status == "active"
    invoice = client.v1.invoices.retrieve(sub.latest_invoice)  # type: ignore[arg-type]
    item = sub["items"].data[0]
    assert (invoice.status, invoice.billing_reason) == ("paid", "subscription_create")
    assert (invoice.amount_due, invoice.amount_paid, invoice.amount_remaining) == (1500, 1500, 0)
    assert (invoice.attempt_count, invoice.attempted, invoice.next_payment_attempt) == (
        1, True, None)
    assert invoice.parent.type == "subscription_details"  # type: ignore[union-attr]
    assert invoice.parent.subscription_details.subscription == sub.id  # type: ignore[union-attr]
    assert invoice.to_dict()["parent"]["subscription_details"]["metadata"] == {"plan": "pro"}
    line = invoice.lines.data[0]
    assert (line.period.start, line.period.end) == (item.current_period_start,
                                                    item.current_period_end)
    assert line.pricing.price_details.price == monthly.id  # type: ignore[union-attr]
    assert line.amount == 1500 and line.description == "1 × Pro plan"  # noqa: RUF001
    assert invoice.hosted_invoice_url and invoice.hosted_invoice_url.startswith("https://")
    assert invoice.status_transitions.paid_at and invoice.number


def test_creating_a_subscription_emits_stripes_events_in_order(client: stripe.StripeClient
                                                                 ) -> None:
    cus, pm = customer(client)

    sub = subscribe(client, cus, pm, price(client).id)

    found = [e for e in events(client) if e["type"].startswith(("customer.subscription",
                                                                "invoice.", "payment_intent",
                                                                "charge."))]
    assert types(found) == [
        "customer.subscription.created", "invoice.created", "invoice.finalized",
        "payment_intent.created", "charge.succeeded", "payment_intent.succeeded",
        "invoice.paid", "invoice.payment_succeeded", "customer.subscription.updated"]
    assert found[0]["data"]["object"]["status"] == "incomplete"
    assert found[1]["data"]["object"]["status"] == "draft"
    assert found[2]["data"]["object"]["status"] == "open"
    assert found[-1]["data"]["previous_attributes"] == {"status": "incomplete"}
    assert found[-1]["data"]["object"]["id"] == sub.id


def test_the_subscription_object_has_no_period_of_its_own_only_its_items(
    client: stripe.StripeClient, api: httpx.Client
) -> None:
    cus, pm = customer(client)
    sub = subscribe(client, cus, pm, price(client).id)

    served = api.get(f"/v1/subscriptions/{sub.id}").json()

    assert "current_period_end" not in served
    assert served["items"]["data"][0]["current_period_end"] > served["created"]
    assert served["collection_method"] == "charge_automatically"
    assert served["test_clock"] is None


def test_a_declined_first_payment_leaves_the_subscription_incomplete_and_the_invoice_open(
    client: stripe.StripeClient,
) -> None:
    cus, bad = customer(client, card="pm_card_chargeCustomerFail")

    sub = subscribe(client, cus, bad, price(client).id)

    assert sub.status == "incomplete"
    invoice = client.v1.invoices.retrieve(sub.latest_invoice)  # type: ignore[arg-type]
    assert (invoice.status, invoice.attempt_count, invoice.amount_paid) == ("open", 1, 0)
    assert "invoice.payment_failed" in types(events(client, invoice.id))


def test_an_incomplete_subscription_is_activated_by_paying_its_invoice_with_a_new_card(
    client: stripe.StripeClient,
) -> None:
    cus, bad = customer(client, card="pm_card_chargeCustomerFail")
    sub = subscribe(client, cus, bad, price(client).id)
    good = attach(client, cus, "pm_card_visa")

    paid = client.v1.invoices.pay(sub.latest_invoice,  # type: ignore[arg-type]
                                  params={"payment_method": good})

    assert (paid.status, paid.attempt_count) == ("paid", 2)
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    updated = [e for e in events(client, sub.id) if e["type"].endswith("updated")]
    assert updated[-1]["data"]["previous_attributes"] == {"status": "incomplete"}


def test_paying_with_a_declining_card_is_the_cards_402_and_counts_the_attempt(
    client: stripe.StripeClient, api: httpx.Client
) -> None:
    cus, bad = customer(client, card="pm_card_chargeCustomerFail")
    sub = subscribe(client, cus, bad, price(client).id)

    response = api.post(f"/v1/invoices/{sub.latest_invoice}/pay")

    assert response.status_code == 402
    error = response.json()["error"]
    assert (error["type"], error["code"], error["decline_code"]) == (
        "card_error", "card_declined", "generic_decline")
    assert api.get(f"/v1/invoices/{sub.latest_invoice}").json()["attempt_count"] == 2


def test_error_if_incomplete_refuses_a_declining_card_and_creates_nothing(
    client: stripe.StripeClient, api: httpx.Client
) -> None:
    cus, bad = customer(client, card="pm_card_chargeCustomerFail")
    monthly = price(client)

    response = api.post("/v1/subscriptions", data={
        "customer": cus, "items[0][price]": monthly.id, "default_payment_method": bad,
        "payment_behavior": "error_if_incomplete"})

    assert response.status_code == 402
    assert response.json()["error"]["code"] == "card_declined"
    assert client.v1.subscriptions.list(params={"status": "all"}).data == []
    assert client.v1.invoices.list().data == []


def test_default_incomplete_creates_an_open_invoice_without_trying_to_pay_it(
    client: stripe.StripeClient,
) -> None:
    cus, pm = customer(client)

    sub = subscribe(client, cus, pm, price(client).id, payment_behavior="default_incomplete")

    invoice = client.v1.invoices.retrieve(sub.latest_invoice)  # type: ignore[arg-type]
    assert (sub.status, invoice.status, invoice.attempt_count) == ("incomplete", "open", 0)
    assert client.v1.invoices.pay(invoice.id).status == "paid"
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"


def test_the_customers_default_payment_method_pays_when_the_subscription_has_none(
    client: stripe.StripeClient,
) -> None:
    cus, pm = customer(client)
    client.v1.customers.update(cus, params={"invoice_settings": {"default_payment_method": pm}})

    sub = subscribe(client, cus, None, price(client, 900).id)

    assert sub.status == "active" and sub.default_payment_method is None


def test_quantity_and_several_items_add_up_on_the_invoice(client: stripe.StripeClient) -> None:
    cus, pm = customer(client)
    one, two = price(client, 1000), price(client, 250)

    sub = client.v1.subscriptions.create(params={
        "customer": cus, "default_payment_method": pm,
        "items": [{"price": one.id, "quantity": 2}, {"price": two.id}]})

    invoice = client.v1.invoices.retrieve(sub.latest_invoice)  # type: ignore[arg-type]
    assert [line.amount for line in invoice.lines.data] == [2000, 250]
    assert invoice.total == invoice.amount_paid == 2250
