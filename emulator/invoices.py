"""A subscription's invoices: built, finalized and paid with the default payment method.

Each invoice is finalized as soon as it is created (Stripe waits up to an hour for a renewal's
draft; the emulator does not) and its payment is attempted at once: a PaymentIntent confirmed with
the payment method, whose charge succeeds or declines like the test card does (``emulator.cards``).
Events, in order: ``invoice.created``, ``invoice.finalized``, the PaymentIntent's and charge's
events, then ``invoice.paid`` and ``invoice.payment_succeeded``, or ``invoice.payment_failed``
(``invoice.payment_action_required`` when an on-session card asks for 3D Secure).

Retries of a failed renewal follow one fixed schedule (:data:`RETRY_DAYS`): 3 days after the first
failure, then 5 days after that, then 7; once the last retry fails ``next_payment_attempt`` is null
and the invoice stays ``open`` (the subscription's fate is :mod:`emulator.subscriptions`'s).
"""

from __future__ import annotations

import copy
from typing import Any

from emulator import payments
from emulator.errors import StripeError
from emulator.ids import new_id, random_token
from emulator.objects import list_object, now
from emulator.objects_payments import build_payment_intent
from emulator.shapes import template
from emulator.state import EmulatorState

RETRY_DAYS = (3, 5, 7)
DAY = 86_400
_DESCRIPTIONS = {"subscription_create": "Subscription creation",
                 "subscription_cycle": "Subscription update"}


def _line(state: EmulatorState, invoice_id: str, sub: dict[str, Any], item: dict[str, Any],
          period: tuple[int, int]) -> dict[str, Any]:
    """One ``il_...`` line: a subscription item for ``period``, described as Stripe does."""
    line = template("line_item")
    price = item["price"]
    product = state.find("product", price["product"]) or {"name": price["product"]}
    amount = (price["unit_amount"] or 0) * item["quantity"]
    line.update(id=new_id("il"), invoice=invoice_id, amount=amount, subtotal=amount,
                currency=price["currency"], quantity=item["quantity"],
                quantity_decimal=str(item["quantity"]), subscription=sub["id"],
                description=f"{item['quantity']} × {product['name']}", discountable=True,  # noqa: RUF001
                discounts=[], period={"start": period[0], "end": period[1]}, livemode=False)
    line["parent"] = {"type": "subscription_item_details", "invoice_item_details": None,
                      "subscription_item_details": {
                          "invoice_item": None, "proration": False,
                          "proration_details": {"credited_items": None},
                          "subscription": sub["id"], "subscription_item": item["id"]}}
    line["pricing"] = {"type": "price_details", "unit_amount_decimal": price["unit_amount_decimal"],
                       "price_details": {"price": price["id"], "product": price["product"]}}
    return line


def build_invoice(state: EmulatorState, sub: dict[str, Any], customer: dict[str, Any], reason: str,
                  billed: tuple[int, int], lines_period: tuple[int, int]) -> dict[str, Any]:
    """A draft ``in_...`` of every item of ``sub`` for ``lines_period``; ``billed`` becomes the
    invoice's own ``period_start``/``period_end``."""
    invoice = template("invoice")
    id_ = new_id("in")
    lines = [_line(state, id_, sub, item, lines_period) for item in sub["items"]["data"]]
    total = sum(line["amount"] for line in lines)
    address = customer.get("address")
    invoice.update(
        id=id_, created=now(), customer=customer["id"], currency=sub["currency"],
        billing_reason=reason, collection_method="charge_automatically", status="draft",
        amount_due=total, amount_paid=0, amount_remaining=total, subtotal=total, total=total,
        subtotal_excluding_tax=total, total_excluding_tax=total, attempt_count=0,
        attempted=False, customer_email=customer.get("email"), customer_name=customer.get("name"),
        customer_phone=customer.get("phone"), customer_address=copy.deepcopy(address),
        period_start=billed[0], period_end=billed[1], test_clock=sub["test_clock"],
        metadata={}, number=None, description=None, webhooks_delivered_at=None,
        lines=list_object(lines, f"/v1/invoices/{id_}/lines", False), livemode=False,
        default_payment_method=None, default_tax_rates=[], discounts=[],
        total_discount_amounts=[], account_country="US", account_tax_ids=None,
    )
    invoice["parent"] = {"type": "subscription_details", "quote_details": None,
                         "subscription_details": {"metadata": dict(sub["metadata"]),
                                                  "subscription": sub["id"]}}
    invoice["status_transitions"] = {"finalized_at": None, "marked_uncollectible_at": None,
                                     "paid_at": None, "voided_at": None}
    return invoice


