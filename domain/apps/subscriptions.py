"""The subscriptions application: merchant-managed subscriptions, renewed off-session.

Each step a subscription has to take (:meth:`~domain.model.subscription.Subscription.next_step`)
is taken when the clock says it is due: by the scheduler in the worker, or at once when
staff move the test clock. Charging goes through the charges application with a key
derived from the subscription, the period and the attempt, so a restart, a retry or two
schedulers at once never charge a period twice. Outcomes that come later (an answer
Stripe lost, a recovery session paid) are followed from the charges application's log.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.persistence import IntegrityError

from domain.apps.charges import ChargeOrder, StaffOutcome
from domain.apps.processing import BatchProcessor, replay, retrying
from domain.apps.subscription_schedule import DueIndex
from domain.errors import CustomerNotFound, LedgerError, SubscriptionNotFound
from domain.model.charge import SUCCEEDED, Charge, charge_id_for
from domain.model.customer import CardNotUsable, Customer
from domain.model.dunning import CHARGE, END, EXPIRE, RENEW, Dunning, Step
from domain.model.service_clock import ServiceClock
from domain.model.subscription import (
    Plan,
    Subscription,
    attempt_key,
    attempt_of,
    new_subscription_id,
    subscription_uuid,
)
from domain.model.subscription_facts import CANCELED
from domain.ports import StripeUnavailable

SYSTEM = "system"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SubscriptionOrder:
    """A validated request to start a merchant-managed subscription."""

    customer: str
    plan: Plan
    payment_method: str | None = None


class ChargeMaker(Protocol):
    def charge(self, order: ChargeOrder, actor: str) -> Charge: ...
    def charge_of(self, charge_id: str) -> Charge | None: ...
    def new_recovery_link(self, charge_id: str, actor: str, reason: str | None
                          ) -> StaffOutcome: ...


class RecoveryCloser(Protocol):
    def close_recovery_session(self, session_id: str) -> bool: ...


class CustomerLookup(Protocol):
    def customer(self, customer_id: str) -> Customer | None: ...


class Subscriptions(BatchProcessor):
    """Starts, renews, duns and cancels merchant-managed subscriptions."""

    name = "Subscriptions"
    interests = (Charge.Succeeded, Charge.Declined, Charge.Recovered)

    def __init__(self, env: dict[str, str] | None = None, *, charges: ChargeMaker,
                 stripe: RecoveryCloser, customers: CustomerLookup, dunning: Dunning | None = None,
                 now: Callable[[], datetime] | None = None) -> None:
        super().__init__(env)
        self.charges = charges
        self.stripe = stripe
        self.customers = customers
        self.dunning = dunning or Dunning()
        self.now = now or self.clock_now
        self.due = DueIndex(self)
        self._running = threading.Lock()

    # Commands ---------------------------------------------------------------------------

    def start(self, order: SubscriptionOrder, actor: str) -> Subscription:
        """Start the subscription and charge its first period. Raises
        :class:`~domain.errors.CustomerNotFound` and
        :class:`~domain.model.customer.CardNotUsable` before anything is recorded."""
        customer = self.customers.customer(order.customer)
        if customer is None:
            raise CustomerNotFound(order.customer)
        now = self.now()
        card = customer.card_to_charge(order.payment_method, now.date()).card
        subscription_id = new_subscription_id()
        sub = Subscription.of(subscription_id)
        sub.begin(subscription_id, order.customer, customer.email, order.plan, card.payment_method,
                  now, self.dunning, actor)
        self.save(sub)
        step = sub.next_step()
        assert step is not None and step.kind == CHARGE
        self._charge(sub, step, actor)
        return self.subscription(subscription_id)

    def run_due(self, now: datetime | None = None) -> dict[str, int]:
        """Take every step due by ``now``, earliest first, until none is left; answer how
        many of each kind were taken. One caller at a time in this process; other
        processes are kept apart by the subscriptions' versions."""
        now = now or self.now()
        ran: Counter[str] = Counter()
        with self._running:
            for _ in range(10_000):
                due = self.due.before(now)
                taken = [kind for uid in due if (kind := self._take(uid, now))]
                ran.update(taken)
                if not taken:
                    break
        return dict(ran)

    def retry_now(self, subscription_id: str, actor: str, reason: str | None = None
                  ) -> Subscription:
        """Charge the unpaid period again now (staff)."""
        sub = self.subscription(subscription_id)
        if sub.paid or sub.status == CANCELED or sub.pending_charge is not None:
            raise NothingToDo(f"{subscription_id} has no unpaid period to retry "
                              f"(it is {sub.status})")
        self._charge(sub, Step(CHARGE, self.now(), sub.period, sub.attempts), actor, reason)
        return self.subscription(subscription_id)

    def cancel(self, subscription_id: str, at_period_end: bool, actor: str,
               reason: str | None) -> Subscription:
        def change() -> Subscription:
            sub = self.subscription(subscription_id)
            if sub.cancel(at_period_end, actor, reason):
                self.save(sub)
            return sub

        return retrying(change)

    def send_new_link(self, subscription_id: str, actor: str, reason: str | None
                      ) -> Subscription:
        """A new recovery Checkout Session for the unpaid period, emailed to the customer
        (through the charges application, from its last declined attempt) and recorded on
        the subscription with the staff member's name."""
        sub = self.subscription(subscription_id)
        if sub.paid or sub.status == CANCELED or not sub.failed_charges:
            raise NothingToDo(f"{subscription_id} has no declined payment to send a link for "
                              f"(it is {sub.view().status})")
        outcome = self.charges.new_recovery_link(sub.failed_charges[-1], actor, reason)
        url = outcome.charge.recovery[1] if outcome.charge.recovery else None
        if url is None:
            raise NothingToDo(f"no link sent: {outcome.detail}")

        def change() -> Subscription:
            current = self.subscription(subscription_id)
            current.send_link(url, actor, reason)
            self.save(current)
            return current

        return retrying(change)

    # Queries ------------------------------------------------------------------------------

    def subscription(self, subscription_id: str, version: int | None = None) -> Subscription:
        found: Any = None
        with contextlib.suppress(AggregateNotFoundError):
            found = self.repository.get(subscription_uuid(subscription_id), version=version)
        return _subscription(found, subscription_id, version)

    def subscription_and_history(self, subscription_id: str, version: int | None = None
                                 ) -> tuple[Subscription, list[Subscription.Event]]:
        """The subscription now, or after its ``version``-th event, with its events up to
        then: its log read once."""
        events = self.history(subscription_id)
        found = _subscription(replay(None, events[:version]), subscription_id, version)
        return found, events[:found.version]

    def history(self, subscription_id: str) -> list[Subscription.Event]:
        events = list(self.events.get(subscription_uuid(subscription_id)))
        if not events:
            raise SubscriptionNotFound(subscription_id)
        return events  # type: ignore[return-value]

    def clock_now(self) -> datetime:
        """The movable clock (``TEST_CLOCK``): frozen where it was first read or last set."""
        return self.clock().now or self.move_clock(ServiceClock.Set.create_timestamp(), SYSTEM)

    def clock(self) -> ServiceClock:
        found = self.current(ServiceClock.the_one().id)
        return found if isinstance(found, ServiceClock) else ServiceClock.the_one()

    def move_clock(self, to: datetime, actor: str) -> datetime:
        def change() -> datetime:
            clock = self.clock()
            if clock.move_to(to, actor):
                self.save(clock)
            assert clock.now is not None
            return clock.now

        return retrying(change)

    # Following the charges application -----------------------------------------------------

    def policy(self, upstream_event: Any, processing: ProcessingEvent) -> None:
        charge = self.charges.charge_of(upstream_event.charge_id)
        asked = charge.requested if charge is not None else None
        attempt = attempt_of(asked.idempotency_key if asked else None)
        if charge is None or attempt is None:
            return
        sub = self.current(subscription_uuid(attempt[0]), processing)
        if isinstance(sub, Subscription) and self._record_outcome(sub, charge, attempt[1:]):
            if sub.paid:
                self._close_links(sub, patient=False)
            processing.collect_events(sub)

    # Steps --------------------------------------------------------------------------------

    def _take(self, uid: UUID, now: datetime) -> str | None:
        """Take the subscription's due step; its kind, or None if nothing was due."""
        sub = self.current(uid)
        step = sub.next_step() if isinstance(sub, Subscription) else None
        if step is None or step.due_at > now:
            return None
        assert isinstance(sub, Subscription)
        try:
            if step.kind == RENEW:
                sub.renew()
                self.save(sub)
                next_step = sub.next_step()
                assert next_step is not None
                self._charge(sub, next_step, SYSTEM)
            elif step.kind in (END, EXPIRE):
                sub.end("period_end" if step.kind == END else "incomplete_expired")
                self.save(sub)
            elif not self._charge(sub, step, SYSTEM):
                return None
        except IntegrityError:
            return None  # another scheduler took it; the index sees its outcome next round
        return step.kind if step.kind != CHARGE or step.attempt == 0 else "retry"

    def _charge(self, sub: Subscription, step: Step, actor: str, reason: str | None = None
                ) -> bool:
        """Ask for the step's charge (once per attempt) and record its outcome if known;
        False if nothing changed (an answer still outstanding)."""
        key = attempt_key(sub.subscription_id, step.period, step.attempt)
        charge_id = charge_id_for(sub.customer, key)
        if step.attempt >= sub.attempts and sub.failed_charges and not self._close_links(sub):
            return False  # the customer paid a recovery session: its webhook says so soon
        if sub.attempt(step, charge_id, actor, reason):
            self.save(sub)
        plan = sub.plan
        assert plan is not None
        order = ChargeOrder(customer=sub.customer, amount=plan.amount, currency=plan.currency,
                            payment_method=sub.payment_method,
                            description=plan.description or f"Subscription {sub.subscription_id}",
                            idempotency_key=key)
        try:
            charge = self.charges.charge(order, actor)
        except (CardNotUsable, CustomerNotFound) as refused:
            changed = sub.record_failure(step.period, step.attempt, charge_id, str(refused), None)
        else:
            changed = self._record_outcome(sub, charge, (step.period, step.attempt))
        if changed:
            self.save(sub)
            if sub.paid:
                self._close_links(sub)
        return changed

    def _close_links(self, sub: Subscription, *, patient: bool = True) -> bool:
        """Close the recovery sessions of the period's failed attempts, so the period is
        paid once; False if the customer paid one of them. ``patient``: a Stripe outage
        is logged (the links stay open), else raised (the batch is tried again)."""
        unpaid = True
        for charge_id in sub.failed_charges:
            charge = self.charges.charge_of(charge_id)
            for session_id in charge.recovery_sessions if charge is not None else ():
                try:
                    unpaid = self.stripe.close_recovery_session(session_id) and unpaid
                except StripeUnavailable:
                    if not patient:
                        raise
                    log.warning("could not close %s of %s (Stripe unavailable)", session_id,
                                sub.subscription_id)
        return unpaid

    @staticmethod
    def _record_outcome(sub: Subscription, charge: Charge, attempt: tuple[int, int]) -> bool:
        period, number = attempt
        if charge.recovered_by is not None:
            return sub.record_paid(period, charge.charge_id, "recovery")
        if charge.status == SUCCEEDED:
            return sub.record_paid(period, charge.charge_id, "charge")
        if charge.declined:
            failure = charge.failure
            error = failure.message if failure is not None else charge.status
            return sub.record_failure(period, number, charge.charge_id, error or "declined",
                                      charge.recovery[1] if charge.recovery else None)
        return False


class NothingToDo(LedgerError):
    """The action asked for does not apply to the subscription as it stands."""



def _subscription(found: Any, subscription_id: str, version: int | None) -> Subscription:
    """``found`` if it is the subscription as asked (with its ``version``-th event)."""
    if not isinstance(found, Subscription) or found.is_new or (
            version is not None and found.version < version):
        raise SubscriptionNotFound(subscription_id)
    return found
