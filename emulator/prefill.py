"""Which saved card the hosted page pre-fills for a returning customer (Stripe's rules).

Source: Stripe's "Payments for existing customers" guide, Stripe-hosted page
(https://docs.stripe.com/payments/existing-customers?platform=web&ui=stripe-hosted), section
"Prefill fields on payment page", and the ``saved_payment_method_options`` reference. Checkout
pre-fills email, name, card and billing address from a saved card when all of these hold:

- the session is in ``payment`` or ``subscription`` mode (``setup`` mode never pre-fills) and
  was created with ``customer=``;
- the customer has a saved card (only cards are pre-filled) that can still be used;
- the card's ``allow_redisplay`` is one of the session's
  ``saved_payment_method_options.allow_redisplay_filters``, ``["always"]`` by default;
- the card's ``billing_details`` hold what the session's ``billing_address_collection`` needs:
  ``auto`` (the default): ``email``, ``name`` and ``address.country``, plus
  ``address.postal_code`` for US, CA and GB; ``required``: ``email``, ``name`` and the whole
  address (the emulator reads "all address fields" as every field Checkout's address form
  requires: ``line1``, ``city``, ``postal_code``, ``country``, and ``state`` for US and CA;
  ``line2`` is optional everywhere);
- the session is less than 30 minutes old: the prefill is gone after that (the page then shows
  the empty card form, as for a new customer).

Among several eligible cards: in payment mode the newest; in subscription mode the customer's
default payment method (``invoice_settings.default_payment_method``) if it is an eligible card,
otherwise the newest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator.errors import invalid
from emulator.forms import Params
from emulator.state import EmulatorState

PREFILL_SECONDS = 30 * 60
REDISPLAY_VALUES = ("always", "limited", "unspecified")
DEFAULT_FILTERS = ("always",)
BILLING_COLLECTION = ("auto", "required")
POSTAL_CODE_COUNTRIES = frozenset({"US", "CA", "GB"})
STATE_COUNTRIES = frozenset({"US", "CA"})
REQUIRED_ADDRESS = ("line1", "city", "postal_code", "country")


def saved_options(params: Params, customer: str | None) -> dict[str, Any] | None:
    """``saved_payment_method_options`` as the session serves it, validated like Stripe.

    With a customer and no filters given, Stripe serves the default filters ``["always"]``;
    with neither a customer nor the parameter, the field is null.
    """
    raw = params.hash("saved_payment_method_options")
    filters = [str(value) for value in raw.array("allow_redisplay_filters")]
    for i, value in enumerate(filters):
        if value not in REDISPLAY_VALUES:
            name = f"{raw.path('allow_redisplay_filters')}[{i}]"
            raise invalid(f"Invalid {name}: must be one of {', '.join(REDISPLAY_VALUES)}",
                          param=name)
    save = raw.choice("payment_method_save", ("disabled", "enabled"))
    remove = raw.choice("payment_method_remove", ("disabled", "enabled"))
    if not raw.data and not customer:
        return None
    return {"allow_redisplay_filters": filters or (list(DEFAULT_FILTERS) if customer else None),
            "payment_method_remove": remove, "payment_method_save": save}


def redisplay_filters(session: Mapping[str, Any]) -> tuple[str, ...]:
    """The session's ``allow_redisplay_filters``, Stripe's default ``["always"]`` when unset."""
    options = session.get("saved_payment_method_options") or {}
    filters = options.get("allow_redisplay_filters")
    return tuple(filters) if filters else DEFAULT_FILTERS


def satisfies(billing: Mapping[str, Any], collection: str | None) -> bool:
    """Whether ``billing_details`` hold what ``billing_address_collection`` asks for."""
    address = billing.get("address") or {}
    if not billing.get("email") or not billing.get("name") or not address.get("country"):
        return False
    country = str(address["country"]).upper()
    if collection == "required":
        wanted = REQUIRED_ADDRESS + (("state",) if country in STATE_COUNTRIES else ())
        return all(address.get(field) for field in wanted)
    return country not in POSTAL_CODE_COUNTRIES or bool(address.get("postal_code"))


def within_window(session: Mapping[str, Any], now: int) -> bool:
    """True during the 30 minutes after the session was created."""
    return now < int(session["created"]) + PREFILL_SECONDS


def eligible(state: EmulatorState, session: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The customer's saved cards the session may show, newest first."""
    customer = session.get("customer")
    if not customer:
        return []
    filters = redisplay_filters(session)
    with state.lock:
        cards = [pm for pm in state.all("payment_method")
                 if pm["customer"] == customer and pm["type"] == "card"
                 and pm["id"] not in state.spent_payment_methods
                 and (pm.get("allow_redisplay") or "unspecified") in filters
                 and satisfies(pm["billing_details"], session.get("billing_address_collection"))]
    # ``state.all`` is newest-stored first; a stable sort keeps that order within one second.
    return sorted(cards, key=lambda pm: int(pm["created"]), reverse=True)


def choose(state: EmulatorState, session: Mapping[str, Any], now: int) -> dict[str, Any] | None:
    """The saved card the hosted page pre-fills for ``session`` at ``now``, or None."""
    if session.get("status") != "open" or session.get("mode") not in ("payment", "subscription"):
        return None
    if not within_window(session, now):
        return None
    cards = eligible(state, session)
    if not cards:
        return None
    if session["mode"] == "subscription":
        customer = state.find("customer", session["customer"]) or {}
        default = (customer.get("invoice_settings") or {}).get("default_payment_method")
        for pm in cards:
            if pm["id"] == default:
                return pm
    return cards[0]
