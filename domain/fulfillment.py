"""``fulfill_checkout(session_id)``: Stripe's "fulfill orders" guide, done once and safely.

Safe to call any number of times, from any trigger, concurrently: the session is
retrieved from Stripe (line items auto-paginated), its ``payment_status`` checked,
the merchant's fulfiller called with an idempotency key derived from the session,
and ``Fulfilled`` recorded on the session exactly once (the event store's unique
version number decides a race). A fulfiller that honours the key never ships twice;
one that ignores it can be called twice only if two triggers race, or if the process
crashes between the fulfiller's return and the record being written.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from eventsourcing.persistence import IntegrityError

from domain.checkout_session import PAID_STATUSES, CheckoutSession
from domain.errors import LedgerError, SessionNotFound
from domain.facts import SessionFacts
from domain.ledger import Ledger
from domain.ports import (
    CheckoutSnapshot,
    Fulfiller,
    LineItem,
    Notifier,
    NotifierUnavailable,
    StripeGateway,
    StripeUnavailable,
)

log = logging.getLogger(__name__)

RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)  # transient Stripe errors, before giving up for now


class FulfillerFailed(LedgerError):
    """The merchant's fulfiller raised; the failure is already recorded on the session."""

    def __init__(self, session_id: str, error: str) -> None:
        super().__init__(f"fulfilling {session_id} failed: {error}")
        self.session_id = session_id
        self.error = error


@dataclass(frozen=True)
class Prepared:
    """A paid session whose line items the fulfiller has granted, not yet recorded."""

    snapshot: CheckoutSnapshot
    granted: list[str]
    known: CheckoutSession | None  # the session as loaded before fulfilling


@dataclass(frozen=True)
class Outcome:
    """Where a session stands after :meth:`FulfillmentService.fulfill_checkout`."""

    status: str  # fulfilled | processing | failed | expired | not_required | open
    facts: SessionFacts | None
    line_items: tuple[LineItem, ...] = ()
    session: CheckoutSession | None = None
    newly_fulfilled: bool = False


