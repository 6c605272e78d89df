"""The fulfillment application: ``fulfill_checkout``, exactly once per session.

It follows the Ledger: a paid completion or a settled delayed payment fulfils the session
(trigger "webhook"). The success page ("success_page") and support ("support") call the
same command. Whoever calls, the outcome is recorded here, on the session's
:class:`~domain.model.fulfillment.Fulfillment`, and the store's unique version number
decides a race: ``Fulfilled`` is recorded once. The ledger copies it into the session's
history.

A batch's sessions are fulfilled concurrently (each waits mostly on Stripe) and their
``Fulfilled`` recorded together, atomically with the batch's position. When Stripe or the
store is down, what was fulfilled is recorded but not the position, so the follower backs
off and tries the rest again: nothing is lost, and an outage is not written on the
sessions as if it were theirs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from eventsourcing.application import ProcessingEvent, Tracking
from eventsourcing.persistence import IntegrityError, PersistenceError

from domain.apps.fulfill_checkout import (
    RETRY_DELAYS,
    FulfillerFailed,
    Outcome,
    Prepared,
    retrieve,
    standing,
)
from domain.apps.processing import BatchProcessor, retrying
from domain.errors import SessionNotFound
from domain.model.checkout_session import PAID_STATUSES, CheckoutSession, is_recovery
from domain.model.fulfillment import Fulfillment, fulfillment_uuid
from domain.ports import Fulfiller, StripeGateway, StripeRefused, StripeUnavailable, UnknownAtStripe

log = logging.getLogger(__name__)


class Sessions(Protocol):
    """What fulfillment asks the ledger (a query, never a write)."""

    def find(self, session_id: str) -> CheckoutSession | None: ...


class FulfillmentProcess(BatchProcessor):
    """Fulfils what the ledger says was paid, and what the page or support ask for."""

    name = "Fulfillment"
    interests = (CheckoutSession.Completed, CheckoutSession.AsyncPaymentSucceeded)
    concurrency = 8  # sessions fulfilled at once (threads; below the store's pool size)

    def __init__(self, env: dict[str, str] | None = None, *, stripe: StripeGateway,
                 fulfiller: Fulfiller, sessions: Sessions,
                 sleep: Callable[[float], None] = time.sleep,
                 retry_delays: tuple[float, ...] = RETRY_DELAYS,
                 observe: Callable[[str, str, int], None] | None = None) -> None:
        super().__init__(env)
        self.stripe = stripe
        self.fulfiller = fulfiller
        self.sessions = sessions
        self.sleep = sleep
        self.retry_delays = retry_delays
        # Told (outcome, trigger, count) of what is recorded: metrics, without the domain
        # knowing of them.
        self.observe = observe or (lambda outcome, trigger, count: None)
        # One fulfillment at a time per session in this process (striped locks keep
        # memory bounded); the event store settles races between processes.
        self._locks = [threading.Lock() for _ in range(64)]
        self._pool: ThreadPoolExecutor | None = None

    # Commands ---------------------------------------------------------------------------

    def fulfill_checkout(self, session_id: str, trigger: str, actor: str | None = None, *,
                         patient: bool = True) -> Outcome:
        """Fulfil the session if it is paid and not yet fulfilled; say where it stands.

        Raises :class:`~domain.ports.UnknownAtStripe` for a session Stripe does not know,
        :class:`~domain.ports.StripeUnavailable` when Stripe stayed unreachable (nothing
        recorded: the caller tries again later), :class:`~domain.ports.StripeRefused` for
        any other refusal, and :class:`FulfillerFailed` when the merchant's fulfiller
        raised (recorded first, so support sees it). ``patient=False`` (a customer
        waiting on the page) skips the retries with backoff.
        """
        with self._locks[hash(session_id) % len(self._locks)]:
            ready = self.prepare(session_id, trigger, actor, patient=patient)
            if isinstance(ready, Outcome):
                return ready
            return self._record_one(ready, trigger, actor)

    def fulfill_on_request(self, session_id: str, actor: str, reason: str | None = None
                           ) -> Outcome:
        """A staff member asks to run the fulfillment again: record who asked and why,
        then fulfil (once: a fulfilled session stays as it is). Raises
        :class:`~domain.errors.SessionNotFound` for a session the ledger never saw."""
        if self.sessions.find(session_id) is None:
            raise SessionNotFound(session_id)

        def ask() -> None:
            fulfillment = self.fulfillment(session_id)
            fulfillment.record_staff_request(actor, reason)
            self.save(fulfillment)

        retrying(ask)
        return self.fulfill_checkout(session_id, trigger="support", actor=actor)

    def prepare(self, session_id: str, trigger: str, actor: str | None = None, *,
                patient: bool = True, known: Fulfillment | None = None) -> Outcome | Prepared:
        """Every step of :meth:`fulfill_checkout` but the record: where the session stands
        if there is nothing to fulfil, else what the fulfiller granted. ``known`` is the
        fulfillment as just read (by the batch), else it is read here."""
        known = known or self.fulfillment(session_id)
        if known.fulfilled is not None:
            return Outcome("fulfilled", known.fulfilled.facts, fulfillment=known)
        snapshot = retrieve(self.stripe, session_id, self.retry_delays if patient else (),
                            self.sleep)
        status = standing(snapshot.facts, lambda: self._payment_failed(session_id))
        if status != "payable":
            return Outcome(status, snapshot.facts, snapshot.line_items, known)
        try:
            granted = self.fulfiller(session_id, snapshot.line_items,
                                     idempotency_key=f"fulfill:{session_id}")
        except Exception as error:  # the merchant's code may raise anything: record it
            message = f"{type(error).__name__}: {error}"
            log.warning("the fulfiller failed for %s: %s", session_id, message)
            if not self.record_failure(session_id, message, trigger, actor):
                won = self.fulfillment(session_id)  # another trigger fulfilled it meanwhile
                return Outcome("fulfilled", snapshot.facts, snapshot.line_items, won)
            raise FulfillerFailed(session_id, message) from error
        return Prepared(snapshot, tuple(str(g) for g in granted), known)

    def record_failure(self, session_id: str, error: str, trigger: str,
                       actor: str | None = None) -> bool:
        """Record a failed attempt (support lists these); False when the session was
        fulfilled meanwhile, so nothing failed after all."""
        def change() -> bool:
            fulfillment = self.fulfillment(session_id)
            if not fulfillment.record_failure(error, trigger, actor):
                return False
            self.save(fulfillment)
            return True

        recorded = retrying(change)
        if recorded:
            self.observe("failed", trigger, 1)
        return recorded

    # Queries ------------------------------------------------------------------------------

    def fulfillment(self, session_id: str) -> Fulfillment:
        """The session's fulfillment as recorded (a blank one if nothing was)."""
        found = self.current(fulfillment_uuid(session_id))
        return found if isinstance(found, Fulfillment) else Fulfillment.of(session_id)

    # Following the ledger -----------------------------------------------------------------

    def process_batch(self, upstream: str, batch: Sequence[tuple[int, Any]]) -> int:
        """Fulfil the batch's paid sessions; record them with the batch's position."""
        if not batch:
            return 0
        to_fulfil = list(dict.fromkeys(e.session_id for _, e in batch if _paid(e)))  # once each
        known = self._read_ahead(to_fulfil)
        outcomes = list(self._threads().map(self._prepare_quietly, to_fulfil,
                                            [known.get(s) for s in to_fulfil]))
        prepared = [o for o in outcomes if isinstance(o, Prepared)]
        outage = next((o for o in outcomes if isinstance(o, Exception)), None)
        tracking = None if outage else Tracking(upstream, batch[-1][0])
        recorded = self._record_batch(prepared, tracking)
        if outage is not None:
            raise outage  # the position stays: the follower tries the rest again later
        return recorded

    def close(self) -> None:
        if self._pool is not None:
            # Do not wait on threads stuck in Stripe retries: an unfinished batch is not
            # marked done, so the next start does it again.
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        super().close()

    # Steps --------------------------------------------------------------------------------

    def _record_batch(self, prepared: list[Prepared], tracking: Tracking | None) -> int:
        processing: ProcessingEvent[Any] = ProcessingEvent(tracking)
        for ready in prepared:
            assert ready.fulfillment is not None
            if ready.fulfillment.record_fulfilled(ready.snapshot, ready.granted, "webhook", None):
                processing.collect_events(ready.fulfillment)
        if not processing.events and tracking is None:
            return 0
        try:
            self._notify(self._record(processing))
        except IntegrityError:
            # A session moved on meanwhile (the success page fulfilled it): each on its own.
            for ready in prepared:
                self._record_one(Prepared(ready.snapshot, ready.granted, None), "webhook", None)
            if tracking is not None:
                self._record(ProcessingEvent(tracking))
            return len(prepared)
        if processing.events:
            log.info("fulfilled %d sessions (webhook)", len(processing.events))
            self.observe("fulfilled", "webhook", len(processing.events))
        return len(processing.events)

    def _record_one(self, ready: Prepared, trigger: str, actor: str | None) -> Outcome:
        session_id = ready.snapshot.facts.session_id
        fulfillment = ready.fulfillment  # as loaded a moment ago; refused if it moved on
        for _ in range(5):
            if fulfillment is None:
                fulfillment = self.fulfillment(session_id)
            if not fulfillment.record_fulfilled(ready.snapshot, ready.granted, trigger, actor):
                return Outcome("fulfilled", ready.snapshot.facts, ready.snapshot.line_items,
                               fulfillment)
            try:
                self.save(fulfillment)
            except IntegrityError:
                fulfillment = None  # another writer moved it on: look again
                continue
            self.observe("fulfilled", trigger, 1)
            log.info("fulfilled %s (%s, %d line items)", session_id, trigger,
                     len(ready.snapshot.line_items))
            return Outcome("fulfilled", ready.snapshot.facts, ready.snapshot.line_items,
                           fulfillment, newly_fulfilled=True)
        raise RuntimeError(f"could not record the fulfillment of {session_id}")

    def _read_ahead(self, session_ids: list[str]) -> dict[str, Fulfillment]:
        """The batch's fulfillments in one query (when the store can), by session id."""
        found = self.load_many([fulfillment_uuid(s) for s in session_ids]) if session_ids else None
        if found is None:
            return {}
        read = {s: found.get(fulfillment_uuid(s)) for s in session_ids}
        return {s: f if isinstance(f, Fulfillment) else Fulfillment.of(s) for s, f in read.items()}

    def _prepare_quietly(self, session_id: str, known: Fulfillment | None = None
                         ) -> Prepared | Exception | None:
        """:meth:`prepare` for the follower: an outage comes back as the error (the batch
        is tried again later); a failure of this session is recorded on it and gives
        None, so the other sessions go on."""
        try:
            ready = self.prepare(session_id, trigger="webhook", known=known)
        except (StripeUnavailable, PersistenceError) as outage:
            return outage
        except FulfillerFailed:
            return None  # recorded as Failed; support lists it
        except (UnknownAtStripe, StripeRefused) as error:
            return self._failed(session_id, f"{type(error).__name__}: {error}")
        except Exception as error:  # a defect here must not stall every session after it
            log.exception("fulfilling %s failed unexpectedly", session_id)
            return self._failed(session_id, f"{type(error).__name__}: {error}")
        return ready if isinstance(ready, Prepared) else None

    def _failed(self, session_id: str, error: str) -> Exception | None:
        try:
            self.record_failure(session_id, error, "webhook")
        except PersistenceError as outage:
            return outage
        return None

    def _payment_failed(self, session_id: str) -> bool:
        session = self.sessions.find(session_id)
        return session is not None and session.state.payment_outcome == "failed"

    def _threads(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="fulfil")
        return self._pool


def _paid(event: Any) -> bool:
    """A completion or settlement that leaves an order paid (not a setup, and not the
    recovery of an off-session charge: the charges application sees to those)."""
    if not isinstance(event, CheckoutSession.Completed | CheckoutSession.AsyncPaymentSucceeded):
        return False
    facts = event.facts
    return (facts.mode != "setup" and facts.payment_status in PAID_STATUSES
            and not is_recovery(facts))

