"""``shipping`` (a PaymentIntent's, or ``payment_intent_data[shipping]`` of a Checkout Session):
Stripe needs ``name`` and ``address[line1]``."""

from __future__ import annotations

from typing import Any

from emulator.errors import missing_param
from emulator.forms import Params
from emulator.known import Spec

ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")
SPEC: Spec = {"name": None, "phone": None, "carrier": None, "tracking_number": None,
              "address": {name: None for name in ADDRESS_FIELDS}}


def read(shipping: Params) -> dict[str, Any] | None:
    """The shipping hash as Stripe serves it, or None when not given."""
    if not shipping.data:
        return None
    address = shipping.hash("address")
    if not address.data:
        raise missing_param(shipping.path("address"))
    address.req("line1")
    return {"name": shipping.req("name"), "phone": shipping.string("phone"),
            "carrier": shipping.string("carrier"),
            "tracking_number": shipping.string("tracking_number"),
            "address": {name: address.string(name) for name in ADDRESS_FIELDS}}
