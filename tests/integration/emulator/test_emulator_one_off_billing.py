"""What ``stripe trigger setup_intent.*``, ``invoice.*`` and ``customer.subscription.*`` create:
setup intents, a customer with ``pm_card_visa`` as default, invoice items and one-off invoices."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe


def customer(api: httpx.Client, pm: str | None = None) -> str:
    data = {"description": "(created by a test)"}
    if pm:
        data["payment_method"] = pm
    answer = api.post("/v1/customers", data=data)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


def attach(api: httpx.Client, pm: str, customer_id: str) -> str:
    answer = api.post(f"/v1/payment_methods/{pm}/attach", data={"customer": customer_id})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


def draft(api: httpx.Client, customer_id: str, amount: int = 2000) -> dict[str, Any]:
    item = api.post("/v1/invoiceitems", data={"customer": customer_id, "amount": str(amount),
                                              "currency": "usd", "description": "Consulting"})
    assert item.status_code == 200, item.text
    answer = api.post("/v1/invoices", data={"customer": customer_id,
                                            "pending_invoice_items_behavior": "include"})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_a_confirmed_setup_intent_succeeds_and_saves_the_card_to_its_customer(
        api: httpx.Client, client: stripe.StripeClient, shop: Any) -> None:
    owner = customer(api)

    answer = api.post("/v1/setup_intents", data={
        "confirm": "true", "payment_method": "pm_card_visa", "customer": owner,
        "payment_method_types[]": "card", "description": "(created by a test)"})

    assert answer.status_code == 200, answer.text
    seti = answer.json()
    assert (seti["status"], seti["description"], seti["usage"]) == (
        "succeeded", "(created by a test)", "off_session")
    assert client.v1.payment_methods.retrieve(seti["payment_method"]).customer == owner
    assert shop.event_types(type="setup_intent.*") == ["setup_intent.created",
                                                      "setup_intent.succeeded"]


@pytest.mark.parametrize(("data", "param"), [
    ({"confirm": "true"}, None),
    ({"payment_method_types[]": "ideal"}, "payment_method_types[0]"),
    ({"return_url": "http://127.0.0.1/x"}, "return_url"),
])
def test_a_setup_intent_stripe_would_refuse_is_refused(
        api: httpx.Client, data: dict[str, str], param: str | None) -> None:
    answer = api.post("/v1/setup_intents", data=data)

    assert (answer.status_code, answer.json()["error"].get("param")) == (400, param)


def test_the_same_test_card_as_payment_method_and_default_is_one_card(
        api: httpx.Client, client: stripe.StripeClient) -> None:
    answer = api.post("/v1/customers", data={
        "payment_method": "pm_card_visa",
        "invoice_settings[default_payment_method]": "pm_card_visa"})

    assert answer.status_code == 200, answer.text
    default = answer.json()["invoice_settings"]["default_payment_method"]
    assert default.startswith("pm_") and default != "pm_card_visa"
    assert client.v1.payment_methods.retrieve(default).customer == answer.json()["id"]


def test_a_draft_gathers_pending_items_and_paying_it_finalizes_and_charges(
        api: httpx.Client, shop: Any) -> None:
    owner = customer(api)
    pm = attach(api, "pm_card_visa", owner)
    invoice = draft(api, owner)

    paid = api.post(f"/v1/invoices/{invoice['id']}/pay", data={"payment_method": pm})

    assert (invoice["status"], invoice["amount_due"], invoice["parent"]) == ("draft", 2000, None)
    [line] = invoice["lines"]["data"]
    assert (line["amount"], line["parent"]["type"]) == (2000, "invoice_item_details")
    assert paid.status_code == 200, paid.text
    assert (paid.json()["status"], paid.json()["amount_paid"]) == ("paid", 2000)
    assert paid.json()["number"] is not None
    assert shop.event_types(type="invoice*") == [
        "invoiceitem.created", "invoice.created", "invoice.finalized", "invoice.paid",
        "invoice.payment_succeeded"]


def test_a_declined_one_off_invoice_is_the_cards_402_and_stays_open(
        api: httpx.Client, shop: Any) -> None:
    owner = customer(api)
    pm = attach(api, "pm_card_chargeCustomerFail", owner)
    invoice = draft(api, owner)

    answer = api.post(f"/v1/invoices/{invoice['id']}/pay", data={"payment_method": pm})

    assert (answer.status_code, answer.json()["error"]["type"]) == (402, "card_error")
    again = api.get(f"/v1/invoices/{invoice['id']}").json()
    assert (again["status"], again["attempt_count"]) == ("open", 1)
    assert shop.event_types(type="invoice.payment_failed") == ["invoice.payment_failed"]


def test_without_include_a_draft_takes_no_pending_item(api: httpx.Client) -> None:
    owner = customer(api)
    api.post("/v1/invoiceitems", data={"customer": owner, "amount": "500", "currency": "usd"})

    answer = api.post("/v1/invoices", data={"customer": owner})
    finalized = api.post(f"/v1/invoices/{answer.json()['id']}/finalize")
    again = api.post(f"/v1/invoices/{answer.json()['id']}/finalize")

    assert (answer.json()["amount_due"], answer.json()["lines"]["data"]) == (0, [])
    assert finalized.json()["status"] == "paid"  # nothing to pay: paid on finalizing
    assert (again.status_code, again.json()["error"]["code"]) == (400, "invoice_not_editable")


@pytest.mark.parametrize(("data", "param"), [
    ({"amount": "500", "currency": "usd"}, "customer"),
    ({"customer": "CUSTOMER", "currency": "usd"}, "amount"),
    ({"customer": "CUSTOMER", "amount": "500", "currency": "usd", "colour": "red"}, "colour"),
    ({"customer": "CUSTOMER", "amount": "500", "currency": "xyz"}, "currency"),
])
def test_an_invoice_item_stripe_would_refuse_is_refused(
        api: httpx.Client, data: dict[str, str], param: str) -> None:
    owner = customer(api)
    data = {k: (owner if v == "CUSTOMER" else v) for k, v in data.items()}

    answer = api.post("/v1/invoiceitems", data=data)

    assert (answer.status_code, answer.json()["error"]["param"]) == (400, param)


def test_a_payment_intent_keeps_its_shipping(api: httpx.Client) -> None:
    answer = api.post("/v1/payment_intents", data={
        "amount": "2000", "currency": "usd", "confirm": "true",
        "payment_method": "pm_card_visa", "shipping[name]": "Jenny Rosen",
        "shipping[address][line1]": "510 Townsend St"})
    missing = api.post("/v1/payment_intents", data={
        "amount": "2000", "currency": "usd", "shipping[name]": "Jenny Rosen"})

    assert answer.json()["shipping"]["address"]["line1"] == "510 Townsend St"
    assert (missing.status_code, missing.json()["error"]["param"]) == (400, "shipping[address]")
