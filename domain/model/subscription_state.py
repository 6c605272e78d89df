"""A Stripe-managed subscription's state, and the fold that derives it from Stripe's events.

Like a Checkout Session's, the state is a pure function of the *set* of Stripe events
recorded, never of their arrival order. They are folded in a fixed order: Stripe's
``created``, then a rank (a subscription's own news before its invoices' at the same
second, a payment after a failure), then the event id. So:

- the subscription's fields (period, price, amount...) are those of its newest
  ``customer.subscription.*`` event: an older ``.updated`` delivered late is recorded but
  changes nothing;
- ``.deleted`` is final: whatever arrives after it, the subscription stays canceled;
- an invoice event newer than the subscription's own news moves the status on (a failed
  payment makes an active subscription past_due, a payment makes it active again and
  clears the failures before it), as Stripe's next ``.updated`` will;
- an invoice once paid stays paid: its failures, whatever their time, are old news.

Stripe's statuses are shown as the contract's four (:data:`STATUSES`): ``trialing`` counts
as active (the customer may use what they subscribed to); ``incomplete`` (the first
invoice is not paid yet) and ``paused`` (a trial ended with no way to pay) as unpaid, since
nothing is paid for; ``incomplete_expired`` as canceled (Stripe will never bill it). A
status Stripe adds later is shown as unpaid until this table knows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from domain.model.facts import Pairs
from domain.model.subscription_facts import (
    ACTIVE,
    CANCELED,
    PAST_DUE,
    UNPAID,
    InvoiceFacts,
    SubscriptionFacts,
)

# Kinds of fact: the StripeSubscription event class names.
CREATED, UPDATED, DELETED = "Created", "Updated", "Deleted"
INVOICE_PAID, INVOICE_PAYMENT_FAILED, INVOICE_ACTION_REQUIRED = (
    "InvoicePaid", "InvoicePaymentFailed", "InvoiceActionRequired")
_RANK = {CREATED: 0, UPDATED: 1, INVOICE_PAYMENT_FAILED: 2, INVOICE_ACTION_REQUIRED: 2,
         INVOICE_PAID: 3, DELETED: 4}
SUBSCRIPTION_KINDS = (CREATED, UPDATED, DELETED)
INVOICE_KINDS = (INVOICE_PAID, INVOICE_PAYMENT_FAILED, INVOICE_ACTION_REQUIRED)

#: Stripe's subscription statuses -> the contract's (see the module's docstring).
STATUSES = {
    "active": ACTIVE, "trialing": ACTIVE,
    "past_due": PAST_DUE,
    "unpaid": UNPAID, "incomplete": UNPAID, "paused": UNPAID,
    "canceled": CANCELED, "incomplete_expired": CANCELED,
}
_OWING = (PAST_DUE, UNPAID)


def contract_status(stripe_status: str) -> str:
    """The contract's status of one of Stripe's (unpaid for a status not known here)."""
    return STATUSES.get(stripe_status, UNPAID)


@dataclass(frozen=True)
class AppliedFact:
    """One Stripe event as the aggregate remembers it."""

    kind: str
    stripe_event_id: str
    stripe_created: datetime
    facts: SubscriptionFacts | InvoiceFacts

    @property
    def order(self) -> tuple[datetime, int, str]:
        return (self.stripe_created, _RANK[self.kind], self.stripe_event_id)


@dataclass(frozen=True)
class InvoiceFailure:
    """An invoice of the subscription whose payment failed (or waits for the customer to
    authenticate it) and is not paid since."""

    invoice: str
    attempt_count: int
    next_payment_attempt: datetime | None  # when Stripe retries; None: it will not
    amount_due: int
    currency: str | None
    failed_at: datetime  # Stripe's time of the event that said so
    action_required: bool = False  # invoice.payment_action_required rather than a decline
    hosted_invoice_url: str | None = None  # where the customer can pay it


@dataclass(frozen=True)
class Standing:
    """How the subscription stood right after one event (the fold of the events up to and
    including it). Each event carries it, so followers such as support act on it without
    folding, and in any delivery order."""

    status: str  # active | past_due | unpaid | canceled
    customer: str | None
    failure: InvoiceFailure | None
    past_due_since: datetime | None


@dataclass(frozen=True)
class SubscriptionState:
    """What a subscription's events add up to."""

    subscription: str = ""
    customer: str | None = None
    status: str | None = None  # the contract's; None until something was recorded
    stripe_status: str | None = None
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False
    canceled_at: datetime | None = None
    ended_at: datetime | None = None
    started_at: datetime | None = None
    price: str | None = None
    description: str | None = None
    amount: int | None = None
    currency: str | None = None
    interval: str | None = None
    interval_count: int | None = None
    latest_invoice: str | None = None
    default_payment_method: str | None = None
    metadata: Pairs = ()
    past_due_since: datetime | None = None
    last_failure: InvoiceFailure | None = None
    last_paid_invoice: str | None = None
    deleted: bool = False

    @property
    def standing(self) -> Standing:
        return Standing(self.status or UNPAID, self.customer, self.last_failure,
                        self.past_due_since)


