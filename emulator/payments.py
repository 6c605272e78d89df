"""Payment intents: create, confirm and charge a card like Stripe's test cards do.

Events: ``payment_intent.created``; then on success ``charge.succeeded`` and
``payment_intent.succeeded``; on a decline ``charge.failed`` and ``payment_intent.payment_failed``
(and the 402 ``card_error``); when an on-session charge needs 3D Secure,
``payment_intent.requires_action`` (200, no charge). Off-session, a card that needs
authentication is a decline (``authentication_required``), never ``requires_action``.
"""

from __future__ import annotations

import copy
from typing import Any

from emulator import cards, currencies, payment_methods, shipping
from emulator.charges import record_charge
from emulator.errors import DOCS, card_error, invalid
from emulator.forms import Params
from emulator.objects_payments import build_payment_intent
from emulator.state import EmulatorState

OFF_SESSION = ("true", "false", "one_off", "recurring")


def create_payment_intent(state: EmulatorState, p: Params) -> dict[str, Any]:
    """Create (and with ``confirm=true`` charge) a payment intent."""
    amount = p.integer("amount", required=True, minimum=1)
    assert amount is not None
    currency = currencies.currency(p.req("currency"))
    currencies.check_amount(amount, currency)
    customer = p.string("customer")
    if customer:
        state.get("customer", customer, param="customer")
    confirm = p.boolean("confirm")
    off_session = p.choice("off_session", OFF_SESSION) not in (None, "false")
    if p.has("off_session") and not confirm:
        raise invalid("off_session can only be used when confirm=true.", param="off_session")
    pm = None
    if p.has("payment_method"):
        pm = payment_methods.resolve(state, p.req("payment_method"), param="payment_method")
        payment_methods.usable(state, pm)
        if pm["customer"] is not None and pm["customer"] != customer:
            raise invalid("The provided PaymentMethod belongs to a different Customer "
                          "than the one given (or none was given).", param="payment_method")
        magic = p.req("payment_method") in cards.MAGIC_PAYMENT_METHODS  # a fresh test card
        if customer and pm["customer"] is None and not magic:
            raise invalid(f"The customer does not have a payment method with the ID "
                          f"{pm['id']}. The payment method must be attached to the customer.",
                          param="payment_method")
    if confirm and pm is None:
        raise invalid("You cannot confirm this PaymentIntent because it's missing a payment "
                      "method. To confirm the PaymentIntent with a payment method, you must "
                      "provide `payment_method`.", code="payment_intent_unexpected_state")
    types = [str(t) for t in p.array("payment_method_types")] or ["card"]
    pi = build_payment_intent(amount, currency, customer=customer,
                              payment_method=pm["id"] if pm else None,
                              payment_method_types=types,
                              metadata=p.metadata(), description=p.string("description"),
                              setup_future_usage=p.string("setup_future_usage"))
    pi["receipt_email"] = p.string("receipt_email")
    pi["shipping"] = shipping.read(p.hash("shipping"))
    state.put(pi)
    state.emit("payment_intent.created", pi)
    if confirm:
        assert pm is not None
        confirm_payment_intent(state, pi, pm, off_session=off_session)
    return pi


def confirm_payment_intent(state: EmulatorState, pi: dict[str, Any], pm: dict[str, Any], *,
                           off_session: bool) -> dict[str, Any]:
    """Charge ``pm``: succeed, ask for authentication (on-session), or record the decline on the
    intent and raise Stripe's 402 carrying the intent, the payment method and the charge."""
    if pi["status"] not in ("requires_payment_method", "requires_confirmation", "requires_action"):
        raise invalid("You cannot confirm this PaymentIntent because it has a status of "
                      f"{pi['status']}.", code="payment_intent_unexpected_state")
    payment_methods.usable(state, pm)
    pi["payment_method"] = pm["id"]
    number = state.card_numbers.get(pm["id"], "")
    if not off_session and cards.needs_authentication(number, off_session=False):
        pi.update(status="requires_action", next_action={
            "type": "use_stripe_sdk", "use_stripe_sdk": {
                "type": "three_d_secure_redirect", "stripe_js": "", "source": pm["id"]}})
        state.emit("payment_intent.requires_action", pi)
        return pi
    decline = cards.charge_decline(number, off_session=off_session)
    charge = record_charge(state, pi, pm, decline)
    pi["latest_charge"] = charge["id"]
    if decline is None:
        if pm["customer"] is None:
            state.spent_payment_methods.add(pm["id"])  # used once, never saved
        pi.update(status="succeeded", amount_received=pi["amount"], last_payment_error=None,
                  next_action=None)
        state.emit("payment_intent.succeeded", pi)
        return pi
    error = {"charge": charge["id"], "code": decline.code, "decline_code": decline.decline_code,
             "doc_url": DOCS + decline.code.replace("_", "-"), "message": decline.message,
             "payment_method": copy.deepcopy(pm), "type": "card_error"}
    pi.update(status="requires_payment_method", last_payment_error=error, next_action=None,
              payment_method=None)
    state.emit("payment_intent.payment_failed", pi)
    raise card_error(decline.message, code=decline.code, decline_code=decline.decline_code,
                     extra={"charge": charge["id"], "payment_intent": copy.deepcopy(pi),
                            "payment_method": copy.deepcopy(pm)})
