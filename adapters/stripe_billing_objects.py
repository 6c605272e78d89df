"""Stripe Billing's JSON objects (``subscription``, ``invoice``) -> the domain's facts.

Both shapes changed with API version 2025-03-31 ("basil"), and a webhook endpoint gets
its events in the account's (or the endpoint's) version, so both are read:

- a subscription's period is on its items (``items.data[0].current_period_start``) now, on
  the subscription itself before;
- an invoice names its subscription in ``parent.subscription_details.subscription`` now,
  in ``subscription`` before.

As in :mod:`adapters.stripe_objects`, what the service relies on (ids, status, times,
amounts) must have the right JSON type or the object is :class:`UnreadableObject` (the
ledger parks the event); what is only nice to have (a description, metadata) is read when
it can be.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from adapters.stripe_objects import (
    UnreadableObject,
    _cents,
    _id_of,
    _loose_text,
    _pairs,
    _text,
    data_object,
)
from domain.model.facts import StripeEvent
from domain.model.subscription_facts import INTERVALS, InvoiceFacts, SubscriptionFacts


def read_subscription(event: StripeEvent) -> SubscriptionFacts:
    """The facts of the ``subscription`` a stored event is about."""
    return subscription_facts(data_object(event))


def subscription_facts(obj: dict[str, Any]) -> SubscriptionFacts:
    """The facts of a ``subscription`` object."""
    subscription = obj.get("id")
    if obj.get("object") != "subscription" or not isinstance(subscription, str) \
            or not subscription.startswith("sub_"):
        raise UnreadableObject("not a subscription with a sub_ id")
    customer, status = _id_of(obj, "customer"), _text(obj, "status")
    if customer is None or status is None:
        raise UnreadableObject(f"subscription {subscription} has no 'customer' or 'status'")
    items = _items(obj)
    first = items[0] if items else {}
    price = _price_of(first)
    recurring = _recurring(price)
    period_from = first if first.get("current_period_start") is not None else obj
    cancel_at_period_end = obj.get("cancel_at_period_end", False)
    if not isinstance(cancel_at_period_end, bool):
        raise UnreadableObject("'cancel_at_period_end' is not a boolean")
    return SubscriptionFacts(
        subscription=subscription,
        customer=customer,
        status=status,
        current_period_start=_time(period_from, "current_period_start"),
        current_period_end=_time(period_from, "current_period_end"),
        cancel_at_period_end=cancel_at_period_end,
        canceled_at=_time(obj, "canceled_at"),
        ended_at=_time(obj, "ended_at"),
        started_at=_time(obj, "start_date"),
        price=_id_of(price, "id") if price else None,
        description=_description(price),
        amount=_amount(items),
        currency=_text(price, "currency") or _text(obj, "currency"),
        interval=_interval(recurring),
        interval_count=_count(recurring, "interval_count"),
        latest_invoice=_id_of(obj, "latest_invoice"),
        default_payment_method=_id_of(obj, "default_payment_method"),
        metadata=_pairs(obj.get("metadata")),
    )


def read_invoice(event: StripeEvent) -> InvoiceFacts:
    """The facts of the ``invoice`` a stored event is about (its ``subscription`` is None
    for an invoice of no subscription)."""
    return invoice_facts(data_object(event))


def read_subscription_invoice(event: StripeEvent) -> InvoiceFacts | None:
    """The facts of a subscription's invoice; None (not ours: acknowledged, applied to
    nothing) for an invoice of no subscription, e.g. a one-off invoice."""
    facts = read_invoice(event)
    return facts if facts.subscription is not None else None


def invoice_facts(obj: dict[str, Any]) -> InvoiceFacts:
    """The facts of an ``invoice`` object."""
    invoice = obj.get("id")
    if obj.get("object") != "invoice" or not isinstance(invoice, str) \
            or not invoice.startswith("in_"):
        raise UnreadableObject("not an invoice with an in_ id")
    amount_due, amount_paid = _cents(obj, "amount_due"), _cents(obj, "amount_paid")
    if amount_due is None or amount_paid is None:
        raise UnreadableObject(f"invoice {invoice} has no 'amount_due' or 'amount_paid'")
    return InvoiceFacts(
        invoice=invoice,
        subscription=_invoice_subscription(obj),
        customer=_id_of(obj, "customer"),
        status=_text(obj, "status"),
        amount_due=amount_due,
        amount_paid=amount_paid,
        currency=_text(obj, "currency"),
        billing_reason=_loose_text(obj, "billing_reason"),
        attempt_count=_count(obj, "attempt_count") or 0,
        next_payment_attempt=_time(obj, "next_payment_attempt"),
        period_start=_time(obj, "period_start"),
        period_end=_time(obj, "period_end"),
        hosted_invoice_url=_loose_text(obj, "hosted_invoice_url"),
    )


def _invoice_subscription(obj: dict[str, Any]) -> str | None:
    """``parent.subscription_details.subscription`` (current API), else ``subscription``."""
    parent = _object(obj, "parent")
    details = _object(parent, "subscription_details") if parent else None
    found = _id_of(details, "subscription") if details else None
    subscription = found or _id_of(obj, "subscription")
    if subscription is not None and not subscription.startswith("sub_"):
        raise UnreadableObject(f"invoice names subscription {subscription!r}, not a sub_ id")
    return subscription


def _items(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The subscription's items (``items.data``); each must be an object."""
    items = obj.get("items")
    if items is None:
        return []
    data = items.get("data") if isinstance(items, dict) else None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise UnreadableObject("'items' is not a list of subscription items")
    return data


def _price_of(item: dict[str, Any]) -> dict[str, Any]:
    """The item's ``price`` (or, from older API versions, its ``plan``); {} if it has none."""
    for key in ("price", "plan"):
        price = _object(item, key)
        if price:
            return price
    return {}


def _amount(items: list[dict[str, Any]]) -> int | None:
    """Per period, every item: unit amount times quantity; None when a price has no unit
    amount (tiered or metered)."""
    total = 0
    for item in items:
        price = _price_of(item)
        unit = _cents(price, "unit_amount") if "unit_amount" in price else _cents(price, "amount")
        quantity = _count(item, "quantity")
        if unit is None:
            return None
        total += unit * (1 if quantity is None else quantity)
    return total if items else None


def _recurring(price: dict[str, Any]) -> dict[str, Any] | None:
    """A price's ``recurring`` (interval, interval_count); a legacy plan has them itself."""
    return _object(price, "recurring") if "recurring" in price else price


def _interval(recurring: dict[str, Any] | None) -> str | None:
    interval = _text(recurring, "interval") if recurring else None
    if interval is not None and interval not in INTERVALS:
        raise UnreadableObject(f"unknown billing interval {interval!r}")
    return interval


def _description(price: dict[str, Any]) -> str | None:
    """The price's nickname, or its product's name when the product is expanded."""
    nickname = _loose_text(price, "nickname")
    product = price.get("product")
    name = _loose_text(product, "name") if isinstance(product, dict) else None
    return nickname or name


def _object(obj: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, dict):
        raise UnreadableObject(f"'{key}' is a {type(value).__name__}, not an object")
    return value


def _count(obj: dict[str, Any] | None, key: str) -> int | None:
    value = obj.get(key) if obj else None
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                              or value < 0):
        raise UnreadableObject(f"'{key}' is not a count")
    return value


def _time(obj: dict[str, Any], key: str) -> datetime | None:
    """A Unix timestamp field as an aware datetime (None when null or absent)."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**37:
        raise UnreadableObject(f"'{key}' is not a Unix time")
    return datetime.fromtimestamp(value, tz=UTC)
