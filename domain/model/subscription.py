"""The Subscription aggregate: a merchant-managed subscription the service renews itself.

The service charges the customer's saved card off-session at the start of each period
(the first at creation). Every charge of a period is an *attempt* with a charge id derived
from the subscription, the period and the attempt (:func:`attempt_key`), so a period is
charged at most once per attempt whatever restarts, retries or concurrent schedulers do.
A declined renewal makes the subscription ``past_due`` and schedules retries (dunning);
a paid recovery session or a successful retry makes it ``active`` again; when the retries
run out it becomes ``unpaid`` or ``canceled``. What is due next is :meth:`next_step`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.model.base import Record
from domain.model.billing_period import Interval
from domain.model.checkout_session import FailureSummary
from domain.model.dunning import (
    CHARGE,
    END,
    EXPIRE,
    FINAL_STATUSES,
    INCOMPLETE_EXPIRES,
    RENEW,
    Dunning,
    Step,
)
from domain.model.subscription_facts import (
    ACTIVE,
    CANCELED,
    INCOMPLETE,
    MERCHANT,
    PAST_DUE,
    UNPAID,
    SubscriptionView,
)

ID_PREFIX = "msub_"
KEY_PREFIX = "sub:"  # idempotency keys of renewal charges (refused from merchants)


def new_subscription_id() -> str:
    return f"{ID_PREFIX}{uuid.uuid4().hex[:24]}"


def subscription_uuid(subscription_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"checkout-ledger:subscription:{subscription_id}")


def attempt_key(subscription_id: str, period: int, attempt: int) -> str:
    """The idempotency key of one charge attempt of one period."""
    return f"{KEY_PREFIX}{subscription_id}:{period}:{attempt}"


def attempt_of(key: str | None) -> tuple[str, int, int] | None:
    """(subscription, period, attempt) of a renewal charge's key; None for other charges."""
    if not key or not key.startswith(KEY_PREFIX):
        return None
    subscription_id, _, rest = key[len(KEY_PREFIX):].partition(":")
    period, _, attempt = rest.partition(":")
    if not (subscription_id.startswith(ID_PREFIX) and period.isdigit() and attempt.isdigit()):
        return None
    return subscription_id, int(period), int(attempt)


@dataclass(frozen=True)
class Plan:
    """What the customer pays, how often."""

    amount: int
    currency: str
    interval: str
    interval_count: int
    description: str | None = None

    @property
    def every(self) -> Interval:
        return Interval(self.interval, self.interval_count)


