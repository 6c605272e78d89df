"""The customers application: each customer's sessions, cards and charges, projected.

It follows the Ledger (sessions linked to a customer, cards detached at Stripe), the
cards application (cards saved, defaults set) and the charges application (charges made).
It never calls Stripe and never reads its upstream back: dropping its tables and following
from position 0 rebuilds the same customers.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.application import ProcessingEvent

from domain.apps.processing import BatchProcessor
from domain.model.card_setup import CardSetup
from domain.model.charge import Charge
from domain.model.checkout_session import CheckoutSession
from domain.model.customer import Customer, customer_uuid
from domain.model.stripe_payment_method import StripePaymentMethod


class Customers(BatchProcessor):
    """Keeps a :class:`~domain.model.customer.Customer` per customer the service has seen."""

    name = "Customers"
    interests = (CheckoutSession.Completed, CardSetup.Saved, StripePaymentMethod.Detached,
                 Charge.Requested)

    def customer(self, customer_id: str) -> Customer | None:
        """The customer, or None if the service never saw them."""
        found = self.current(customer_uuid(customer_id))
        return found if isinstance(found, Customer) else None

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

    def _customer(self, customer_id: str, processing: ProcessingEvent) -> Customer:
        found = self.current(customer_uuid(customer_id), processing)
        return found if isinstance(found, Customer) else Customer.of(customer_id)
