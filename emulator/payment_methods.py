"""Payment methods: create (cards, Stripe's test tokens ``tok_visa``..., SEPA debits), update,
Stripe's test ids (``pm_card_visa``...), attach, detach."""

from __future__ import annotations

import copy
from typing import Any

from emulator import cards, sepa
from emulator.diff import previous_attributes
from emulator.errors import card_error, invalid, missing_param, no_such
from emulator.forms import Params
from emulator.objects_payments import build_card_payment_method
from emulator.prefill import REDISPLAY_VALUES
from emulator.state import EmulatorState

ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")
SPENT = ("The provided PaymentMethod was previously used with a PaymentIntent without Customer "
         "attachment, shared with a connected account without Customer attachment, or was "
         "detached from a Customer. It may not be used again. To use a PaymentMethod multiple "
         "times, you must attach it to a Customer first.")


def new_card(state: EmulatorState, number: str, *, customer: str | None = None,
             exp_month: int = 12, exp_year: int = 2034, email: str | None = None
             ) -> dict[str, Any]:
    """Store a card payment method and remember its test number."""
    pm = state.put(build_card_payment_method(number, customer=customer, exp_month=exp_month,
                                             exp_year=exp_year, email=email))
    state.card_numbers[pm["id"]] = cards.normalize(number)
    return pm


def resolve(state: EmulatorState, pm_id: str, *, param: str) -> dict[str, Any]:
    """A stored payment method, or a new one for Stripe's test ids (``pm_card_visa``...)."""
    if pm_id in cards.MAGIC_PAYMENT_METHODS:
        return new_card(state, cards.MAGIC_PAYMENT_METHODS[pm_id])
    return state.get("payment_method", pm_id, param=param)


def usable(state: EmulatorState, pm: dict[str, Any], *, param: str = "payment_method") -> None:
    """Refuse a payment method that was detached or already used without a customer."""
    if pm["id"] in state.spent_payment_methods:
        raise invalid(SPENT, param=param)


def create(state: EmulatorState, p: Params) -> dict[str, Any]:
    """``POST /v1/payment_methods``: ``type=card`` with raw test card details or a test token
    (``card[token]=tok_visa``), or ``type=sepa_debit`` with ``sepa_debit[iban]``."""
    kind = p.choice("type", ("card", "sepa_debit"))
    if kind is None:
        raise missing_param("type")
    if kind == "sepa_debit":
        pm, iban = sepa.build(p)
        state.put(pm)
        state.debit_outcomes[pm["id"]] = sepa.outcome(iban)
        pm["metadata"] = p.metadata()
        _set_details(pm, p)
        return pm
    card = p.hash("card")
    if card.has("token"):
        return _from_token(state, p, card)
    number = card.req("number")
    if not cards.is_valid(number):
        raise card_error("Your card number is incorrect.", code="incorrect_number",
                         decline_code=None, extra={"param": "card[number]"})
    exp_month = card.integer("exp_month", required=True, minimum=1, maximum=12)
    exp_year = card.integer("exp_year", required=True, minimum=2000, maximum=2100)
    assert exp_month is not None and exp_year is not None
    pm = new_card(state, number, exp_month=exp_month, exp_year=exp_year)
    pm["metadata"] = p.metadata()
    _set_details(pm, p)
    return pm


def _from_token(state: EmulatorState, p: Params, card: Params) -> dict[str, Any]:
    """``card[token]``: one of Stripe's test tokens (``tok_visa``, ``tok_chargeDeclined``...),
    which may be used any number of times; no card details beside it."""
    token = card.req("token")
    if set(card.data) - {"token"}:
        raise invalid("You cannot provide both card[token] and card details.",
                      param="card[token]")
    number = cards.MAGIC_TOKENS.get(token)
    if number is None:
        raise no_such("token", token, param="card[token]")
    pm = new_card(state, number)
    pm["metadata"] = p.metadata()
    _set_details(pm, p)
    return pm


def update(state: EmulatorState, pm: dict[str, Any], p: Params) -> dict[str, Any]:
    """``POST /v1/payment_methods/{id}``: ``allow_redisplay``, ``billing_details``, ``metadata``
    (``payment_method.updated`` with the old values of what changed)."""
    before = copy.deepcopy(pm)
    if "metadata" in p.data:
        p.metadata()  # validates
        raw = p.data["metadata"] or {}
        # Stripe: ``metadata[k]=`` unsets k; ``metadata=`` unsets every key.
        merged = {**pm["metadata"], **raw} if raw else {}
        pm["metadata"] = {k: v for k, v in merged.items() if v != ""}
    _set_details(pm, p)
    changed = previous_attributes(before, pm)
    if changed:
        state.emit("payment_method.updated", pm, changed)
    return pm


def _set_details(pm: dict[str, Any], p: Params) -> None:
    """``allow_redisplay`` and ``billing_details[...]`` (given fields only; empty unsets)."""
    redisplay = p.choice("allow_redisplay", REDISPLAY_VALUES)
    if redisplay:
        pm["allow_redisplay"] = redisplay
    details = p.hash("billing_details")
    for name in ("email", "name", "phone"):
        if name in details.data:
            pm["billing_details"][name] = details.string(name)
    address = details.hash("address")
    for name in ADDRESS_FIELDS:
        if name in address.data:
            pm["billing_details"]["address"][name] = address.string(name)


def attach(state: EmulatorState, pm: dict[str, Any], customer_id: str) -> dict[str, Any]:
    """Attach to a customer (again to the same one: no-op; to another: 400)."""
    state.get("customer", customer_id, param="customer")
    if pm["customer"] == customer_id:
        return pm
    if pm["customer"] is not None:
        raise invalid("The payment method you provided has already been attached to a "
                      "customer.", param="payment_method")
    usable(state, pm)
    pm["customer"] = customer_id
    state.emit("payment_method.attached", pm)
    return pm


def detach(state: EmulatorState, pm: dict[str, Any]) -> dict[str, Any]:
    """Detach from its customer (``payment_method.detached`` with the customer it had);
    a payment method attached to no customer is Stripe's 400. It can never be used again."""
    if pm["customer"] is None:
        raise invalid("The payment method you provided is not attached to a customer so "
                      "detachment is impossible.", param="payment_method")
    previous = {"customer": pm["customer"]}
    pm["customer"] = None
    state.spent_payment_methods.add(pm["id"])
    for customer in state.all("customer"):
        settings = customer["invoice_settings"]
        if settings.get("default_payment_method") == pm["id"]:
            settings["default_payment_method"] = None
            state.emit("customer.updated", customer,
                       {"invoice_settings": {"default_payment_method": pm["id"]}})
    state.emit("payment_method.detached", pm, previous)
    return pm
