"""Subscriptions and entitlements -> the JSON documents of the contract."""

from __future__ import annotations

from typing import Any

from api.views import history_entry, iso
from domain.model.access import Entitlement
from domain.model.subscription_facts import SubscriptionView


def subscription_view(view: SubscriptionView) -> dict[str, Any]:
    return {
        "id": view.id, "kind": view.kind, "customer": view.customer, "status": view.status,
        "current_period_start": iso(view.current_period_start),
        "current_period_end": iso(view.current_period_end),
        "cancel_at_period_end": view.cancel_at_period_end,
        **({"price": view.price} if view.price is not None else {"plan": view.plan}),
        "description": view.description, "amount": view.amount, "currency": view.currency,
        "interval": view.interval, "interval_count": view.interval_count,
        "next_retry_at": iso(view.next_retry_at), "past_due_since": iso(view.past_due_since),
        "started_at": iso(view.started_at), "canceled_at": iso(view.canceled_at),
        "recovery_url": view.recovery_url,
    }


def subscription_with_history(view: SubscriptionView, history: list[Any]) -> dict[str, Any]:
    return {**subscription_view(view), "version": len(history),
            "history": [history_entry(e, own_id="subscription_id") for e in history]}


def entitlement_view(entitlement: Entitlement) -> dict[str, Any]:
    return {
        "source": entitlement.source, "kind": entitlement.kind,
        **({"price": entitlement.price} if entitlement.price is not None
           else {"plan": entitlement.plan}),
        "description": entitlement.description, "since": iso(entitlement.since),
        "until": iso(entitlement.until),
    }