class FulfillmentService:
    """Fulfils paid Checkout Sessions exactly once and tells customers about failures."""

    def __init__(
        self,
        ledger: Ledger,
        stripe: StripeGateway,
        fulfiller: Fulfiller,
        notifier: Notifier,
        *,
        sleep: Callable[[float], None] = time.sleep,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
        observe: Callable[[str, str, int], None] | None = None,
    ) -> None:
        self.ledger = ledger
        self.stripe = stripe
        self.fulfiller = fulfiller
        self.notifier = notifier
        self.sleep = sleep
        self.retry_delays = retry_delays
        # Told (outcome, trigger, count) of what is recorded: metrics, without the domain
        # knowing of them.
        self.observe = observe or (lambda outcome, trigger, count: None)
        # One fulfillment at a time per session in this process (striped locks keep
        # memory bounded); the event store settles races between processes.
        self._locks = [threading.Lock() for _ in range(64)]

    def fulfill_checkout(
        self, session_id: str, trigger: str, actor: str | None = None, *, patient: bool = True
    ) -> Outcome:
        """Fulfil the session if it is paid and not yet fulfilled; say where it stands.

        Raises :class:`~domain.ports.UnknownAtStripe` for a session Stripe does not know,
        :class:`~domain.ports.StripeUnavailable` when Stripe stayed unreachable through
        every retry (nothing is recorded: an outage is not the session's failure, and the
        caller tries again later), :class:`~domain.ports.StripeRefused` for any other
        refusal, and :class:`FulfillerFailed` when the merchant's fulfiller raised
        (recorded on the session first, so support sees it). ``patient=False`` (a customer
        waiting on the page) skips the retries with backoff.
        """
        with self._locks[hash(session_id) % len(self._locks)]:
            ready = self.prepare(session_id, trigger, actor, patient=patient)
            if isinstance(ready, Outcome):
                return ready
            return self._record(ready.snapshot, ready.granted, trigger, actor, ready.known)

    def prepare(self, session_id: str, trigger: str, actor: str | None = None, *,
                patient: bool = True) -> Outcome | Prepared:
        """Every step of :meth:`fulfill_checkout` but the record: where the session stands
        if there is nothing to fulfil, else what the fulfiller granted (to be recorded by
        :meth:`record_all`). Raises what :meth:`fulfill_checkout` raises."""
        known = self.ledger.find(session_id)
        if known is not None and known.fulfilled is not None:
            return Outcome("fulfilled", known.latest_facts(), session=known)
        snapshot = self._retrieve(session_id, self.retry_delays if patient else ())
        facts = snapshot.facts
        status = _standing(facts, known)
        if status != "payable":
            return Outcome(status, facts, snapshot.line_items, known)
        try:
            granted = self.fulfiller(session_id, snapshot.line_items,
                                     idempotency_key=f"fulfill:{session_id}")
        except Exception as error:  # the merchant's code may raise anything: record it
            message = f"{type(error).__name__}: {error}"
            log.warning("the fulfiller failed for %s: %s", session_id, message)
            if not self.record_failure(session_id, message, trigger, actor):
                won = self.ledger.find(session_id)  # another trigger fulfilled it meanwhile
                if won is not None and won.fulfilled is not None:
                    return Outcome("fulfilled", won.latest_facts(), session=won)
            raise FulfillerFailed(session_id, message) from error
        return Prepared(snapshot, list(granted), known)

    def record_all(self, prepared: Sequence[Prepared], trigger: str) -> None:
        """Record the ``Fulfilled`` of several sessions in one transaction (one commit
        instead of one each); if any of them moved on meanwhile, record each on its own."""
        sessions = []
        for ready in prepared:
            session = ready.known or CheckoutSession.open(ready.snapshot.facts.session_id)
            if session.record_fulfillment(ready.snapshot, ready.granted, trigger):
                sessions.append(session)
        try:
            if sessions:
                self.ledger.save(*sessions)
                log.info("fulfilled %d sessions (%s)", len(sessions), trigger)
                self.observe("fulfilled", trigger, len(sessions))
        except IntegrityError:
            for ready in prepared:
                self._record(ready.snapshot, ready.granted, trigger, None, None)

    def fulfill_on_request(self, session_id: str, actor: str, reason: str | None = None
                           ) -> Outcome:
        """A staff member asks to run the fulfillment again: record who asked and why on
        the session, then fulfil it (once: an already fulfilled session stays as it is).

        Raises :class:`~domain.errors.SessionNotFound` if the ledger has never heard of the
        session, and whatever :meth:`fulfill_checkout` raises.
        """
        def change() -> None:
            session = self.ledger.find(session_id)
            if session is None:
                raise SessionNotFound(session_id)
            session.record_staff_action("fulfill", actor, reason)
            self.ledger.save(session)

        self.ledger.retrying(change)
        return self.fulfill_checkout(session_id, trigger="support", actor=actor)

    def notify_payment_failed(self, session_id: str) -> bool:
        """Tell the customer their delayed payment failed, once; False if already told (or
        if the notifier refused for good: support lists the failed payment either way).
        Raises :class:`~domain.ports.NotifierUnavailable` when the channel is down, so the
        caller tries again later rather than the customer never hearing of it."""
        session = self.ledger.session(session_id)
        if session.state["payment_outcome"] != "failed" or "async_payment_failed" in session.notified:
            return False
        facts = session.latest_facts()
        assert facts is not None
        try:
            self.notifier.payment_failed(facts)
        except NotifierUnavailable:
            raise  # the mail server is down: the caller tries again later
        except Exception:  # refused for good (a bad address): support lists the case anyway
            log.exception("telling the customer of %s about the failed payment failed", session_id)
            return False

        def change() -> bool:
            current = self.ledger.session(session_id)
            if not current.record_notification("async_payment_failed"):
                return False
            self.ledger.save(current)
            return True

        return self.ledger.retrying(change)

    # Steps -----------------------------------------------------------------------------

    def _retrieve(self, session_id: str, delays: tuple[float, ...]) -> CheckoutSnapshot:
        for tries, delay in enumerate((*delays, None), start=1):
            try:
                return self.stripe.retrieve_checkout(session_id)
            except StripeUnavailable as error:
                if delay is None:
                    raise StripeUnavailable(f"Stripe unavailable after {tries} tries: {error}"
                                            ) from error
                log.warning("retrieving %s failed (%s); retrying in %.1f s", session_id, error, delay)
                self.sleep(delay)
        raise AssertionError("unreachable")

    def _record(self, snapshot: CheckoutSnapshot, granted: list[str], trigger: str,
                actor: str | None, known: CheckoutSession | None) -> Outcome:
        session_id = snapshot.facts.session_id
        session = known  # as loaded a moment ago; the store refuses it if it moved on since
        for _ in range(5):
            if session is None:
                session = self.ledger.load_or_open(session_id)
            if not session.record_fulfillment(snapshot, granted, trigger, actor):
                return Outcome("fulfilled", snapshot.facts, snapshot.line_items, session)
            try:
                self.ledger.save(session)
            except IntegrityError:
                session = None  # another writer moved the session on: look again
                continue
            self.observe("fulfilled", trigger, 1)
            log.info("fulfilled %s (%s, %d line items)", session_id, trigger,
                     len(snapshot.line_items))
            return Outcome("fulfilled", snapshot.facts, snapshot.line_items, session,
                           newly_fulfilled=True)
        raise RuntimeError(f"could not record the fulfillment of {session_id}")

    def record_failure(self, session_id: str, error: str, trigger: str,
                       actor: str | None = None) -> bool:
        """Record a failed fulfillment attempt on the session (support lists these);
        False when the session was fulfilled meanwhile, so nothing failed after all."""
        def change() -> bool:
            session = self.ledger.load_or_open(session_id)
            if not session.record_fulfillment_failure(error, trigger, actor):
                return False  # fulfilled meanwhile (another trigger won): nothing failed
            self.ledger.save(session)
            return True

        recorded = self.ledger.retrying(change)
        if recorded:
            self.observe("failed", trigger, 1)
        return recorded


def _standing(facts: SessionFacts, known: CheckoutSession | None) -> str:
    """Why a retrieved session is not to be fulfilled now, or "payable"."""
    if facts.mode == "setup":
        return "not_required"
    if facts.status == "expired":
        return "expired"
    if facts.status != "complete":
        return "open"
    if facts.payment_status in PAID_STATUSES:
        return "payable"
    failed = known is not None and known.state["payment_outcome"] == "failed"
    return "failed" if failed else "processing"
