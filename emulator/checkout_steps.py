"""Steps a Checkout Session goes through once paid, shared by the card and bank-debit flows:
its PaymentIntent, subscription and completion (``checkout.session.completed``)."""

from __future__ import annotations

from typing import Any

from emulator import checkout_intent_data, subscriptions
from emulator.objects_payments import build_payment_intent
from emulator.state import EmulatorState


def email_of(state: EmulatorState, session: dict[str, Any]) -> str:
    """The email Checkout has for the session: the customer's, ``customer_email``, or a test one."""
    customer = state.find("customer", session["customer"])
    return (customer or {}).get("email") or session["customer_email"] or "customer@example.com"


def payment_intent_for(state: EmulatorState, session: dict[str, Any], pm: dict[str, Any],
                       kind: str, *, setup_future_usage: str | None = None) -> dict[str, Any]:
    """The session's PaymentIntent, created with ``pm``."""
    pi = build_payment_intent(session["amount_total"], session["currency"],
                              customer=session["customer"], payment_method=pm["id"],
                              payment_method_types=[kind], metadata={},
                              setup_future_usage=setup_future_usage)
    options = state.checkout_options.get(session["id"], {})
    checkout_intent_data.apply(pi, options.get("payment_intent_data"))
    state.put(pi)
    state.emit("payment_intent.created", pi)
    return pi


def succeed(state: EmulatorState, pi: dict[str, Any]) -> None:
    """The PaymentIntent succeeded (``payment_intent.succeeded``)."""
    pi.update(status="succeeded", amount_received=pi["amount"], last_payment_error=None,
              next_action=None)
    state.emit("payment_intent.succeeded", pi)


def subscribe(state: EmulatorState, session: dict[str, Any], customer: dict[str, Any],
              pm: dict[str, Any]) -> None:
    """An active subscription of the session's recurring prices, its first invoice paid with
    ``pm`` (the page already refused a card that declines)."""
    items = [(li["price"], li["quantity"]) for li in state.line_items[session["id"]]
             if li["price"]["type"] == "recurring"]
    sub = subscriptions.create(state, customer, items, default_payment_method=pm["id"],
                               metadata={}, off_session=False, on_page=True)
    session.update(subscription=sub["id"], invoice=sub["latest_invoice"], payment_status="paid")


def complete(state: EmulatorState, session: dict[str, Any], pm: dict[str, Any] | None = None
             ) -> dict[str, Any]:
    """Mark the session complete; ``customer_details`` come from ``pm``'s billing details."""
    customer = state.find("customer", session["customer"]) or {}
    billing = (pm or {}).get("billing_details") or {}
    address = billing.get("address") or {}
    session.update(status="complete", url=None, customer_details={
        "address": {k: address.get(k) for k in ("city", "country", "line1", "line2",
                                                "postal_code", "state")},
        # A customer's own email wins (Checkout shows it, not editable); then the card's.
        "email": customer.get("email") or billing.get("email") or email_of(state, session),
        "name": billing.get("name") or customer.get("name"),
        "phone": customer.get("phone"), "tax_exempt": "none", "tax_ids": [],
        "business_name": None, "individual_name": None,
    })
    state.emit("checkout.session.completed", session)
    return session
