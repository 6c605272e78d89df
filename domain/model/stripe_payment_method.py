"""The StripePaymentMethod aggregate: what Stripe's events said about one saved card.

Recorded by the ledger from ``payment_method.*`` events (today ``payment_method.detached``:
the customer, or Stripe's Dashboard, removed the card), so the customers application can
show a detached card as such and the charges application never charges it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.model.base import Record
from domain.model.facts import StripeEvent


@dataclass(frozen=True)
class PaymentMethodFacts:
    """A ``payment_method`` object, and the customer it belonged to before the event."""

    payment_method: str
    customer: str | None


def payment_method_uuid(payment_method: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"stripe:payment_method:{payment_method}")


class StripePaymentMethod(Record):
    """One ``pm_...`` as Stripe's events describe it."""

    class Detached(Record.Event):
        payment_method: str
        customer: str | None
        stripe_event_id: str
        stripe_created: datetime

        def apply(self, record: StripePaymentMethod) -> None:
            record.applied = (*record.applied, self.stripe_event_id)

    def start(self) -> None:
        self.applied: tuple[str, ...] = ()

    @classmethod
    def id_for(cls, facts: PaymentMethodFacts) -> UUID:
        return payment_method_uuid(facts.payment_method)

    def record_stripe_event(self, name: str, event: StripeEvent,
                            facts: PaymentMethodFacts) -> bool:
        if event.id in self.applied:
            return False
        event_class = getattr(type(self), name)
        self.trigger_event(event_class, payment_method=facts.payment_method,
                           customer=facts.customer, stripe_event_id=event.id,
                           stripe_created=event.created)
        return True
