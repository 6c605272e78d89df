"""The subscription views a rebuilt Customers asks for, read once per subscription.

Customers copies a subscription as its owner shows it after the event that changed it
(``views(subscription_id, version)``, see ``domain/apps/customers.py``). A rebuild asks
for every subscription at versions 1, 2, 3...: asked of the live applications, each is a
query (a round trip on PostgreSQL) that replays the subscription from its start. Here
each subscription's events are read in one query and replayed forward in memory; what
the rebuild does not ask in that order goes to the live views.
"""

from __future__ import annotations

from typing import Any

from api.system import Services
from domain.model import stripe_subscription, subscription
from domain.model.subscription_facts import SubscriptionView


class ForwardViews:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.live = services.customers.views
        # subscription id -> (its events as read, the subscription after the last asked)
        self.read: dict[str, tuple[list[Any], Any]] = {}

    def __call__(self, subscription_id: str, version: int | None) -> SubscriptionView | None:
        if version is None or version < 1:
            return self.live(subscription_id, version)
        events, replayed = self.read.get(subscription_id, ([], None))
        if replayed is not None and replayed.version > version:
            return self.live(subscription_id, version)  # asked backwards
        if version > len(events):  # not read yet, or recorded since
            events = self._events(subscription_id)
            if version > len(events):
                return self.live(subscription_id, version)  # the live one says why not
        for event in events[replayed.version if replayed is not None else 0:version]:
            replayed = event.mutate(replayed)
        self.read[subscription_id] = (events, replayed)
        return replayed.view() if replayed is not None else None

    def _events(self, subscription_id: str) -> list[Any]:
        if subscription_id.startswith("sub_"):  # Stripe's, kept by the ledger
            app: Any = self.services.ledger
            aggregate_id = stripe_subscription.subscription_uuid(subscription_id)
        else:
            app = self.services.subscriptions
            aggregate_id = subscription.subscription_uuid(subscription_id)
        return list(app.events.get(aggregate_id))
