"""``payment_intent_data`` of a payment-mode Checkout Session: what its PaymentIntent is made with.

Stripe keeps these on the session without serving them, and copies them to the PaymentIntent the
session creates once paid: ``shipping``, ``setup_future_usage``, ``description``, ``metadata``.
"""

from __future__ import annotations

import copy
from typing import Any

from emulator import shipping
from emulator.errors import invalid
from emulator.forms import Params
from emulator.known import Spec

FUTURE_USAGE = ("on_session", "off_session")
SPEC: Spec = {"setup_future_usage": None, "description": None, "metadata": None,
              "shipping": shipping.SPEC}


def read(params: Params, mode: str) -> dict[str, Any] | None:
    """The validated ``payment_intent_data``, or None when not given."""
    data = params.hash("payment_intent_data")
    if not data.data:
        return None
    if mode != "payment":
        raise invalid(f"You can not pass `payment_intent_data` in `{mode}` mode.",
                      param="payment_intent_data")
    return {"setup_future_usage": data.choice("setup_future_usage", FUTURE_USAGE),
            "description": data.string("description"), "metadata": data.metadata(),
            "shipping": shipping.read(data.hash("shipping"))}


def apply(pi: dict[str, Any], data: dict[str, Any] | None) -> None:
    """Give a new PaymentIntent what the session was created with."""
    if not data:
        return
    if data["setup_future_usage"]:
        pi["setup_future_usage"] = data["setup_future_usage"]
    if data["description"]:
        pi["description"] = data["description"]
    pi["metadata"] = {**pi["metadata"], **data["metadata"]}
    if data.get("shipping"):
        pi["shipping"] = copy.deepcopy(data["shipping"])