def fold(applied: Iterable[AppliedFact]) -> SubscriptionState:
    """The subscription's state from a set of applied facts, whatever order they came in."""
    ordered = sorted(applied, key=lambda fact: fact.order)
    if not ordered:
        return SubscriptionState()
    walk = _Walk({fact.facts.invoice for fact in ordered if fact.kind == INVOICE_PAID
                  and isinstance(fact.facts, InvoiceFacts)})
    for fact in ordered:
        walk.step(fact)
    news = [fact for fact in ordered if fact.kind in SUBSCRIPTION_KINDS]
    deleted = [fact for fact in news if fact.kind == DELETED]
    if deleted:  # final, whatever came after it
        walk.status, walk.since = CANCELED, None
        walk.failing.clear()
    failure = max(walk.failing.values(), key=lambda f: (f.failed_at, f.invoice), default=None)
    common = {"subscription": _subscription_of(ordered[0]), "status": walk.status,
              "past_due_since": walk.since, "last_failure": failure,
              "last_paid_invoice": walk.paid, "deleted": bool(deleted)}
    if not news:
        invoice = ordered[-1].facts
        return SubscriptionState(**common, customer=invoice.customer,  # type: ignore[arg-type]
                                 currency=invoice.currency)
    latest = (deleted or news)[-1].facts
    assert isinstance(latest, SubscriptionFacts)
    return SubscriptionState(
        **common,  # type: ignore[arg-type]
        customer=latest.customer, stripe_status=latest.status,
        current_period_start=latest.current_period_start,
        current_period_end=latest.current_period_end,
        cancel_at_period_end=latest.cancel_at_period_end, canceled_at=latest.canceled_at,
        ended_at=latest.ended_at, started_at=latest.started_at, price=latest.price,
        description=latest.description or _description(news, latest.price),
        amount=latest.amount, currency=latest.currency, interval=latest.interval,
        interval_count=latest.interval_count, latest_invoice=latest.latest_invoice,
        default_payment_method=latest.default_payment_method, metadata=latest.metadata)


class _Walk:
    """The status, the unpaid invoices and since when, event after event. (The paid
    invoices are known before the walk: a failure of one is old news, whatever its time.)"""

    def __init__(self, settled: set[str]) -> None:
        self.settled = settled  # every paid invoice
        self.status: str | None = None
        self.since: datetime | None = None
        self.failing: dict[str, InvoiceFailure] = {}
        self.paid: str | None = None

    def step(self, fact: AppliedFact) -> None:
        facts = fact.facts
        if isinstance(facts, SubscriptionFacts):
            self.status = CANCELED if fact.kind == DELETED else contract_status(facts.status)
            if self.status in _OWING:
                self.since = self.since or fact.stripe_created
            else:  # Stripe says it is paid up (or over): nothing is owed any more
                self.since = None
                self.failing.clear()
        elif fact.kind == INVOICE_PAID:
            # Paid up: like Stripe, which makes a subscription active again once an
            # invoice is paid, whatever older ones are still open.
            self.paid = facts.invoice
            self.failing.clear()
            self.since = None
            if self.status is None or self.status in _OWING:
                self.status = ACTIVE
        elif facts.invoice not in self.settled:  # an invoice once paid stays paid
            self.failing[facts.invoice] = InvoiceFailure(
                invoice=facts.invoice, attempt_count=facts.attempt_count,
                next_payment_attempt=facts.next_payment_attempt, amount_due=facts.amount_due,
                currency=facts.currency, failed_at=fact.stripe_created,
                action_required=fact.kind == INVOICE_ACTION_REQUIRED,
                hosted_invoice_url=facts.hosted_invoice_url)
            self.since = self.since or fact.stripe_created
            if self.status is None or self.status == ACTIVE:
                self.status = PAST_DUE


def _subscription_of(fact: AppliedFact) -> str:
    facts = fact.facts
    return (facts.subscription if isinstance(facts, SubscriptionFacts)
            else facts.subscription or "")


def _description(news: list[AppliedFact], price: str | None) -> str | None:
    """The last description Stripe gave for this price (a later event may not carry it:
    its product was not expanded)."""
    for fact in reversed(news):
        facts = fact.facts
        if isinstance(facts, SubscriptionFacts) and facts.price == price and facts.description:
            return facts.description
    return None
