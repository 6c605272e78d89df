"""The Ledger application: Checkout Session aggregates, fed from the Inbox's log."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.persistence import IntegrityError

from domain.checkout_session import CheckoutSession, session_uuid
from domain.errors import SessionNotFound
from domain.facts import StripeEvent
from domain.processing import BatchProcessing, BatchProcessor
from domain.received_event import ReceivedEvent

T = TypeVar("T")


class Ledger(BatchProcessor):
    """Applies ``checkout.session.*`` events to their sessions and answers audits."""

    name = "Ledger"


    # Following the Inbox --------------------------------------------------------

    def policy(self, upstream_event: Any, processing: ProcessingEvent) -> None:
        if not isinstance(upstream_event, ReceivedEvent.Received):
            return
        event = upstream_event.stripe_event()
        if not event.applies_to_session:
            return
        assert event.session is not None
        session = self.load_or_open(event.session.session_id, processing)
        if session.record_stripe_event(event):
            processing.collect_events(session)

    def prefetch(self, upstream_events: Sequence[Any], processing: BatchProcessing) -> None:
        """Read every session the batch touches in one query (when the store can)."""
        ids = {session_uuid(e.session.session_id) for e in upstream_events
               if isinstance(e, ReceivedEvent.Received) and e.session is not None}
        found = self.load_many(sorted(ids, key=str)) if ids else None
        if found is not None:
            processing.prefetched = found

    def load_or_open(
        self, session_id: str, processing: ProcessingEvent | None = None
    ) -> CheckoutSession:
        """The session as recorded (or changed earlier in this batch), or a new one."""
        if processing is not None:
            pending = self.pending(processing, session_uuid(session_id))
            if isinstance(pending, CheckoutSession):
                return pending
            prefetched = getattr(processing, "prefetched", {})
            if session_uuid(session_id) in prefetched:
                known = prefetched[session_uuid(session_id)]
                if isinstance(known, CheckoutSession):
                    return known
                return CheckoutSession.open(session_id)
        try:
            return self._get(session_uuid(session_id))
        except AggregateNotFoundError:
            return CheckoutSession.open(session_id)

    # Commands ---------------------------------------------------------------------

    def apply(self, event: StripeEvent) -> bool:
        """Apply one stored Stripe event directly (reprocessing); False if already applied."""
        if not event.applies_to_session:
            raise ValueError(f"{event.id} ({event.type}) is not a checkout session event")
        assert event.session is not None
        session_id = event.session.session_id

        def change() -> bool:
            session = self.load_or_open(session_id)
            if not session.record_stripe_event(event):
                return False
            self.save(session)
            return True

        return self.retrying(change)

    @staticmethod
    def retrying(change: Callable[[], T], attempts: int = 5) -> T:
        """Run a load-decide-save step again when a concurrent writer got there first."""
        for _ in range(attempts - 1):
            try:
                return change()
            except IntegrityError:
                continue
        return change()

    # Queries ------------------------------------------------------------------------

    def session(
        self, session_id: str, *, version: int | None = None, at: datetime | None = None
    ) -> CheckoutSession:
        """The session now, after its ``version``-th event, or as recorded up to ``at``."""
        aggregate_id = session_uuid(session_id)
        if at is not None and self.find(session_id) is None:
            raise SessionNotFound(session_id)
        if at is not None:
            versions = [e.originator_version for e in self.history(session_id)
                        if e.timestamp <= at]
            if not versions:
                raise SessionNotFound(session_id, f" at {at.isoformat()}")
            version = versions[-1]
        try:
            session = self._get(aggregate_id, version)
        except AggregateNotFoundError:
            raise SessionNotFound(session_id) from None
        if version is not None and session.version < version:
            raise SessionNotFound(session_id, f" at version {version}")
        return session

    def find(self, session_id: str) -> CheckoutSession | None:
        """The session now, or None if nothing was recorded for it yet."""
        try:
            return self._get(session_uuid(session_id))
        except AggregateNotFoundError:
            return None

    def history(self, session_id: str) -> list[CheckoutSession.Event]:
        """Every event of the session, oldest first."""
        events = list(self.events.get(session_uuid(session_id)))
        if not events:
            raise SessionNotFound(session_id)
        return events  # type: ignore[return-value]

    def entries(self, after: int, limit: int) -> list[tuple[int, CheckoutSession.Event]]:
        """The whole ledger in recorded order: (position, event) after ``after``."""
        notifications = self.recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )
        return [(n.id, self.mapper.to_domain_event(n)) for n in notifications]  # type: ignore[misc]

    def _get(self, aggregate_id: UUID, version: int | None = None) -> CheckoutSession:
        session: Any = self.repository.get(aggregate_id, version=version)
        assert isinstance(session, CheckoutSession)
        return session
