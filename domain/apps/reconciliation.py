"""Reconciliation: ingest the Stripe events that were never delivered.

Stripe keeps its events for 30 days and lists them (``GET /v1/events``). A run pages
through the events of the handled types created since the last reconciled point, and
records them in the Inbox exactly as ``POST /webhook`` does (``Inbox.record``), so an
event already delivered is recognised as a duplicate and one never delivered is
applied like any other. The point and each run are recorded in the Inbox's store.

Stripe's ``created`` counts whole seconds, and an event may show in its list a moment
after it was created: each run looks back :data:`OVERLAP` before the point, and the
events it sees again are counted as already known.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from domain.apps.inbox import Inbox
from domain.apps.processing import retrying
from domain.model.facts import StripeEvent
from domain.model.reconciliation import RECONCILIATION_ID, Reconciliation
from domain.ports import EventLister

OVERLAP = timedelta(seconds=60)
CHUNK = 100  # events recorded per transaction


@dataclass(frozen=True)
class Counts:
    """What one run found."""

    seen: int
    new: int
    already_known: int
    since: datetime | None
    until: datetime | None


class Reconciler:
    """Compares the Inbox with Stripe's list of events, and fills the gaps."""

    def __init__(self, inbox: Inbox, stripe: EventLister, types: Sequence[str]) -> None:
        self.inbox = inbox
        self.stripe = stripe
        self.types = tuple(types)

    def point(self) -> datetime | None:
        """The newest Stripe ``created`` reconciled so far (None: never reconciled)."""
        return self._record().point

    def reconcile(self, actor: str, reason: str | None = None) -> Counts:
        """One run; raises ``StripeUnavailable`` while Stripe cannot be reached (the events
        recorded before that stay, and the point does not move)."""
        point = self.point()
        since = point - OVERLAP if point is not None else None
        seen = new = 0
        newest: datetime | None = None
        chunk: list[StripeEvent] = []
        for event in self.stripe.list_events(self.types, since):
            newest = event.created if newest is None else max(newest, event.created)
            chunk.append(event)
            if len(chunk) == CHUNK:
                new += self._ingest(chunk)
                seen, chunk = seen + len(chunk), []
        new += self._ingest(chunk)
        seen += len(chunk)

        def record() -> None:
            run = self._record()
            run.record_run(since, newest, seen, new, actor, reason)
            self.inbox.save(run)

        retrying(record)
        return Counts(seen, new, seen - new, since, newest)

    def _ingest(self, events: list[StripeEvent]) -> int:
        """Record the events oldest first (Stripe lists newest first); how many were new."""
        if not events:
            return 0
        duplicates = self.inbox.record(events[::-1])
        return duplicates.count(False)

    def _record(self) -> Reconciliation:
        try:
            found: Any = self.inbox.repository.get(RECONCILIATION_ID)
        except AggregateNotFoundError:
            return Reconciliation.of()
        assert isinstance(found, Reconciliation)
        return found

    def runs(self) -> list[Reconciliation.Ran]:
        """Every run, oldest first."""
        return list(self.inbox.events.get(RECONCILIATION_ID))  # type: ignore[arg-type]
