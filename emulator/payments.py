"""Payment methods and payment intents: attach, charge, decline like Stripe's test cards."""

from __future__ import annotations

import copy
from typing import Any

from emulator import cards
from emulator.errors import card_error, invalid, missing_param
from emulator.forms import Params
from emulator.objects_payments import build_card_payment_method, build_payment_intent
from emulator.state import EmulatorState


def new_card(state: EmulatorState, number: str, *, customer: str | None = None,
             exp_month: int = 12, exp_year: int = 2034) -> dict[str, Any]:
    """Store a card payment method and remember its test number."""
    pm = state.put(build_card_payment_method(number, customer=customer, exp_month=exp_month,
                                             exp_year=exp_year))
    state.card_numbers[pm["id"]] = cards.normalize(number)
    return pm


def resolve_payment_method(state: EmulatorState, pm_id: str, *, param: str) -> dict[str, Any]:
    """A stored payment method, or a new one for Stripe's test ids (``pm_card_visa``...)."""
    if pm_id in cards.MAGIC_PAYMENT_METHODS:
        return new_card(state, cards.MAGIC_PAYMENT_METHODS[pm_id])
    return state.get("payment_method", pm_id, param=param)


def create_payment_method(state: EmulatorState, p: Params) -> dict[str, Any]:
    """``POST /v1/payment_methods`` with ``type=card`` and raw test card details."""
    if p.choice("type", ("card",)) is None:
        raise missing_param("type")
    card = p.hash("card")
    number = card.req("number")
    if not cards.is_valid(number):
        raise card_error("Your card number is incorrect.", code="incorrect_number",
                         decline_code=None, extra={"param": "card[number]"})
    exp_month = card.integer("exp_month", required=True, minimum=1, maximum=12)
    exp_year = card.integer("exp_year", required=True, minimum=2000, maximum=2100)
    assert exp_month is not None and exp_year is not None
    return new_card(state, number, exp_month=exp_month, exp_year=exp_year)


def attach(state: EmulatorState, pm: dict[str, Any], customer_id: str) -> dict[str, Any]:
    """Attach to a customer (again to the same one: no-op; to another: 400)."""
    state.get("customer", customer_id, param="customer")
    if pm["customer"] == customer_id:
        return pm
    if pm["customer"] is not None:
        raise invalid("The payment method you provided has already been attached to a "
                      "customer.", param="payment_method")
    pm["customer"] = customer_id
    state.emit("payment_method.attached", pm)
    return pm


def create_payment_intent(state: EmulatorState, p: Params) -> dict[str, Any]:
    """Create (and with ``confirm=true`` charge) a payment intent."""
    amount = p.integer("amount", required=True, minimum=1, maximum=99_999_999)
    assert amount is not None
    currency = p.req("currency").lower()
    if currency == "usd" and amount < 50:
        raise invalid("Amount must be at least $0.50 usd", param="amount",
                      code="amount_too_small")
    customer = p.string("customer")
    if customer:
        state.get("customer", customer, param="customer")
    confirm = p.boolean("confirm")
    off_session = p.string("off_session") in ("true", "one_off", "recurring")
    if p.has("off_session") and not confirm:
        raise invalid("off_session can only be used when confirm=true.", param="off_session")
    pm = None
    if p.has("payment_method"):
        pm = resolve_payment_method(state, p.req("payment_method"), param="payment_method")
        if pm["customer"] is not None and pm["customer"] != customer:
            raise invalid("The provided PaymentMethod belongs to a different Customer "
                          "than the one given (or none was given).", param="payment_method")
    if confirm and pm is None:
        raise invalid("You cannot confirm this PaymentIntent because it's missing a payment "
                      "method.", param="payment_method", code="payment_intent_unexpected_state")
    types = [str(t) for t in p.array("payment_method_types")] or ["card"]
    pi = build_payment_intent(amount, currency, customer=customer,
                              payment_method=pm["id"] if pm else None,
                              payment_method_types=types,
                              metadata=p.metadata(), description=p.string("description"),
                              setup_future_usage=p.string("setup_future_usage"))
    pi["receipt_email"] = p.string("receipt_email")
    state.put(pi)
    state.emit("payment_intent.created", pi)
    if confirm:
        assert pm is not None
        confirm_payment_intent(state, pi, pm, off_session=off_session)
    return pi


def confirm_payment_intent(state: EmulatorState, pi: dict[str, Any], pm: dict[str, Any], *,
                           off_session: bool) -> dict[str, Any]:
    """Charge ``pm``: succeed, or record the failure on the intent and raise the 402."""
    if pi["status"] not in ("requires_payment_method", "requires_confirmation", "requires_action"):
        raise invalid(f"This PaymentIntent's status is {pi['status']}; it cannot be confirmed.",
                      code="payment_intent_unexpected_state")
    pi["payment_method"] = pm["id"]
    decline = cards.charge_decline(state.card_numbers.get(pm["id"], ""), off_session=off_session)
    if decline is None:
        pi.update(status="succeeded", amount_received=pi["amount"], last_payment_error=None,
                  next_action=None)
        state.emit("payment_intent.succeeded", pi)
        return pi
    error = {"type": "card_error", "code": decline.code, "decline_code": decline.decline_code,
             "message": decline.message, "payment_method": copy.deepcopy(pm),
             "doc_url": f"https://stripe.com/docs/error-codes/{decline.code.replace('_', '-')}"}
    if decline.code == "authentication_required":
        pi.update(status="requires_action", last_payment_error=error,
                  next_action={"type": "use_stripe_sdk", "use_stripe_sdk": {
                      "type": "three_d_secure_redirect", "source": pm["id"]}})
        state.emit("payment_intent.requires_action", pi)
    else:
        pi.update(status="requires_payment_method", last_payment_error=error, next_action=None)
        state.emit("payment_intent.payment_failed", pi)
    raise card_error(decline.message, code=decline.code, decline_code=decline.decline_code,
                     extra={"payment_intent": copy.deepcopy(pi),
                            "payment_method": copy.deepcopy(pm)})
