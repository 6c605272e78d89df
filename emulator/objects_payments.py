"""Builders of payment methods, payment and setup intents and subscriptions (Stripe's templates)."""

from __future__ import annotations

from typing import Any

from emulator import cards, periods
from emulator.ids import new_id, random_token
from emulator.objects import list_object, now
from emulator.shapes import template


def build_card_payment_method(number: str, *, customer: str | None, email: str | None = None,
                              exp_month: int = 12, exp_year: int = 2034) -> dict[str, Any]:
    """A ``pm_...`` of type card (the caller keeps the full number in ``state.card_numbers``)."""
    obj = template("payment_method")
    digits = cards.normalize(number)
    card = obj["card"]
    card_brand = cards.brand(digits)
    card.update(brand=card_brand, display_brand=card_brand, last4=digits[-4:],
                exp_month=exp_month, exp_year=exp_year, country="US", funding="credit",
                fingerprint=cards.fingerprint(digits), generated_from=None, wallet=None,
                networks={"available": [card_brand], "preferred": None})
    card["checks"] = {"address_line1_check": None, "address_postal_code_check": None,
                      "cvc_check": "pass"}
    obj.update(id=new_id("pm"), customer=customer, created=now(), type="card",
               allow_redisplay="unspecified")
    obj["billing_details"]["email"] = email
    return obj


def build_bank_payment_method(*, customer: str | None, email: str | None) -> dict[str, Any]:
    """A ``pm_...`` of type us_bank_account (the hosted page's delayed bank debit)."""
    obj = template("payment_method")
    del obj["card"]
    obj.update(id=new_id("pm"), customer=customer, created=now(), type="us_bank_account")
    obj["us_bank_account"] = {"account_holder_type": "individual", "account_type": "checking",
                              "bank_name": "STRIPE TEST BANK", "financial_connections_account":
                              None, "fingerprint": random_token(16), "last4": "6789",
                              "networks": {"preferred": "ach", "supported": ["ach"]},
                              "routing_number": "110000000", "status_details": {}}
    obj["billing_details"]["email"] = email
    return obj


def build_payment_intent(amount: int, currency: str, *, customer: str | None,
                         payment_method: str | None, payment_method_types: list[str],
                         metadata: dict[str, str], description: str | None = None,
                         setup_future_usage: str | None = None) -> dict[str, Any]:
    """A ``pi_...`` before confirmation."""
    obj = template("payment_intent")
    id_ = new_id("pi")
    obj.update(id=id_, amount=amount, currency=currency, customer=customer,
               payment_method=payment_method, payment_method_types=payment_method_types,
               metadata=metadata, description=description, created=now(),
               client_secret=f"{id_}_secret_{random_token(25)}", amount_received=0,
               amount_capturable=0, setup_future_usage=setup_future_usage,
               status="requires_confirmation" if payment_method else "requires_payment_method")
    return obj


def build_setup_intent(*, customer: str | None, payment_method: str | None,
                       payment_method_types: list[str], metadata: dict[str, str]
                       ) -> dict[str, Any]:
    """A ``seti_...`` for saving a card for off-session use."""
    obj = template("setup_intent")
    id_ = new_id("seti")
    obj.update(id=id_, customer=customer, payment_method=payment_method, created=now(),
               payment_method_types=payment_method_types, metadata=metadata,
               client_secret=f"{id_}_secret_{random_token(32)}", usage="off_session",
               status="requires_payment_method" if payment_method is None else
               "requires_confirmation")
    return obj


def build_subscription(customer: str, items: list[tuple[dict[str, Any], int]], *,
                       default_payment_method: str | None, metadata: dict[str, str],
                       test_clock: str | None = None) -> dict[str, Any]:
    """An ``incomplete`` ``sub_...`` (until its first invoice is paid) with one item per
    (recurring price, quantity); its first period starts now (a test clock's time inside
    ``objects.frozen_at``)."""
    obj = template("subscription")
    id_ = new_id("sub")
    start = now()
    data = []
    for price, quantity in items:
        item = template("subscription_item")
        recurring = price["recurring"]
        item.update(id=new_id("si"), price=price, quantity=quantity, subscription=id_,
                    created=start, current_period_start=start,
                    current_period_end=periods.boundary(start, recurring["interval"],
                                                        recurring["interval_count"], 1),
                    metadata={}, discounts=[], tax_rates=[], plan=_plan(price))
        data.append(item)
    obj.update(id=id_, customer=customer, created=start, start_date=start,
               billing_cycle_anchor=start, currency=items[0][0]["currency"], status="incomplete",
               default_payment_method=default_payment_method, metadata=metadata,
               items=list_object(data, f"/v1/subscription_items?subscription={id_}", False),
               latest_invoice=None, discounts=[], default_tax_rates=[], test_clock=test_clock,
               collection_method="charge_automatically", days_until_due=None)
    obj["cancellation_details"] = {"comment": None, "feedback": None, "reason": None}
    return obj


def _plan(price: dict[str, Any]) -> dict[str, Any]:
    """The legacy ``plan`` view of a recurring price, still sent on subscription items."""
    plan = template("plan")
    plan.update(id=price["id"], amount=price["unit_amount"],
                amount_decimal=price["unit_amount_decimal"], currency=price["currency"],
                created=price["created"], product=price["product"], active=price["active"],
                interval=price["recurring"]["interval"],
                interval_count=price["recurring"]["interval_count"], nickname=price["nickname"])
    return plan