def open_invoice(state: EmulatorState, invoice: dict[str, Any],
                 customer: dict[str, Any]) -> None:
    """Store the draft (``invoice.created``), then finalize it (``invoice.finalized``)."""
    state.put(invoice)
    state.emit("invoice.created", invoice)
    finalize(state, invoice, customer)


def finalize(state: EmulatorState, invoice: dict[str, Any], customer: dict[str, Any]) -> None:
    """A draft becomes ``open``, numbered and payable (``invoice.finalized``)."""
    sequence = customer.get("next_invoice_sequence") or 1
    customer["next_invoice_sequence"] = sequence + 1
    at = now()
    invoice.update(status="open", number=f"{customer['invoice_prefix']}-{sequence:04d}",
                   effective_at=at, starting_balance=0, ending_balance=0,
                   hosted_invoice_url="https://invoice.stripe.com/i/acct_emulator/test_"
                   + random_token(40),
                   invoice_pdf="https://pay.stripe.com/invoice/acct_emulator/test_"
                   + random_token(40) + "/pdf")
    invoice["status_transitions"]["finalized_at"] = at
    state.emit("invoice.finalized", invoice)


def attempt(state: EmulatorState, invoice: dict[str, Any], pm: dict[str, Any] | None, *,
            off_session: bool, automatic: bool, on_page: bool = False) -> StripeError | None:
    """Try to pay an open invoice with ``pm``; None when paid, else why not (the 402 or 400).

    ``on_page``: Checkout's hosted page already took the card (and its 3D Secure challenge), so
    the PaymentIntent just succeeds, as for a payment-mode session.

    ``automatic`` attempts (Stripe's own, on renewal) move ``next_payment_attempt`` along
    :data:`RETRY_DAYS`; attempts asked for through the API leave the schedule alone.
    """
    invoice.update(attempted=True, attempt_count=invoice["attempt_count"] + 1)
    error: StripeError | None
    if pm is None:
        error = StripeError(400, "invalid_request_error", "This customer has no attached payment "
                            "source or default payment method. Please consider adding a default "
                            "payment method.", code="resource_missing")
    else:
        error = _charge(state, invoice, pm, off_session=off_session, on_page=on_page)
    if error is None:
        at = now()
        invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0,
                       next_payment_attempt=None, auto_advance=False)
        invoice["status_transitions"]["paid_at"] = at
        state.emit("invoice.paid", invoice)
        state.emit("invoice.payment_succeeded", invoice)
        return None
    if automatic:
        failures = invoice["attempt_count"]
        invoice["next_payment_attempt"] = (now() + RETRY_DAYS[failures - 1] * DAY
                                           if failures <= len(RETRY_DAYS) else None)
        invoice["auto_advance"] = invoice["next_payment_attempt"] is not None
    kind = "invoice.payment_action_required" if error.code == "authentication_required" and \
        not off_session else "invoice.payment_failed"
    state.emit(kind, invoice)
    return error


def _charge(state: EmulatorState, invoice: dict[str, Any], pm: dict[str, Any], *,
            off_session: bool, on_page: bool) -> StripeError | None:
    """The invoice's PaymentIntent, confirmed with ``pm``: None when it succeeded."""
    pi = build_payment_intent(invoice["amount_remaining"], invoice["currency"],
                              customer=invoice["customer"], payment_method=pm["id"],
                              payment_method_types=["card"], metadata={},
                              description=_DESCRIPTIONS.get(invoice["billing_reason"]))
    state.put(pi)
    state.emit("payment_intent.created", pi)
    if on_page:
        pi.update(status="succeeded", amount_received=pi["amount"])
        state.emit("payment_intent.succeeded", pi)
        return None
    try:
        payments.confirm_payment_intent(state, pi, pm, off_session=off_session)
    except StripeError as exc:
        return exc
    if pi["status"] == "requires_action":
        return StripeError(402, "card_error", "This payment requires authentication.",
                           code="authentication_required")
    return None
