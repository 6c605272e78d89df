"""Customers, saved cards and charges -> the JSON documents of the contract."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from api.views import history_entry, iso
from domain.apps.charges import StaffOutcome
from domain.apps.reconciliation import Counts
from domain.model.charge import UNKNOWN, Charge
from domain.model.customer import Customer, SavedCard


def card_view(saved: SavedCard, default: str | None, today: date) -> dict[str, Any]:
    card = saved.card
    return {
        "id": card.payment_method, "brand": card.brand, "last4": card.last4,
        "exp_month": card.exp_month, "exp_year": card.exp_year,
        "fingerprint": card.fingerprint, "saved_from_session": saved.saved_from_session,
        "saved_at": iso(saved.saved_at), "default": card.payment_method == default,
        "status": saved.status(today),
    }


def payment_methods_view(customer: Customer, today: date) -> dict[str, Any]:
    return {"customer": customer.customer_id, "payment_methods": [
        card_view(saved, customer.default_card, today) for saved in customer.cards.values()]}


def customer_view(customer: Customer, charges: list[Charge], today: date,
                  subscriptions: list[dict[str, Any]], entitlements: list[dict[str, Any]]
                  ) -> dict[str, Any]:
    return {
        "customer": customer.customer_id,
        "email": customer.email,
        "sessions": [{"id": s.session_id, "mode": s.mode, "linked_at": iso(s.at)}
                     for s in customer.sessions],
        **{k: v for k, v in payment_methods_view(customer, today).items() if k != "customer"},
        "charges": [charge_summary(charge) for charge in charges],
        "subscriptions": subscriptions,
        "entitlements": entitlements,
    }


def charge_summary(charge: Charge) -> dict[str, Any]:
    """``{"id", "status", "payment_intent", "failure", "recovery_url"}`` and the order."""
    asked = charge.requested
    assert asked is not None
    return {
        "id": charge.charge_id, "status": charge.status, "customer": asked.customer,
        "amount": asked.amount, "currency": asked.currency,
        "payment_method": asked.payment_method, "description": asked.description,
        "payment_intent": charge.payment_intent,
        "failure": asdict(charge.failure) if charge.failure is not None else None,
        "recovery_url": charge.recovery[1] if charge.recovery else None,
        "recovered_by": charge.recovered_by,
        "requested_at": iso(charge.created_on), "requested_by": asked.actor,
    }


def charge_view(charge: Charge, history: list[Any]) -> dict[str, Any]:
    """One charge and its history (requested, outcome, notified, recovered), oldest first."""
    return {**charge_summary(charge),
            "history": [history_entry(e, own_id="charge_id") for e in history]}


def charge_status(charge: Charge) -> int:
    """``201`` when Stripe's answer is known, ``202`` while it is not."""
    return 202 if charge.status == UNKNOWN or not charge.has_outcome else 201


def staff_outcome_view(outcome: StaffOutcome, actor: str) -> dict[str, Any]:
    """A staff action on a charge: ``{"outcome", "detail", "actor", "charge"}``."""
    return {"outcome": outcome.status, "detail": outcome.detail, "actor": actor,
            "charge": charge_summary(outcome.charge)}


def counts_view(counts: Counts) -> dict[str, Any]:
    """A reconciliation run: ``{"seen", "new", "already_known", "since", "until"}``."""
    return {"seen": counts.seen, "new": counts.new, "already_known": counts.already_known,
            "since": iso(counts.since), "until": iso(counts.until)}
