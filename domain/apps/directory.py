"""The directory application: search keys -> the objects they name, for the console.

Support searches by a PaymentIntent id (``pi_``), a customer's email or a subscription
id (``sub_``): none of them is an aggregate id here. The directory follows the Ledger
(sessions: their PaymentIntent, customer and email), the cards application (a customer
made for a saved card) and the charges application (a charge's PaymentIntent and
customer's email), and files each key. It never calls Stripe and never reads its upstream
back: dropping its tables and following from position 0 rebuilds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.application import ProcessingEvent

from domain.apps.processing import BatchProcessing, BatchProcessor
from domain.model.card_setup import CardSetup
from domain.model.charge import Charge
from domain.model.checkout_session import CheckoutSession
from domain.model.directory_entry import (
    CHARGE,
    CUSTOMER,
    SESSION,
    DirectoryEntry,
    directory_key,
    directory_uuid,
)


class Directory(BatchProcessor):
    """Files every key support may search by."""

    name = "Directory"
    interests = (CheckoutSession.StripeFact, CardSetup.Saved, Charge.Requested,
                 Charge.Succeeded, Charge.Declined)

    def lookup(self, key: str) -> list[tuple[str, str]]:
        """``[(kind, id)]`` the key names, oldest first (empty when none)."""
        found = self.current(directory_uuid(key))
        return list(found.targets) if isinstance(found, DirectoryEntry) else []

    def prefetch(self, upstream_events: Sequence[Any], processing: BatchProcessing) -> None:
        """The batch's entries in one query (most are new: a PaymentIntent is filed once);
        an email of many checkouts is kept rather than replayed in every batch."""
        self.read_ahead((directory_uuid(key) for event in upstream_events
                         for key, _, _ in _keys(event) if key), processing)

    def policy(self, upstream_event: Any, processing: ProcessingEvent) -> None:
        for key, kind, target in _keys(upstream_event):
            if not key:
                continue
            found = self.current(directory_uuid(key), processing)
            entry = found if isinstance(found, DirectoryEntry) else DirectoryEntry.of(key)
            if entry.point(key, kind, target):
                processing.collect_events(entry)


def _keys(event: Any) -> list[tuple[str | None, str, str]]:
    """(key, kind, target) for what the event tells about keys."""
    if isinstance(event, CheckoutSession.StripeFact):
        facts = event.facts
        email = directory_key(facts.customer_email) if facts.customer_email else None
        owner = (CUSTOMER, facts.customer) if facts.customer else (SESSION, facts.session_id)
        return [(facts.payment_intent, SESSION, facts.session_id),
                (facts.subscription, SESSION, facts.session_id),
                (email, *owner)]
    if isinstance(event, CardSetup.Saved):
        return [(event.email and directory_key(event.email), CUSTOMER, event.customer)]
    if isinstance(event, Charge.Requested):
        return [(event.email and directory_key(event.email), CUSTOMER, event.customer)]
    if isinstance(event, Charge.Succeeded | Charge.Declined):
        return [(event.payment_intent, CHARGE, event.charge_id)]
    return []
