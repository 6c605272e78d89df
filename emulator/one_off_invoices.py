"""Invoices of no subscription: invoice items, a draft that gathers them, finalize, pay.

``POST /v1/invoiceitems`` makes a pending item for a customer (``invoiceitem.created``);
``POST /v1/invoices`` makes a ``draft`` (``invoice.created``) that takes the customer's pending
items when ``pending_invoice_items_behavior=include`` (Stripe's default is ``exclude``);
finalizing (``POST /v1/invoices/{id}/finalize``, or paying a draft) opens it
(``invoice.finalized``); paying charges the card like a subscription's invoice
(:func:`emulator.invoices.attempt`). Stripe finalizes a draft with ``auto_advance`` by itself
after an hour; the emulator waits for a call.
"""

from __future__ import annotations

from typing import Any

from emulator import currencies, invoices
from emulator.errors import invalid, missing_param
from emulator.forms import Params
from emulator.ids import new_id
from emulator.objects import list_object, now
from emulator.shapes import template
from emulator.state import EmulatorState

BEHAVIORS = ("include", "exclude")


def create_item(state: EmulatorState, p: Params) -> dict[str, Any]:
    """A pending ``ii_...`` of ``amount`` (and ``currency``) or of a one-time ``price``."""
    customer = state.get("customer", p.req("customer"), param="customer")
    price = None
    if p.has("price"):
        if p.has("amount"):
            raise invalid("You may only specify one of these parameters: amount, price.",
                          param="amount")
        price = state.get("price", p.req("price"), param="price")
        amount, currency = price["unit_amount"] or 0, price["currency"]
    else:
        raw_amount = p.integer("amount", minimum=-99_999_999, maximum=99_999_999)
        if raw_amount is None:
            raise missing_param("amount")
        amount = raw_amount
        currency = currencies.currency(p.req("currency"))
    quantity = p.integer("quantity", minimum=1, maximum=999_999)
    if quantity is not None and price is None:
        raise invalid("You may only specify `quantity` with `price`.", param="quantity")
    quantity = quantity or 1
    item = template("invoiceitem")
    at = now()
    item.update(id=new_id("ii"), customer=customer["id"], amount=amount * quantity,
                currency=currency, date=at, description=p.string("description"),
                metadata=p.metadata(), period={"start": at, "end": at}, quantity=quantity,
                quantity_decimal=str(quantity), net_amount=amount * quantity,
                test_clock=customer.get("test_clock"), livemode=False)
    item["pricing"] = {"type": "price_details", "unit_amount_decimal": str(amount)}
    if price is not None:
        item["pricing"]["price_details"] = {"price": price["id"], "product": price["product"]}
    invoice_id = p.string("invoice")
    if invoice_id:
        invoice = _draft(state, invoice_id, param="invoice")
        _add(invoice, item)
    state.put(item)
    state.emit("invoiceitem.created", item)
    return item


def create_invoice(state: EmulatorState, p: Params) -> dict[str, Any]:
    """A ``draft`` ``in_...`` for the customer, with its pending items if asked."""
    customer = state.get("customer", p.req("customer"), param="customer")
    behavior = p.choice("pending_invoice_items_behavior", BEHAVIORS, default="exclude")
    p.choice("collection_method", ("charge_automatically",))
    pending = [i for i in state.all("invoiceitem")
               if i["customer"] == customer["id"] and i["invoice"] is None]
    pending.reverse()  # oldest first, as they were added
    items = pending if behavior == "include" else []
    currency = p.string("currency")
    if currency is not None:
        currency = currencies.currency(currency)
        items = [i for i in items if i["currency"] == currency]
    elif items:
        currency = items[0]["currency"]
        items = [i for i in items if i["currency"] == currency]
    invoice = template("invoice")
    invoice.update(
        id=new_id("in"), created=now(), customer=customer["id"], currency=currency or "usd",
        billing_reason="manual", collection_method="charge_automatically", status="draft",
        amount_due=0, amount_paid=0, amount_remaining=0, subtotal=0, total=0,
        subtotal_excluding_tax=0, total_excluding_tax=0, attempt_count=0, attempted=False,
        customer_email=customer.get("email"), customer_name=customer.get("name"),
        customer_phone=customer.get("phone"), customer_address=customer.get("address"),
        period_start=now(), period_end=now(), test_clock=customer.get("test_clock"),
        metadata=p.metadata(), number=None, description=p.string("description"),
        auto_advance=p.boolean("auto_advance", default=True), parent=None, livemode=False,
        default_payment_method=None, default_tax_rates=[], discounts=[],
        total_discount_amounts=[], account_country="US", account_tax_ids=None,
        webhooks_delivered_at=None,
    )
    invoice["lines"] = list_object([], f"/v1/invoices/{invoice['id']}/lines", False)
    invoice["status_transitions"] = {"finalized_at": None, "marked_uncollectible_at": None,
                                     "paid_at": None, "voided_at": None}
    for item in items:
        _add(invoice, item)
    state.put(invoice)
    state.emit("invoice.created", invoice)
    return invoice


