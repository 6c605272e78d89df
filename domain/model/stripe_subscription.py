"""The StripeSubscription aggregate: what Stripe's events said about one subscription.

A subscription-mode Checkout Session makes a Stripe Subscription (``sub_...``); Stripe
then tells its story through ``customer.subscription.*`` and ``invoice.*`` events. The
ledger records each on the subscription's aggregate (one per ``sub_...``), the same
Stripe event never twice. Each event keeps the facts Stripe sent (other applications
follow them from the ledger) and how the subscription stood after it
(:class:`~domain.model.subscription_state.Standing`). The state is a fold over the set of
events, so delivery order never matters (see :mod:`domain.model.subscription_state`).
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.model.base import Record
from domain.model.facts import StripeEvent
from domain.model.subscription_facts import (
    STRIPE,
    UNPAID,
    InvoiceFacts,
    SubscriptionFacts,
    SubscriptionView,
)
from domain.model.subscription_state import AppliedFact, Standing, SubscriptionState, fold


def subscription_uuid(subscription: str) -> UUID:
    """The aggregate id of a Stripe subscription, derived from its ``sub_...`` id."""
    return uuid5(NAMESPACE_URL, f"stripe:subscription:{subscription}")


def object_uuid(object_id: str) -> UUID | None:
    """The aggregate an event's ``data.object`` id names, if it names a subscription (an
    invoice's does not: its subscription is inside the object)."""
    return subscription_uuid(object_id) if object_id.startswith("sub_") else None


class StripeSubscription(Record, created_event_name="Begun"):
    """One ``sub_...`` as Stripe's events describe it.

    (eventsourcing gives every aggregate a creation event, named ``Created`` unless told
    otherwise; here ``Created`` is Stripe's ``customer.subscription.created``, so the
    library's, which a Record never triggers, is named ``Begun``.)
    """

    class Event(Record.Event):
        """Base of every event of a Stripe subscription."""

        @property
        def subscription_id(self) -> str:
            raise NotImplementedError

    class Reported(Event):
        """Base of the events that record one Stripe event each."""

        stripe_event_id: str
        stripe_created: datetime
        facts: SubscriptionFacts | InvoiceFacts  # what Stripe's object said
        standing: Standing  # how the subscription stood right after this event

        @property
        def subscription_id(self) -> str:
            return self.facts.subscription or ""

    class SubscriptionEvent(Reported):
        """Stripe said something about the subscription itself."""

        facts: SubscriptionFacts

        def apply(self, record: StripeSubscription) -> None:
            record._remember(AppliedFact(type(self).__name__, self.stripe_event_id,
                                         self.stripe_created, self.facts))

    class Created(SubscriptionEvent):
        """``customer.subscription.created``."""

    class Updated(SubscriptionEvent):
        """``customer.subscription.updated`` (status, period, price, cancellation...)."""

    class Deleted(SubscriptionEvent):
        """``customer.subscription.deleted``: it ended; final."""

    class InvoiceEvent(Reported):
        """Stripe said something about one of the subscription's invoices."""

        facts: InvoiceFacts

        def apply(self, record: StripeSubscription) -> None:
            record._remember(AppliedFact(type(self).__name__, self.stripe_event_id,
                                         self.stripe_created, self.facts))

    class InvoicePaid(InvoiceEvent):
        """``invoice.paid``."""

    class InvoicePaymentFailed(InvoiceEvent):
        """``invoice.payment_failed``: a renewal (or the first payment) was declined."""

    class InvoiceActionRequired(InvoiceEvent):
        """``invoice.payment_action_required``: the customer must authenticate the payment."""

    class StaffAsked(Event):
        """A staff member asked Stripe to change the subscription (the change itself comes
        back as Stripe's events)."""

        subscription: str
        action: str  # cancel | cancel_at_period_end
        actor: str
        reason: str | None

        @property
        def subscription_id(self) -> str:
            return self.subscription

        def apply(self, record: StripeSubscription) -> None:
            pass

    def start(self) -> None:
        self.applied: dict[str, AppliedFact] = {}
        self.state: SubscriptionState = fold(())

    @property
    def subscription_id(self) -> str:
        return self.state.subscription

    @classmethod
    def id_for(cls, facts: SubscriptionFacts | InvoiceFacts) -> UUID:
        if not facts.subscription:
            raise ValueError(f"invoice {getattr(facts, 'invoice', '?')} is of no subscription")
        return subscription_uuid(facts.subscription)

    # Commands ------------------------------------------------------------------

    def record_stripe_event(self, name: str, event: StripeEvent,
                            facts: SubscriptionFacts | InvoiceFacts) -> bool:
        """Record ``event`` as this aggregate's event ``name``; False (recording nothing)
        if it was recorded already."""
        if not facts.subscription:
            raise ValueError(f"{event.id} is about no subscription")
        if not self.is_new and facts.subscription != self.subscription_id:
            raise ValueError(f"{event.id} is about {facts.subscription}, "
                             f"not {self.subscription_id}")
        if event.id in self.applied:
            return False
        event_class = getattr(type(self), name)
        expected = SubscriptionFacts if issubclass(event_class, self.SubscriptionEvent) \
            else InvoiceFacts
        if not issubclass(event_class, self.Reported) or not isinstance(facts, expected):
            raise TypeError(f"{name} does not record {type(facts).__name__}")
        after = fold([*self.applied.values(),
                      AppliedFact(name, event.id, event.created, facts)])
        self.trigger_event(event_class, stripe_event_id=event.id, stripe_created=event.created,
                           facts=facts, standing=after.standing)
        return True

    def record_staff_request(self, action: str, actor: str, reason: str | None) -> None:
        assert not self.is_new
        self.trigger_event(self.StaffAsked, subscription=self.subscription_id, action=action,
                           actor=actor, reason=reason)

    # Derived state -------------------------------------------------------------

    def _remember(self, fact: AppliedFact) -> None:
        self.applied[fact.stripe_event_id] = fact
        self.state = fold(self.applied.values())

    @property
    def stripe_event_ids(self) -> list[str]:
        return sorted(self.applied)

    def view(self) -> SubscriptionView:
        """The subscription as staff and the merchant's app see it."""
        state = self.state
        failure = state.last_failure
        return SubscriptionView(
            id=state.subscription, kind=STRIPE, customer=state.customer or "",
            status=state.status or UNPAID,
            current_period_start=state.current_period_start,
            current_period_end=state.current_period_end,
            cancel_at_period_end=state.cancel_at_period_end, price=state.price,
            description=state.description, amount=state.amount, currency=state.currency,
            interval=state.interval, interval_count=state.interval_count,
            next_retry_at=failure.next_payment_attempt if failure else None,
            past_due_since=state.past_due_since, started_at=state.started_at,
            canceled_at=state.canceled_at,
            recovery_url=failure.hosted_invoice_url if failure else None)