class Subscription(Record):
    """One merchant-managed subscription and every period, attempt and decision about it."""

    class Event(Record.Event):
        subscription_id: str

    class Started(Event):
        customer: str
        email: str | None
        plan: Plan
        payment_method: str
        anchor: datetime  # the first period starts here; every boundary is computed from it
        dunning: Dunning
        actor: str

        def apply(self, sub: Subscription) -> None:
            sub.subscription_id, sub.customer, sub.email = (
                self.subscription_id, self.customer, self.email)
            sub.plan, sub.payment_method, sub.anchor = self.plan, self.payment_method, self.anchor
            sub.dunning, sub.actor = self.dunning, self.actor

    class PeriodBegan(Event):
        period: int

        def apply(self, sub: Subscription) -> None:
            sub.period, sub.attempts, sub.failed_charges = self.period, 0, ()

    class Attempted(Event):
        """A charge of the period was asked for (before Stripe is called)."""

        period: int
        attempt: int
        charge_id: str
        due_at: datetime
        actor: str
        reason: str | None

        def apply(self, sub: Subscription) -> None:
            sub.attempts = self.attempt + 1
            sub.pending_charge, sub.pending_due_at = self.charge_id, self.due_at

    class PeriodPaid(Event):
        period: int
        charge_id: str
        via: str  # charge | recovery (the customer paid a recovery session)

        def apply(self, sub: Subscription) -> None:
            sub.paid_through, sub.status, sub.pending_charge = self.period, ACTIVE, None
            sub.past_due_since = sub.next_retry_at = sub.last_error = None

    class AttemptFailed(Event):
        period: int
        attempt: int
        charge_id: str
        error: str
        failed_at: datetime  # when the attempt was due (the schedule counts from it)
        next_retry_at: datetime | None
        recovery_url: str | None
        summary: FailureSummary

        def apply(self, sub: Subscription) -> None:
            sub.pending_charge, sub.last_error = None, self.error
            sub.failed_charges = (*sub.failed_charges, self.charge_id)
            sub.next_retry_at = self.next_retry_at
            sub.recovery_url = self.recovery_url or sub.recovery_url
            if self.period > 0:
                sub.status = PAST_DUE
                sub.past_due_since = sub.past_due_since or self.failed_at

    class RetriesExhausted(Event):
        period: int
        final_status: str  # unpaid | canceled

        def apply(self, sub: Subscription) -> None:
            sub.status, sub.next_retry_at = self.final_status, None
            if self.final_status == CANCELED:
                sub.canceled_at = self.timestamp

    class RecoveryLinkSent(Event):
        period: int
        url: str
        actor: str
        reason: str | None

        def apply(self, sub: Subscription) -> None:
            sub.recovery_url = self.url

    class CancelScheduled(Event):
        actor: str
        reason: str | None

        def apply(self, sub: Subscription) -> None:
            sub.cancel_at_period_end = True

    class Canceled(Event):
        why: str  # requested | period_end | incomplete_expired
        actor: str
        reason: str | None

        def apply(self, sub: Subscription) -> None:
            sub.status, sub.canceled_at, sub.next_retry_at = CANCELED, self.timestamp, None

    def start(self) -> None:
        self.subscription_id = self.customer = self.payment_method = self.actor = ""
        self.email: str | None = None
        self.plan: Plan | None = None
        self.anchor: datetime | None = None
        self.dunning = Dunning()
        self.status = INCOMPLETE
        self.period = 0
        self.attempts = 0  # of the current period
        self.paid_through = -1  # the last period paid
        self.pending_charge: str | None = None
        self.pending_due_at: datetime | None = None
        self.failed_charges: tuple[str, ...] = ()  # of the current period
        self.past_due_since: datetime | None = None
        self.next_retry_at: datetime | None = None
        self.last_error: str | None = None
        self.recovery_url: str | None = None
        self.cancel_at_period_end = False
        self.canceled_at: datetime | None = None

    @classmethod
    def of(cls, subscription_id: str) -> Subscription:
        return cls.blank(subscription_uuid(subscription_id))

    # Commands -----------------------------------------------------------------------------

    def begin(self, subscription_id: str, customer: str, email: str | None, plan: Plan,
              payment_method: str, anchor: datetime, dunning: Dunning, actor: str) -> None:
        assert self.is_new
        self.trigger_event(self.Started, subscription_id=subscription_id, customer=customer,
                           email=email, plan=plan, payment_method=payment_method, anchor=anchor,
                           dunning=dunning, actor=actor)

    def renew(self) -> None:
        """The paid period ended: the next one begins (charged by the next step)."""
        assert self.paid and not self.cancel_at_period_end
        self._trigger(self.PeriodBegan, period=self.period + 1)

    def attempt(self, step: Step, charge_id: str, actor: str, reason: str | None = None
                ) -> bool:
        """Record that the step's charge is asked for; False if it already was."""
        if step.period != self.period or step.attempt < self.attempts or self.paid:
            return False
        self._trigger(self.Attempted, period=self.period, attempt=step.attempt,
                      charge_id=charge_id, due_at=step.due_at, actor=actor, reason=reason)
        return True

    def record_paid(self, period: int, charge_id: str, via: str) -> bool:
        if period != self.period or self.paid or self.status == CANCELED:
            return False
        self._trigger(self.PeriodPaid, period=period, charge_id=charge_id, via=via)
        return True

    def record_failure(self, period: int, attempt: int, charge_id: str, error: str,
                       recovery_url: str | None) -> bool:
        """A declined attempt: past due, and the next retry (or the final status)."""
        if period != self.period or self.paid or attempt != self.attempts - 1 \
                or self.pending_charge != charge_id:
            return False
        due_at = self.pending_due_at or self.period_start()
        first = self.past_due_since or due_at
        retry = None if period == 0 else self.dunning.retry_after(self.attempts, first)
        self._trigger(self.AttemptFailed, period=period, attempt=attempt, charge_id=charge_id,
                      error=error, failed_at=due_at, next_retry_at=retry,
                      recovery_url=recovery_url, summary=self.summary)
        if period > 0 and retry is None:
            self._trigger(self.RetriesExhausted, period=period, final_status=self.dunning.final)
        return True

    def send_link(self, url: str, actor: str, reason: str | None) -> None:
        self._trigger(self.RecoveryLinkSent, period=self.period, url=url, actor=actor,
                      reason=reason)

    def cancel(self, at_period_end: bool, actor: str, reason: str | None) -> bool:
        """Cancel now, or at the end of the paid period; False if nothing changes."""
        if self.status == CANCELED or (at_period_end and self.cancel_at_period_end):
            return False
        if at_period_end and self.paid:
            self._trigger(self.CancelScheduled, actor=actor, reason=reason)
        else:
            self._trigger(self.Canceled, why="requested", actor=actor, reason=reason)
        return True

    def end(self, why: str) -> None:
        """The period ended with a cancel scheduled, or the first period was never paid."""
        self._trigger(self.Canceled, why=why, actor="system", reason=None)

    def _trigger(self, event_class: type[Subscription.Event], **kwargs: object) -> None:
        self.trigger_event(event_class, subscription_id=self.subscription_id, **kwargs)

    # Periods ------------------------------------------------------------------------------

    def period_start(self, period: int | None = None) -> datetime:
        assert self.plan is not None and self.anchor is not None
        return self.plan.every.boundary(self.anchor, self.period if period is None else period)

    def period_end(self, period: int | None = None) -> datetime:
        return self.period_start((self.period if period is None else period) + 1)

    @property
    def paid(self) -> bool:
        """The current period is paid."""
        return self.paid_through >= self.period

    def next_step(self) -> Step | None:
        """What is due next, and when (None: nothing, ever, unless someone acts): the one
        place that decides."""
        if self.status in FINAL_STATUSES:
            return None
        if self.pending_charge is not None:  # asked, answer not recorded: ask again (same key)
            return Step(CHARGE, self.pending_due_at or self.period_start(), self.period,
                        self.attempts - 1)
        if self.paid:
            return Step(END if self.cancel_at_period_end else RENEW, self.period_end(),
                        self.period, 0)
        if self.attempts == 0:
            return Step(CHARGE, self.period_start(), self.period, 0)
        if self.status == INCOMPLETE:
            return Step(EXPIRE, self.period_start() + INCOMPLETE_EXPIRES, self.period, 0)
        if self.next_retry_at is not None:
            return Step(CHARGE, self.next_retry_at, self.period, self.attempts)
        return None

    @property
    def summary(self) -> FailureSummary:
        """Who and how much, for support."""
        assert self.plan is not None
        return FailureSummary(self.email or self.customer, self.plan.amount, self.plan.currency,
                              self.subscription_id)

    def view(self) -> SubscriptionView:
        plan = self.plan
        assert plan is not None
        return SubscriptionView(
            id=self.subscription_id, kind=MERCHANT, customer=self.customer,
            status=UNPAID if self.status == INCOMPLETE else self.status,  # the contract's four
            current_period_start=self.period_start(), current_period_end=self.period_end(),
            cancel_at_period_end=self.cancel_at_period_end,
            plan=plan.description or f"{plan.amount} {plan.currency} every "
                                     f"{plan.every.describe()}",
            description=plan.description, amount=plan.amount, currency=plan.currency,
            interval=plan.interval, interval_count=plan.interval_count,
            next_retry_at=self.next_retry_at, past_due_since=self.past_due_since,
            started_at=self.anchor, canceled_at=self.canceled_at, recovery_url=self.recovery_url)
