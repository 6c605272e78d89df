"""``POST /customers/{id}/subscriptions`` and ``.../cancel``: JSON bodies, checked first."""

from __future__ import annotations

from typing import Any

from api.charge_orders import CURRENCIES, MAX_AMOUNT, MAX_TEXT, MIN_AMOUNT, text_field
from api.params import PAYMENT_METHOD_ID, BadParameter
from domain.apps.subscriptions import SubscriptionOrder
from domain.model.billing_period import INTERVALS, Interval
from domain.model.subscription import Plan

FIELDS = ("amount", "currency", "interval", "interval_count", "payment_method", "description")


def subscription_order(customer: str, body: dict[str, Any]) -> SubscriptionOrder:
    """The order the body asks for; :class:`BadParameter` naming the first problem."""
    _only(body, FIELDS)
    currency = body.get("currency")
    if not isinstance(currency, str) or currency.lower() not in CURRENCIES:
        raise BadParameter("currency must be a three-letter ISO code Stripe settles in, "
                           "e.g. \"usd\"")
    currency = currency.lower()
    amount, low = body.get("amount"), MIN_AMOUNT.get(currency, 1)
    if not isinstance(amount, int) or isinstance(amount, bool) or not low <= amount <= MAX_AMOUNT:
        raise BadParameter(f"amount must be an integer from {low} to {MAX_AMOUNT} in the "
                           f"smallest unit of {currency} (e.g. cents)")
    interval = body.get("interval")
    if interval not in INTERVALS:
        raise BadParameter(f"interval must be one of {', '.join(INTERVALS)}")
    count = body.get("interval_count", 1)
    if not isinstance(count, int) or isinstance(count, bool):
        raise BadParameter("interval_count must be an integer")
    try:
        Interval(interval, count)
    except ValueError as error:
        raise BadParameter(str(error)) from None
    payment_method = text_field(body, "payment_method", 255)
    if payment_method is not None and not PAYMENT_METHOD_ID.fullmatch(payment_method):
        raise BadParameter("payment_method must be a saved card's id (pm_...)")
    plan = Plan(amount, currency, interval, count, text_field(body, "description", MAX_TEXT))
    return SubscriptionOrder(customer, plan, payment_method)


def cancel_order(body: dict[str, Any]) -> tuple[bool, str | None]:
    """(at_period_end, reason)."""
    _only(body, ("at_period_end", "reason"))
    at_period_end = body.get("at_period_end", False)
    if not isinstance(at_period_end, bool):
        raise BadParameter("at_period_end must be true or false")
    return at_period_end, text_field(body, "reason", MAX_TEXT)


def reason_only(body: dict[str, Any]) -> str | None:
    """The optional reason of a staff action."""
    _only(body, ("reason",))
    return text_field(body, "reason", MAX_TEXT)


def _only(body: dict[str, Any], fields: tuple[str, ...]) -> None:
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise BadParameter(f"unknown field(s): {', '.join(unknown)}")
