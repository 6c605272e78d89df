"""Parameters of the subscription routes, checked as Stripe checks them."""

from __future__ import annotations

from typing import Any

from emulator.errors import invalid, missing_param
from emulator.forms import Params
from emulator.state import EmulatorState

BEHAVIORS = ("allow_incomplete", "default_incomplete", "error_if_incomplete",
             "pending_if_incomplete")
STATUSES = ("active", "all", "canceled", "ended", "incomplete", "incomplete_expired",
            "past_due", "paused", "trialing", "unpaid")
MAX_ITEMS = 20


def subscription_items(state: EmulatorState, p: Params) -> list[tuple[dict[str, Any], int]]:
    """``items[i][price]`` (active, recurring, all alike) and ``items[i][quantity]`` (default 1)."""
    raw = p.array("items")
    if not raw:
        raise missing_param("items")
    if len(raw) > MAX_ITEMS:
        raise invalid(f"You can have at most {MAX_ITEMS} items on a subscription.",
                      param="items")
    items: list[tuple[dict[str, Any], int]] = []
    for i, entry in enumerate(raw):
        item = Params(entry if isinstance(entry, dict) else {}, f"items[{i}]")
        price = state.get("price", item.req("price"), param=item.path("price"))
        if not price["active"]:
            raise invalid("The price specified is inactive. This field only accepts active "
                          "prices.", param=item.path("price"))
        if price["type"] != "recurring":
            raise invalid("The price specified is set to `type=one_time` but this field only "
                          "accepts prices with `type=recurring`.", param=item.path("price"))
        if any(price["id"] == other["id"] for other, _ in items):
            raise invalid("Cannot add multiple subscription items with the same plan: "
                          f"{price['id']}", param="items")
        quantity = item.integer("quantity", minimum=1, maximum=999_999)
        items.append((price, 1 if quantity is None else quantity))
    first = items[0][0]
    for price, _ in items[1:]:
        if price["currency"] != first["currency"]:
            raise invalid("All prices on a subscription must have the same `currency`.",
                          param="items")
        if price["recurring"]["interval"] != first["recurring"]["interval"] or \
                price["recurring"]["interval_count"] != first["recurring"]["interval_count"]:
            raise invalid("All prices on a subscription must have the same "
                          "`recurring.interval` and `recurring.interval_count`.", param="items")
    return items


def attached_payment_method(state: EmulatorState, pm_id: str, customer_id: str, param: str
                            ) -> dict[str, Any]:
    """A payment method attached to the customer, or Stripe's 400 naming ``param``."""
    pm = state.get("payment_method", pm_id, param=param)
    if pm["customer"] != customer_id:
        raise invalid(f"The customer does not have a payment method with the ID {pm_id}. The "
                      "payment method must be attached to the customer.", param=param,
                      code="resource_missing")
    return pm


def merged_metadata(current: dict[str, str], p: Params) -> dict[str, str]:
    """Stripe's metadata update: ``metadata[k]=`` unsets k, ``metadata=`` unsets every key."""
    p.metadata()  # validates
    raw = p.data["metadata"] or {}
    merged = {**current, **raw} if raw else {}
    return {k: v for k, v in merged.items() if v != ""}
