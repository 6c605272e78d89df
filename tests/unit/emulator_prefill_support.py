"""Arrange helpers for the emulator's prefill unit tests: an in-memory state, customers, saved
cards and Checkout Sessions made by the emulator's own builders (no HTTP)."""

from __future__ import annotations

import copy
from typing import Any

from emulator.checkout_create import create_session
from emulator.forms import Params
from emulator.objects import build_customer
from emulator.payment_methods import new_card
from emulator.state import EmulatorState

ADA_BILLING: dict[str, Any] = {
    "email": "ada@example.com", "name": "Ada Lovelace", "phone": None, "tax_id": None,
    "address": {"line1": "12 St James's Square", "line2": None, "city": "London",
                "state": None, "postal_code": "SW1Y 4JH", "country": "GB"},
}


def customer(state: EmulatorState, email: str = "ada@example.com") -> dict[str, Any]:
    """A stored customer."""
    return state.put(build_customer(email=email, name="Ada Lovelace"))


def saved_card(state: EmulatorState, owner: dict[str, Any], number: str = "4242424242424242",
               *, redisplay: str = "always", billing: dict[str, Any] | None = None,
               created: int | None = None) -> dict[str, Any]:
    """A card attached to ``owner`` with ``allow_redisplay`` and billing details."""
    pm = new_card(state, number, customer=owner["id"])
    pm.update(allow_redisplay=redisplay,
              billing_details=copy.deepcopy(ADA_BILLING if billing is None else billing))
    if created is not None:
        pm["created"] = created
    return pm


def billing(**changes: Any) -> dict[str, Any]:
    """Ada's billing details with some fields changed (``country=...`` etc. change the address)."""
    details = copy.deepcopy(ADA_BILLING)
    for name, value in changes.items():
        if name in details["address"]:
            details["address"][name] = value
        else:
            details[name] = value
    return details


def session(state: EmulatorState, owner: dict[str, Any] | None, mode: str = "payment",
            **extra: Any) -> dict[str, Any]:
    """An open Checkout Session for ``owner``; ``extra`` are more create parameters."""
    params: dict[str, Any] = {"mode": mode, "success_url": "http://127.0.0.1:4242/success",
                              **extra}
    if owner is not None:
        params["customer"] = owner["id"]
    if mode == "setup":
        params["currency"] = "usd"
    else:
        price: dict[str, Any] = {"currency": "usd", "unit_amount": "1800",
                                 "product_data": {"name": "Ledger T-shirt"}}
        if mode == "subscription":
            price["recurring"] = {"interval": "month"}
        params["line_items"] = [{"price_data": price, "quantity": "1"}]
    return create_session(state, Params(params), "http://127.0.0.1:12111")
