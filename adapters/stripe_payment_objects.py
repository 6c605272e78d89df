"""Stripe's customers, card PaymentMethods and setup sessions -> the domain's payment facts.

Like :mod:`adapters.stripe_objects`: what the service needs (ids, card details) must have
the right JSON type or the object is :class:`UnreadableObject`; the rest is read loosely.
"""

from __future__ import annotations

from typing import Any

from adapters.stripe_objects import UnreadableObject, session_facts
from domain.model.payment_facts import Card, SetupResult, StripeCustomer


class NotACard(ValueError):
    """A PaymentMethod of another type (a bank account...): the service saves cards only."""


def card_of(pm: dict[str, Any]) -> Card:
    """A card PaymentMethod (``pm_...``) as a :class:`Card`."""
    pm_id = _required_text(pm, "id")
    if pm.get("type") != "card" or not isinstance(pm.get("card"), dict):
        raise NotACard(f"payment method {pm_id} is a {pm.get('type')}, not a card")
    card = pm["card"]
    return Card(
        payment_method=pm_id,
        brand=_required_text(card, "brand"),
        last4=_required_text(card, "last4"),
        exp_month=_required_int(card, "exp_month"),
        exp_year=_required_int(card, "exp_year"),
        fingerprint=_required_text(card, "fingerprint"),
        customer=id_of(pm.get("customer")),
    )


def setup_result(session: dict[str, Any]) -> SetupResult:
    """A session retrieved with ``setup_intent.payment_method`` expanded."""
    facts = session_facts(session)
    intent = session.get("setup_intent")
    pm = intent.get("payment_method") if isinstance(intent, dict) else None
    if isinstance(pm, str):
        raise UnreadableObject(f"{facts.session_id}: setup_intent.payment_method not expanded")
    return SetupResult(
        session_id=facts.session_id,
        status=facts.status,
        customer=facts.customer,
        customer_email=facts.customer_email,
        setup_intent=facts.setup_intent,
        card=card_of(pm) if isinstance(pm, dict) else None,
    )


def stripe_customer(customer: dict[str, Any]) -> StripeCustomer:
    """A (not deleted) Customer."""
    settings = customer.get("invoice_settings")
    default = settings.get("default_payment_method") if isinstance(settings, dict) else None
    email = customer.get("email")
    return StripeCustomer(id=_required_text(customer, "id"),
                          email=email if isinstance(email, str) else None,
                          default_payment_method=id_of(default))


def id_of(value: Any) -> str | None:
    """A related object's id, whether Stripe sent the id or the expanded object."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    raise UnreadableObject("a related object is neither an id nor an object with an id")


def _required_text(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise UnreadableObject(f"'{key}' is missing or not a string")
    return value


def _required_int(obj: dict[str, Any], key: str) -> int:
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise UnreadableObject(f"'{key}' is missing or not an integer")
    return value
