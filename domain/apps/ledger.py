"""The Ledger application: Checkout Session aggregates, the one history of each session.

It also records what Stripe's events say about other Stripe objects (a saved card, a
subscription and its invoices), each on its own aggregate. It follows the Inbox
(Stripe's events, applied through the routing table it is given)
and the fulfillment and notice applications (what they did about a session, recorded on
the session as it happens). It is the only writer of sessions. An event it cannot apply
is parked (:class:`~domain.model.parked_event.ParkedEvent`), and the next one goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent

from domain.apps.processing import (
    OUTAGES,
    BatchProcessing,
    BatchProcessor,
    Unreadable,
    replay,
    retrying,
)
from domain.errors import SessionNotFound, SubscriptionNotFound
from domain.model.checkout_session import CheckoutSession, session_uuid
from domain.model.customer_notice import PAYMENT_FAILED, CustomerNotice
from domain.model.facts import CheckoutSnapshot, StripeEvent
from domain.model.fulfillment import Fulfillment
from domain.model.parked_event import ParkedEvent, parked_uuid
from domain.model.received_event import ReceivedEvent
from domain.model.routing import Routes
from domain.model.stripe_subscription import StripeSubscription, subscription_uuid


class Ledger(BatchProcessor):
    """Applies Stripe's events to their aggregates and answers audits."""

    name = "Ledger"
    interests = (ReceivedEvent.Received, Fulfillment.Event, CustomerNotice.Sent)

    def __init__(self, env: dict[str, str] | None = None, *, routes: Routes | None = None,
                 on_parked: Callable[[str], None] | None = None) -> None:
        super().__init__(env)
        self.routes: Routes = routes or {}
        self.on_parked = on_parked or (lambda event_type: None)

    # Following the Inbox, Fulfillment and Notices -----------------------------------

    def policy(self, upstream_event: Any, processing: ProcessingEvent) -> None:
        if isinstance(upstream_event, ReceivedEvent.Received):
            self._apply_stripe_event(upstream_event.stripe_event(), processing)
        elif isinstance(upstream_event, Fulfillment.Event):
            self._record_fulfillment(upstream_event, processing)
        elif isinstance(upstream_event, CustomerNotice.Sent) \
                and upstream_event.reason == PAYMENT_FAILED:  # a session's (charges keep theirs)
            session = self._session(upstream_event.about, processing)
            if session.record_notification(upstream_event.about, upstream_event.reason):
                processing.collect_events(session)

    def _apply_stripe_event(self, event: StripeEvent, processing: ProcessingEvent | None
                            ) -> tuple[Any, bool] | None:
        route = self.routes.get(event.type)
        if route is None:
            return None  # kept in the raw log; nothing here applies it
        facts = route.translate(event)
        if facts is None:
            return None  # not the aggregate's (e.g. an invoice of no subscription)
        aggregate_id = route.aggregate.id_for(facts)
        aggregate: Any = (self.current(aggregate_id, processing)
                          or route.aggregate.blank(aggregate_id))
        applied = aggregate.record_stripe_event(route.event, event, facts)
        if applied and processing is not None:
            processing.collect_events(aggregate)
        return aggregate, applied

    def _record_fulfillment(self, event: Fulfillment.Event, processing: ProcessingEvent) -> None:
        session = self._session(event.session_id, processing)
        if isinstance(event, Fulfillment.Fulfilled):
            changed = session.record_fulfillment(
                CheckoutSnapshot(event.facts, tuple(event.line_items)), tuple(event.granted),
                event.trigger,
                event.actor, event.timestamp)
        elif isinstance(event, Fulfillment.Failed):
            changed = session.record_fulfillment_failure(event.session_id, event.error,
                                                         event.attempts, event.trigger,
                                                         event.actor)
        elif isinstance(event, Fulfillment.StaffAsked):
            session.record_staff_action(event.session_id, "fulfill", event.actor, event.reason)
            changed = True
        else:
            changed = False
        if changed:
            processing.collect_events(session)

    def _session(self, session_id: str, processing: ProcessingEvent) -> CheckoutSession:
        found = self.current(session_uuid(session_id), processing)
        return found if isinstance(found, CheckoutSession) else CheckoutSession.open(session_id)

    def prefetch(self, upstream_events: Sequence[Any], processing: BatchProcessing) -> None:
        """Read every aggregate the batch touches in one query (when the store can): the
        sessions of fulfillments and notices, and for Stripe's events the aggregate their
        object's id names (a session, a subscription; not an invoice's subscription,
        which only its body names)."""
        ids: set[UUID] = set()
        for event in upstream_events:
            session_id = getattr(event, "session_id", None) or getattr(event, "about", None)
            if session_id is not None:
                ids.add(session_uuid(session_id))
            elif isinstance(event, ReceivedEvent.Received) and event.object_id:
                route = self.routes.get(event.type)
                named = route.object_uuid(event.object_id) \
                    if route is not None and route.object_uuid is not None else None
                if named is not None:
                    ids.add(named)
        found = self.load_many(sorted(ids, key=str)) if ids else None
        if found is not None:
            processing.prefetched = found

    def park(self, upstream: str, event: Any, error: Exception,
             processing: ProcessingEvent) -> None:
        event_id, event_type = _identify(upstream, event)
        parked = self.current(parked_uuid(event_id), processing)
        if not isinstance(parked, ParkedEvent):
            parked = ParkedEvent.of(event_id)
        parked.park(event_id, event_type, f"{type(error).__name__}: {error}")
        processing.collect_events(parked)
        self.on_parked(event_type)

    # Commands ---------------------------------------------------------------------

    def reprocess(self, event: StripeEvent, actor: str, reason: str | None
                  ) -> tuple[str, str | None]:
        """Apply a stored Stripe event again on a staff member's request (never twice).
        Answers the outcome (applied | already_applied | ignored | failed) and the error."""
        def change() -> tuple[str, str | None]:
            parked = self.current(parked_uuid(event.id))
            if not isinstance(parked, ParkedEvent):
                parked = ParkedEvent.of(event.id)
            try:
                result = self._apply_stripe_event(event, None)
            except OUTAGES:
                raise
            except Exception as error:
                message = f"{type(error).__name__}: {error}"
                parked.park(event.id, event.type, message, actor, reason)
                self.save(parked)
                return "failed", message
            changed: list[Any] = []
            outcome = "ignored"
            if result is not None:
                aggregate, applied = result
                outcome = "applied" if applied else "already_applied"
                if applied:
                    changed.append(aggregate)
            parked.reprocessed(event.id, event.type, actor, reason, outcome)
            self.save(*changed, parked)
            return outcome, None

        return retrying(change)

    def record_subscription_request(self, subscription_id: str, action: str, actor: str,
                                    reason: str | None) -> StripeSubscription:
        """Write a staff member's request about a Stripe subscription into its history."""
        def change() -> StripeSubscription:
            sub = self.subscription(subscription_id)
            sub.record_staff_request(action, actor, reason)
            self.save(sub)
            return sub

        return retrying(change)

    # Queries ------------------------------------------------------------------------

    def session(self, session_id: str, *, version: int | None = None,
                at: datetime | None = None) -> CheckoutSession:
        """The session now, after its ``version``-th event, or as recorded up to ``at``."""
        if at is not None:
            versions = [e.originator_version for e in self.history(session_id)
                        if e.timestamp <= at]
            if not versions:
                raise SessionNotFound(session_id, f" at {at.isoformat()}")
            version = versions[-1]
        try:
            session: Any = self.repository.get(session_uuid(session_id), version=version)
        except AggregateNotFoundError:
            raise SessionNotFound(session_id) from None
        if session.version == 0 or (version is not None and session.version < version):
            raise SessionNotFound(session_id, f" at version {version}" if version else "")
        assert isinstance(session, CheckoutSession)
        return session

    def find(self, session_id: str) -> CheckoutSession | None:
        """The session now, or None if nothing was recorded for it yet."""
        try:
            return self.session(session_id)
        except SessionNotFound:
            return None

    def history(self, session_id: str) -> list[CheckoutSession.Event]:
        """Every event of the session, oldest first."""
        events = list(self.events.get(session_uuid(session_id)))
        if not events:
            raise SessionNotFound(session_id)
        return events  # type: ignore[return-value]

    def subscription(self, subscription_id: str, *, version: int | None = None
                     ) -> StripeSubscription:
        """A Stripe subscription now, or as it stood after its ``version``-th event."""
        try:
            found: Any = self.repository.get(subscription_uuid(subscription_id), version=version)
        except AggregateNotFoundError:
            raise SubscriptionNotFound(subscription_id) from None
        return _stripe_subscription(found, subscription_id, version)

    def subscription_and_history(self, subscription_id: str, version: int | None = None
                                 ) -> tuple[StripeSubscription, list[StripeSubscription.Event]]:
        """A Stripe subscription now, or after its ``version``-th event, with its events up
        to then: its log read once (what ``GET /subscriptions/{id}`` shows)."""
        events = self.subscription_history(subscription_id)
        found = _stripe_subscription(replay(None, events[:version]), subscription_id, version)
        return found, events[:found.version]

    def subscription_history(self, subscription_id: str) -> list[StripeSubscription.Event]:
        """Every event of a Stripe subscription, oldest first."""
        events = list(self.events.get(subscription_uuid(subscription_id)))
        if not events:
            raise SubscriptionNotFound(subscription_id)
        return events  # type: ignore[return-value]

    def parked(self, stripe_event_id: str) -> ParkedEvent | None:
        found = self.current(parked_uuid(stripe_event_id))
        return found if isinstance(found, ParkedEvent) else None

    def entries(self, after: int, limit: int) -> list[tuple[int, Any]]:
        """The whole ledger in recorded order: (position, event) after ``after``."""
        notifications = self.recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False)
        return [(n.id, self.mapper.to_domain_event(n)) for n in notifications]


def _stripe_subscription(found: Any, subscription_id: str, version: int | None
                         ) -> StripeSubscription:
    """``found`` if it is the subscription as asked (with its ``version``-th event)."""
    if not isinstance(found, StripeSubscription) or found.version == 0 \
            or (version is not None and found.version < version):
        raise SubscriptionNotFound(subscription_id, f" at version {version}" if version else "")
    return found


def _identify(upstream: str, event: Any) -> tuple[str, str]:
    """The Stripe event id and type of an upstream event (or our own name for it)."""
    if isinstance(event, ReceivedEvent.Received | Unreadable) and event.stripe_event_id:
        return event.stripe_event_id, event.type or "unknown"
    version = getattr(event, "originator_version", 0)
    return f"{upstream}:{event.originator_id}:{version}", type(event).__name__
