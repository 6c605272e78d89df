"""``POST /v1/setup_intents``: save a card for later, confirmed at once with ``confirm=true``.

Events: ``setup_intent.created``; when confirmed, ``setup_intent.succeeded`` (the card is attached
to the intent's customer, when it has one) or, for a card that asks for 3D Secure on-session
(``emulator.cards``), ``setup_intent.requires_action``. As :mod:`emulator.cards` says, a setup
saves decline cards too: their charges decline later.
"""

from __future__ import annotations

from typing import Any

from emulator import cards, payment_methods
from emulator.errors import invalid
from emulator.forms import Params
from emulator.objects_payments import build_setup_intent
from emulator.state import EmulatorState

TYPES = ("card",)
USAGES = ("off_session", "on_session")


def create(state: EmulatorState, p: Params) -> dict[str, Any]:
    """Create (and with ``confirm=true`` confirm) a SetupIntent."""
    customer = p.string("customer")
    if customer:
        state.get("customer", customer, param="customer")
    types = [str(t) for t in p.array("payment_method_types")] or ["card"]
    for i, kind in enumerate(types):
        if kind not in TYPES:
            raise invalid(f"Invalid payment_method_types[{i}]: must be one of {', '.join(TYPES)}",
                          param=f"payment_method_types[{i}]")
    usage = p.choice("usage", USAGES, default="off_session")
    confirm = p.boolean("confirm")
    pm = None
    if p.has("payment_method"):
        pm = payment_methods.resolve(state, p.req("payment_method"), param="payment_method")
        payment_methods.usable(state, pm)
        if pm["customer"] is not None and pm["customer"] != customer:
            raise invalid("The provided PaymentMethod belongs to a different Customer "
                          "than the one given (or none was given).", param="payment_method")
    if confirm and pm is None:
        raise invalid("You cannot confirm this SetupIntent because it's missing a payment "
                      "method. To confirm the SetupIntent with a payment method, you must "
                      "provide `payment_method`.", code="setup_intent_unexpected_state")
    seti = build_setup_intent(customer=customer, payment_method=pm["id"] if pm else None,
                              payment_method_types=types, metadata=p.metadata())
    seti.update(description=p.string("description"), usage=usage)
    state.put(seti)
    state.emit("setup_intent.created", seti)
    if confirm:
        assert pm is not None
        _confirm(state, seti, pm)
    return seti


def _confirm(state: EmulatorState, seti: dict[str, Any], pm: dict[str, Any]) -> None:
    number = state.card_numbers.get(pm["id"], "")
    if cards.needs_authentication(number, off_session=False):
        seti.update(status="requires_action", next_action={
            "type": "use_stripe_sdk", "use_stripe_sdk": {
                "type": "three_d_secure_redirect", "stripe_js": "", "source": pm["id"]}})
        state.emit("setup_intent.requires_action", seti)
        return
    if seti["customer"]:
        payment_methods.attach(state, pm, seti["customer"])
    seti.update(status="succeeded", next_action=None)
    state.emit("setup_intent.succeeded", seti)
