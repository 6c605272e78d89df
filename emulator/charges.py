"""Charges: the ``ch_...`` a confirmed card PaymentIntent creates, succeeded or failed."""

from __future__ import annotations

import copy
from typing import Any

from emulator.cards import Decline
from emulator.ids import new_id
from emulator.objects import list_object, now
from emulator.shapes import template
from emulator.state import EmulatorState

_APPROVED = {"advice_code": None, "network_advice_code": None, "network_decline_code": None,
             "network_status": "approved_by_network", "reason": None, "risk_level": "normal",
             "risk_score": 20, "seller_message": "Payment complete.", "type": "authorized"}


def _outcome(decline: Decline | None) -> dict[str, Any]:
    if decline is None:
        return dict(_APPROVED)
    generic = decline.decline_code in (None, "generic_decline")
    return {**_APPROVED, "network_status": "declined_by_network",
            "reason": decline.decline_code, "risk_score": 20, "type": "issuer_declined",
            "seller_message": "The bank did not return any further details with this decline."
            if generic else f"The bank returned the decline code `{decline.decline_code}`."}


def _card_details(pm: dict[str, Any], amount: int) -> dict[str, Any]:
    details: dict[str, Any] = template("charge_card_details")
    card = pm["card"]
    details.update({k: card[k] for k in ("brand", "checks", "country", "exp_month", "exp_year",
                                         "fingerprint", "funding", "last4")})
    details.update(network=card["brand"], three_d_secure=None, wallet=None, mandate=None,
                   amount_authorized=amount, authorization_code="123456",
                   network_transaction_id=new_id("ntx").split("_", 1)[1],
                   regulated_status="unregulated", transaction_link_id=None)
    details["overcapture"] = {"maximum_amount_capturable": amount, "status": "unavailable"}
    details["installments"] = None
    return details


def record_charge(state: EmulatorState, pi: dict[str, Any], pm: dict[str, Any],
                  decline: Decline | None) -> dict[str, Any]:
    """Store the charge of ``pi`` on card ``pm``; emit ``charge.succeeded`` / ``charge.failed``."""
    charge = template("charge")
    charge_id = new_id("ch")
    ok = decline is None
    charge.update(
        id=charge_id, amount=pi["amount"], currency=pi["currency"], created=now(),
        customer=pi["customer"], description=pi["description"],
        metadata=dict(pi["metadata"]), payment_intent=pi["id"], payment_method=pm["id"],
        receipt_email=pi.get("receipt_email"), livemode=False, status="succeeded" if ok else
        "failed", paid=ok, captured=ok, amount_captured=pi["amount"] if ok else 0,
        failure_code=decline.code if decline else None,
        failure_message=decline.message if decline else None, outcome=_outcome(decline),
        balance_transaction=new_id("txn") if ok else None, billing_details=copy.deepcopy(
            pm["billing_details"]),
        payment_method_details={"card": _card_details(pm, pi["amount"]), "type": "card"},
        refunds=list_object([], f"/v1/charges/{charge_id}/refunds", False),
        receipt_url=f"https://pay.stripe.com/receipts/payment/{charge_id}" if ok else None,
        application_fee_amount=None, fraud_details={}, on_behalf_of=None, shipping=None,
    )
    state.put(charge)
    state.emit("charge.succeeded" if ok else "charge.failed", charge)
    return charge
