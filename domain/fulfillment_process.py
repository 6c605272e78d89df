"""The process application that drives fulfillment from the ledger's log.

It follows the Ledger: a paid completion or a settled delayed payment triggers
``fulfill_checkout`` (trigger "webhook"). (Customers hear of failed payments from
:class:`CustomerNotices`, a follower of its own, so a mail server that is down never
holds up fulfillment.) Its own log holds only its position: the outcomes are recorded on the
sessions themselves, so processing an event twice (after a crash) changes nothing.

The sessions of one batch are fulfilled concurrently (each waits mostly on Stripe and
the store), and their ``Fulfilled`` events are recorded together in one transaction;
the batch's position is recorded after that, so a crash half-way makes the next run
fulfil the rest (and find the others done).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from eventsourcing.application import ProcessingEvent, Tracking
from eventsourcing.persistence import PersistenceError

from domain.checkout_session import PAID_STATUSES, CheckoutSession
from domain.fulfillment import FulfillerFailed, FulfillmentService, Prepared
from domain.ports import StripeRefused, StripeUnavailable, UnknownAtStripe
from domain.processing import BatchProcessor

log = logging.getLogger(__name__)


class FulfillmentProcess(BatchProcessor):
    """Fulfils what the ledger says was paid."""

    name = "Fulfillment"
    service: FulfillmentService  # set by the composition root
    concurrency = 8  # sessions fulfilled at once (threads; below the store's pool size)
    _pool: ThreadPoolExecutor | None = None

    def process_batch(self, upstream: str, batch: Sequence[tuple[int, Any]]) -> int:
        """Act on a batch of ledger events, then record its position; nothing new else."""
        if not batch:
            return 0
        to_fulfil: dict[str, None] = {}  # in order, each session once
        for _, upstream_event in batch:
            if _paid(upstream_event):
                to_fulfil[upstream_event.session_id] = None
        outcomes = list(self._threads().map(self._prepare, to_fulfil))
        # What was fulfilled is recorded whatever else happened in the batch, so a retry
        # finds it done and never calls the fulfiller for it again.
        self.service.record_all([o for o in outcomes if isinstance(o, Prepared)],
                                trigger="webhook")
        for outcome in outcomes:
            if isinstance(outcome, Exception):
                # Stripe or the store is down: the position is not recorded, so the
                # follower backs off and tries the rest again. None is lost, and an outage
                # is not written on every session as if it were theirs.
                raise outcome
        self._record(ProcessingEvent(tracking=Tracking(upstream, batch[-1][0])))
        return 0

    def policy(self, upstream_event: Any, processing: ProcessingEvent) -> None:
        """One event at a time (what :meth:`process_batch` does, without the threads)."""
        if _paid(upstream_event):
            self._fulfill(upstream_event.session_id)

    def close(self) -> None:
        if self._pool is not None:
            # Do not wait on threads stuck in Stripe retries: an unfinished batch is not
            # marked done, so the next start does it again.
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        super().close()

    def _threads(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="fulfil")
        return self._pool

    def _fulfill(self, session_id: str) -> None:
        ready = self._prepare(session_id)
        if isinstance(ready, Exception):
            raise ready
        if ready is not None:
            self.service.record_all([ready], trigger="webhook")

    def _prepare(self, session_id: str) -> Prepared | Exception | None:
        """Fulfil without recording yet. Answers what to record, None when there is
        nothing to record (or the failure is recorded on the session: it is that
        session's, and the others go on), or the error when something every session
        needs is down (Stripe, the store): then the batch is tried again later."""
        try:
            ready = self.service.prepare(session_id, trigger="webhook")
        except (StripeUnavailable, PersistenceError) as outage:
            return outage
        except FulfillerFailed:
            return None  # recorded on the session as FulfillmentFailed; support lists it
        except (UnknownAtStripe, StripeRefused) as error:
            return self._failed(session_id, f"{type(error).__name__}: {error}")
        except Exception as error:  # a defect here must not stall every session after it
            log.exception("fulfilling %s failed unexpectedly", session_id)
            return self._failed(session_id, f"{type(error).__name__}: {error}")
        return ready if isinstance(ready, Prepared) else None

    def _failed(self, session_id: str, error: str) -> Exception | None:
        try:
            self.service.record_failure(session_id, error, "webhook")
        except PersistenceError as outage:
            return outage
        return None


def _paid(upstream_event: Any) -> bool:
    """A completion or settlement that leaves the session paid (and not a setup)."""
    if not isinstance(upstream_event, CheckoutSession.Completed
                      | CheckoutSession.AsyncPaymentSucceeded):
        return False
    facts = upstream_event.facts
    return facts.mode != "setup" and facts.payment_status in PAID_STATUSES


class CustomerNotices(BatchProcessor):
    """Tells customers whose delayed payment failed, once each. While the channel is
    down (:class:`~domain.ports.NotifierUnavailable`) the batch is not marked done, so
    the follower tries it again later: no customer goes untold."""

    name = "Notices"
    service: FulfillmentService  # set by the composition root

    def process_batch(self, upstream: str, batch: Sequence[tuple[int, Any]]) -> int:
        if not batch:
            return 0
        for _, upstream_event in batch:
            if isinstance(upstream_event, CheckoutSession.AsyncPaymentFailed):
                self.service.notify_payment_failed(upstream_event.session_id)
        self._record(ProcessingEvent(tracking=Tracking(upstream, batch[-1][0])))
        return 0

    def policy(self, upstream_event: Any, processing: ProcessingEvent) -> None:
        if isinstance(upstream_event, CheckoutSession.AsyncPaymentFailed):
            self.service.notify_payment_failed(upstream_event.session_id)