def finalize(state: EmulatorState, invoice: dict[str, Any]) -> dict[str, Any]:
    """Open a draft (``invoice.finalized``); any other status is Stripe's 400."""
    if invoice["status"] != "draft":
        raise invalid("This invoice is already finalized, you can't re-finalize a "
                      "non-draft invoice.", code="invoice_not_editable")
    _open(state, invoice, state.get("customer", invoice["customer"]))
    return invoice


def pay(state: EmulatorState, invoice: dict[str, Any], pm_id: str | None,
        off_session: bool) -> dict[str, Any]:
    """Finalize a draft, then charge ``pm_id`` (attached to the customer) or the customer's
    default payment method; a decline is the card's 402 (the attempt is counted)."""
    customer = state.get("customer", invoice["customer"])
    pm: dict[str, Any] | None
    if pm_id is not None:
        pm = state.get("payment_method", pm_id, param="payment_method")
        if pm["customer"] != customer["id"]:
            raise invalid(f"The customer does not have a payment method with the ID {pm_id}. "
                          "The payment method must be attached to the customer.",
                          param="payment_method", code="resource_missing")
    else:
        pm = state.find("payment_method",
                        customer["invoice_settings"].get("default_payment_method"))
    if invoice["status"] == "draft":
        _open(state, invoice, customer)
    if invoice["status"] == "paid":
        raise invalid("Invoice is already paid.")
    error = invoices.attempt(state, invoice, pm, off_session=off_session, automatic=False)
    if error is not None:
        raise error
    return invoice


def _open(state: EmulatorState, invoice: dict[str, Any], customer: dict[str, Any]) -> None:
    """Finalize; an invoice of nothing to pay is paid at once, as Stripe does."""
    invoices.finalize(state, invoice, customer)
    if invoice["amount_due"] == 0:
        invoice.update(status="paid", next_payment_attempt=None, auto_advance=False)
        invoice["status_transitions"]["paid_at"] = now()
        state.emit("invoice.paid", invoice)
        state.emit("invoice.payment_succeeded", invoice)


def _draft(state: EmulatorState, invoice_id: str, *, param: str) -> dict[str, Any]:
    invoice = state.get("invoice", invoice_id, param=param)
    if invoice["status"] != "draft":
        raise invalid("You can only add invoice items to draft invoices.", param=param,
                      code="invoice_not_editable")
    return invoice


def _add(invoice: dict[str, Any], item: dict[str, Any]) -> None:
    """The item becomes a line of the draft; the totals follow."""
    if invoice["lines"]["data"] and item["currency"] != invoice["currency"]:
        raise invalid("The currency of an invoice item must match its invoice's currency.",
                      param="currency")
    invoice["currency"] = item["currency"]
    item["invoice"] = invoice["id"]
    line = template("line_item")
    line.update(id=new_id("il"), invoice=invoice["id"], amount=item["amount"],
                subtotal=item["amount"], currency=item["currency"],
                description=item["description"], period=dict(item["period"]),
                quantity=item["quantity"], quantity_decimal=item["quantity_decimal"],
                pricing=dict(item["pricing"]), metadata=dict(item["metadata"]), livemode=False,
                subscription=None, discountable=True, discounts=[])
    line["parent"] = {"type": "invoice_item_details", "subscription_item_details": None,
                      "invoice_item_details": {"invoice_item": item["id"], "proration": False,
                                               "proration_details": {"credited_items": None},
                                               "subscription": None}}
    invoice["lines"]["data"].append(line)
    total = sum(each["amount"] for each in invoice["lines"]["data"])
    invoice.update(amount_due=total, amount_remaining=total, subtotal=total, total=total,
                   subtotal_excluding_tax=total, total_excluding_tax=total)
