"""The customers application: each customer's sessions, cards and charges, projected.

It follows the Ledger (sessions linked to a customer, cards detached at Stripe, purchases
fulfilled), the cards application (cards saved, defaults set), the charges application
(charges made) and the subscriptions application. It never calls Stripe. It keeps each
customer's :class:`~domain.model.access.Access` (purchases and subscriptions), from which
entitlements are answered. A subscription is copied as its owner shows it at the version
the event made (``views``, the one read of an upstream, of what can no longer change):
dropping its tables and following from position 0 rebuilds the same customers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent

from domain.apps.processing import BatchProcessing, BatchProcessor
from domain.model.access import Access, Entitlement, Purchase, access_uuid
from domain.model.card_setup import CardSetup
from domain.model.charge import Charge
from domain.model.checkout_session import CheckoutSession
from domain.model.customer import Customer, customer_uuid
from domain.model.stripe_payment_method import StripePaymentMethod
from domain.model.stripe_subscription import StripeSubscription
from domain.model.subscription import Subscription
from domain.model.subscription_facts import SubscriptionView

Views = Callable[[str, int | None], SubscriptionView | None]
#: Access events between snapshots: an entitlements read replays at most this many events
#: after the last snapshot (a customer's Access grows by about one per subscription a month).
SNAPSHOT_EVERY = 10


class Customers(BatchProcessor):
    """Keeps a :class:`~domain.model.customer.Customer` per customer the service has seen."""

    name = "Customers"
    interests = (CheckoutSession.Completed, CheckoutSession.Fulfilled, CardSetup.Saved,
                 StripePaymentMethod.Detached, Charge.Requested, Subscription.Event,
                 StripeSubscription.Event)
    snapshotting_intervals = {Access: SNAPSHOT_EVERY}

    def __init__(self, env: dict[str, str] | None = None, *,
                 views: Views = lambda subscription_id, version: None) -> None:
        super().__init__(env)
        self.views = views

    def _record(self, processing: ProcessingEvent) -> Any:
        recordings = super()._record(processing)
        self._take_snapshots(processing)  # eventsourcing's save() does; a followed batch not
        return recordings

    def access(self, customer_id: str) -> Access | None:
        """What the customer bought (None if nothing yet). Read only: with an aggregate
        cache, the cached object itself (brought up to date), never to be changed."""
        try:
            found: Any = self.repository.get(access_uuid(customer_id), deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Access) else None

    def entitlements(self, customer_id: str, now: datetime, grace: timedelta
                     ) -> list[Entitlement]:
        access = self.access(customer_id)
        return access.entitlements(now, grace) if access is not None else []

    def customer(self, customer_id: str) -> Customer | None:
        """The customer, or None if the service never saw them."""
        found = self.current(customer_uuid(customer_id))
        return found if isinstance(found, Customer) else None

    def prefetch(self, upstream_events: Sequence[Any], processing: BatchProcessing) -> None:
        """The batch's customers and accesses in one query, kept from then on (a
        subscription's access is found through its view: read when asked for)."""
        self.read_ahead(filter(None, map(_read_ahead_id, upstream_events)), processing)

    def policy(self, upstream_event: Any, processing: ProcessingEvent) -> None:
        if isinstance(upstream_event, CheckoutSession.Completed):
            facts = upstream_event.facts
            if facts.customer is not None:
                customer = self._customer(facts.customer, processing)
                if customer.link_session(facts.session_id, facts.mode, facts.customer_email,
                                         upstream_event.timestamp):
                    processing.collect_events(customer)
        elif isinstance(upstream_event, CardSetup.Saved):
            customer = self._customer(upstream_event.customer, processing)
            at = upstream_event.timestamp
            customer.link_session(upstream_event.session_id, "setup", upstream_event.email, at)
            customer.save_card(upstream_event.card, upstream_event.session_id, at)
            if upstream_event.made_default:
                customer.set_default(upstream_event.card.payment_method)
            processing.collect_events(customer)
        elif isinstance(upstream_event, StripePaymentMethod.Detached):
            if upstream_event.customer is not None:
                customer = self._customer(upstream_event.customer, processing)
                if customer.detach(upstream_event.payment_method):
                    processing.collect_events(customer)
        elif isinstance(upstream_event, Charge.Requested):
            customer = self._customer(upstream_event.customer, processing)
            if customer.link_charge(upstream_event.charge_id):
                processing.collect_events(customer)
        elif isinstance(upstream_event, CheckoutSession.Fulfilled):
            self._purchased(upstream_event, processing)
        elif isinstance(upstream_event, Subscription.Event | StripeSubscription.Event):
            self.subscription_changed(upstream_event.subscription_id,
                                      upstream_event.originator_version, processing)

    def subscription_changed(self, subscription_id: str, version: int,
                             processing: ProcessingEvent) -> None:
        """Copy the subscription as its owner shows it after this event (the same whenever
        it is asked, so a rebuild copies the same)."""
        view = self.views(subscription_id, version)
        if view is not None:
            access = self._access(view.customer, processing)
            if access.subscription_changed(view):
                processing.collect_events(access)

    def _purchased(self, event: CheckoutSession.Fulfilled, processing: ProcessingEvent) -> None:
        facts = event.facts
        if facts.customer is None or facts.mode != "payment":
            return  # a guest's purchase has no customer; subscriptions entitle on their own
        access = self._access(facts.customer, processing)
        changed = [access.purchase(Purchase(facts.session_id, item.price, item.description,
                                            item.quantity, event.fulfilled_at))
                   for item in event.line_items]
        if any(changed):
            processing.collect_events(access)

    def _access(self, customer_id: str, processing: ProcessingEvent) -> Access:
        found = self.current(access_uuid(customer_id), processing)
        return found if isinstance(found, Access) else Access.of(customer_id)

    def _customer(self, customer_id: str, processing: ProcessingEvent) -> Customer:
        found = self.current(customer_uuid(customer_id), processing)
        return found if isinstance(found, Customer) else Customer.of(customer_id)


def _read_ahead_id(event: Any) -> UUID | None:
    """The aggregate :meth:`Customers.policy` will read for ``event``, if known up front."""
    if isinstance(event, CheckoutSession.Completed | CheckoutSession.Fulfilled):
        customer = event.facts.customer
        if customer is None:
            return None
        return customer_uuid(customer) if isinstance(event, CheckoutSession.Completed) \
            else access_uuid(customer)
    if isinstance(event, CardSetup.Saved | Charge.Requested):
        return customer_uuid(event.customer)
    if isinstance(event, StripePaymentMethod.Detached) and event.customer is not None:
        return customer_uuid(event.customer)
    return None
