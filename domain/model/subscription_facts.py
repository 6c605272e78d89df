"""Subscriptions in our own language: Stripe's objects as facts, and the one view of both kinds.

A Stripe-managed subscription (``sub_...``, made by a subscription-mode Checkout Session)
is described by Stripe's ``customer.subscription.*`` and ``invoice.*`` events, translated
into :class:`SubscriptionFacts` and :class:`InvoiceFacts`. A merchant-managed subscription
is renewed by the service itself on a saved card. Both are shown as one
:class:`SubscriptionView`, the entry of ``GET /customers/{id}/subscriptions``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.model.facts import Pairs

STRIPE, MERCHANT = "stripe", "merchant"
# The statuses the contract shows; Stripe's others are mapped onto them by the view.
ACTIVE, PAST_DUE, UNPAID, CANCELED = "active", "past_due", "unpaid", "canceled"
# A merchant-managed subscription whose first period is not paid (yet), as Stripe's own.
INCOMPLETE = "incomplete"
INTERVALS = ("day", "week", "month", "year")


@dataclass(frozen=True)
class SubscriptionFacts:
    """What a Stripe ``subscription`` object said at the time of one event.

    The period is read from the first subscription item (current API versions) or, for
    older ones, from the subscription itself; price, amount and interval from that item.
    """

    subscription: str
    customer: str
    status: str  # Stripe's: incomplete, trialing, active, past_due, unpaid, canceled, ...
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False
    canceled_at: datetime | None = None
    ended_at: datetime | None = None
    started_at: datetime | None = None
    price: str | None = None
    description: str | None = None  # the price's nickname or product name, when Stripe gives it
    amount: int | None = None  # per period, all items
    currency: str | None = None
    interval: str | None = None
    interval_count: int | None = None
    latest_invoice: str | None = None
    default_payment_method: str | None = None
    metadata: Pairs = ()


@dataclass(frozen=True)
class InvoiceFacts:
    """What a Stripe ``invoice`` object said at the time of one event.

    Its subscription is read from ``parent.subscription_details.subscription`` (current
    API versions) or ``subscription`` (older ones); None for an invoice of no subscription.
    """

    invoice: str
    subscription: str | None
    customer: str | None
    status: str | None
    amount_due: int
    amount_paid: int
    currency: str | None
    billing_reason: str | None = None
    attempt_count: int = 0
    next_payment_attempt: datetime | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None
    hosted_invoice_url: str | None = None


@dataclass(frozen=True)
class SubscriptionView:
    """One subscription, either kind, as staff and the merchant's app see it."""

    id: str
    kind: str  # stripe | merchant
    customer: str
    status: str  # active | past_due | unpaid | canceled
    current_period_start: datetime | None
    current_period_end: datetime | None
    cancel_at_period_end: bool = False
    price: str | None = None  # Stripe-managed: the price id
    plan: str | None = None  # merchant-managed: the plan's name
    description: str | None = None
    amount: int | None = None
    currency: str | None = None
    interval: str | None = None
    interval_count: int | None = None
    next_retry_at: datetime | None = None
    past_due_since: datetime | None = None
    started_at: datetime | None = None
    canceled_at: datetime | None = None
    recovery_url: str | None = None
