"""Stripe's JSON objects -> the domain's facts (from a webhook's body or the API).

Every field read is checked for its JSON type. What the service needs (ids, statuses,
amounts) must have the right type or the object is :class:`UnreadableObject` (the ledger
parks the event for a person, the gateway reports Stripe unavailable); what is only
nice to have (the email typed on the page, metadata) is read when it can be and left
out when it cannot.
"""

from __future__ import annotations

from typing import Any

import orjson

from domain.model.facts import SessionFacts, StripeEvent
from domain.model.stripe_payment_method import PaymentMethodFacts

MODES = ("payment", "setup", "subscription")


class UnreadableObject(ValueError):
    """A Stripe object that does not have the shape the service relies on."""


def data_object(event: StripeEvent) -> dict[str, Any]:
    """``data.object`` of a stored event's body."""
    try:
        body = orjson.loads(event.payload)
    except orjson.JSONDecodeError as error:
        raise UnreadableObject(f"{event.id}: body is not JSON ({error})") from None
    container = body.get("data") if isinstance(body, dict) else None
    obj = container.get("object") if isinstance(container, dict) else None
    if not isinstance(obj, dict):
        raise UnreadableObject(f"{event.id}: no object 'data.object'")
    return obj


def read_session(event: StripeEvent) -> SessionFacts:
    """The facts of the ``checkout.session`` a stored event is about."""
    return session_facts(data_object(event))


def session_facts(obj: dict[str, Any]) -> SessionFacts:
    """The facts of a ``checkout.session`` object."""
    session_id = obj.get("id")
    if obj.get("object") != "checkout.session" or not isinstance(session_id, str) \
            or not session_id.startswith("cs_"):
        raise UnreadableObject("not a checkout.session with a cs_ id")
    mode = obj.get("mode")
    if mode not in MODES:
        raise UnreadableObject(f"checkout.session {session_id} has no valid 'mode'")
    details = obj.get("customer_details")
    return SessionFacts(
        session_id=session_id,
        mode=mode,
        status=_text(obj, "status"),
        payment_status=_text(obj, "payment_status"),
        customer=_id_of(obj, "customer"),
        # The email typed on the Checkout page is in customer_details when the session
        # was not created with one.
        customer_email=_loose_text(obj, "customer_email")
        or (_loose_text(details, "email") if isinstance(details, dict) else None),
        amount_subtotal=_cents(obj, "amount_subtotal"),
        amount_total=_cents(obj, "amount_total"),
        currency=_text(obj, "currency"),
        payment_intent=_id_of(obj, "payment_intent"),
        setup_intent=_id_of(obj, "setup_intent"),
        subscription=_id_of(obj, "subscription"),
        client_reference_id=_loose_text(obj, "client_reference_id"),
        metadata=_pairs(obj.get("metadata")),
        payment_link=_id_of(obj, "payment_link"),
    )


def _text(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise UnreadableObject(f"'{key}' is a {type(value).__name__}, not a string")
    return value


def _loose_text(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) else None


def _cents(obj: dict[str, Any], key: str) -> int | None:
    value = obj.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise UnreadableObject(f"'{key}' is not an integer amount")
    return value


def _id_of(obj: dict[str, Any], key: str) -> str | None:
    """Stripe sends a related object as its id, or expanded as an object."""
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    raise UnreadableObject(f"'{key}' is neither an id nor an object with an id")


def _pairs(metadata: Any) -> tuple[tuple[str, str], ...]:
    """Stripe metadata as (key, value) pairs, exactly as sent (strings both)."""
    if not isinstance(metadata, dict):
        return ()
    return tuple((str(k), v if isinstance(v, str) else orjson.dumps(v).decode())
                 for k, v in metadata.items())


def read_detached_card(event: StripeEvent) -> PaymentMethodFacts:
    """The facts of a ``payment_method.detached`` event: the card, and the customer it was
    attached to (in ``data.previous_attributes``: the object's own is null by then)."""
    obj = data_object(event)
    payment_method = obj.get("id")
    if obj.get("object") != "payment_method" or not isinstance(payment_method, str):
        raise UnreadableObject("not a payment_method with a pm_ id")
    body = orjson.loads(event.payload)
    previous = body.get("data", {}).get("previous_attributes")
    customer = previous.get("customer") if isinstance(previous, dict) else None
    return PaymentMethodFacts(payment_method,
                              customer if isinstance(customer, str) else _id_of(obj, "customer"))
