"""The Access aggregate: what one customer bought, and so what they may use now.

A projection kept by the customers application: one-time purchases (from fulfilled
payment-mode sessions) and the customer's subscriptions of both kinds, each as its owner
application shows it after its latest event. :meth:`Access.entitlements` answers "may
this customer use this now?" from it alone, without touching Stripe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Snapshot as BaseSnapshot

from domain.model.base import Record
from domain.model.subscription_facts import ACTIVE, PAST_DUE, SubscriptionView

ONE_TIME = "one_time"


@lru_cache(maxsize=16_384)  # a projection asks for the same ids again and again
def access_uuid(customer_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"checkout-ledger:access:{customer_id}")


@dataclass(frozen=True)
class Purchase:
    """One line of a fulfilled one-time purchase."""

    session_id: str
    price: str | None
    description: str
    quantity: int
    at: datetime


@dataclass(frozen=True)
class Entitlement:
    source: str  # cs_... (a purchase), sub_... or msub_... (a subscription)
    kind: str  # one_time | stripe | merchant
    price: str | None
    plan: str | None
    description: str | None
    since: datetime
    until: datetime | None  # None: for good


class Access(Record):
    class Event(Record.Event):
        customer_id: str

    class Purchased(Event):
        purchase: Purchase

        def apply(self, access: Access) -> None:
            access.customer_id = self.customer_id
            access.purchases = (*access.purchases, self.purchase)

    class SubscriptionChanged(Event):
        view: SubscriptionView

        def apply(self, access: Access) -> None:
            access.customer_id = self.customer_id
            access.subscriptions = {**access.subscriptions, self.view.id: self.view}

    class Snapshot(BaseSnapshot):
        """The Access as it stood at a version (the customers application takes one every
        few events, so a read replays only the events since). Subscriptions are stored as a
        list: an id never becomes a key in the store (see ``adapters/transcodings.py``)."""

        @classmethod
        def take(cls, aggregate: Any) -> Any:
            snapshot = super().take(aggregate)
            snapshot.state["subscriptions"] = list(snapshot.state["subscriptions"].values())
            return snapshot

        def mutate(self, _: None) -> Any:
            access: Any = super().mutate(None)
            access.purchases = tuple(access.purchases)
            access.subscriptions = {view.id: view for view in access.subscriptions}
            return access

    def start(self) -> None:
        self.customer_id = ""
        self.purchases: tuple[Purchase, ...] = ()
        self.subscriptions: dict[str, SubscriptionView] = {}

    @classmethod
    def of(cls, customer_id: str) -> Access:
        access = cls.blank(access_uuid(customer_id))
        access.customer_id = customer_id
        return access

    def purchase(self, purchase: Purchase) -> bool:
        if any((p.session_id, p.price) == (purchase.session_id, purchase.price)
               for p in self.purchases):
            return False
        self.trigger_event(self.Purchased, customer_id=self.customer_id, purchase=purchase)
        return True

    def subscription_changed(self, view: SubscriptionView) -> bool:
        if self.subscriptions.get(view.id) == view:
            return False
        self.trigger_event(self.SubscriptionChanged, customer_id=self.customer_id, view=view)
        return True

    def entitlements(self, now: datetime, grace: timedelta) -> list[Entitlement]:
        """What the customer may use at ``now``: every one-time purchase, and every
        subscription that is active (until the end of its period if canceled at its end)
        or past due for less than ``grace``."""
        found = [Entitlement(p.session_id, ONE_TIME, p.price, None, p.description, p.at, None)
                 for p in self.purchases]
        for view in self.subscriptions.values():
            until = _entitled_until(view, now, grace)
            if until is not None:
                found.append(Entitlement(view.id, view.kind, view.price, view.plan,
                                         view.description, view.started_at or now, until))
        return found


def _entitled_until(view: SubscriptionView, now: datetime, grace: timedelta
                    ) -> datetime | None:
    """Until when the subscription entitles, or None if it does not at ``now``."""
    end = view.current_period_end
    if view.status == ACTIVE:
        if view.cancel_at_period_end and end is not None and now >= end:
            return None
        return end or now
    if view.status == PAST_DUE and view.past_due_since is not None:
        until = view.past_due_since + grace
        return until if now < until else None
    return None
