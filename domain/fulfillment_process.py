"""The process application that drives fulfillment from the ledger's log.

It follows the Ledger: a paid completion or a settled delayed payment triggers
``fulfill_checkout`` (trigger "webhook"); a failed delayed payment reaches the
customer. Its own log holds only its position: the outcomes are recorded on the
sessions themselves, so processing an event twice (after a crash) changes nothing.

The sessions of one batch are fulfilled concurrently (each waits mostly on Stripe and
the store), and their ``Fulfilled`` events are recorded together in one transaction;
the batch's position is recorded after that, so a crash half-way makes the next run
fulfil the rest (and find the others done).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from eventsourcing.application import ProcessingEvent, Tracking

from domain.checkout_session import PAID_STATUSES, CheckoutSession
from domain.fulfillment import FulfillerFailed, FulfillmentService, Prepared
from domain.ports import StripeUnavailable, UnknownAtStripe
from domain.processing import BatchProcessor


class FulfillmentProcess(BatchProcessor):
    """Fulfils what the ledger says was paid; tells customers whose payment failed."""

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
            if isinstance(upstream_event, CheckoutSession.AsyncPaymentFailed):
                self.service.notify_payment_failed(upstream_event.session_id)
            elif _paid(upstream_event):
                to_fulfil[upstream_event.session_id] = None
        # list() re-raises the first unexpected error (a store that went away): the
        # position is then not recorded and the follower tries the batch again.
        outcomes = list(self._threads().map(self._prepare, to_fulfil))
        self.service.record_all([o for o in outcomes if isinstance(o, Prepared)],
                                trigger="webhook")
        for outcome in outcomes:
            if isinstance(outcome, StripeUnavailable):
                # Stripe is down: what could be fulfilled is recorded; the position is not,
                # so the follower backs off and tries the rest again. None is lost, and an
                # outage is not written on every session as if it were theirs.
                raise outcome
        self._record(ProcessingEvent(tracking=Tracking(upstream, batch[-1][0])))
        return 0

    def policy(self, upstream_event: Any, processing: ProcessingEvent) -> None:
        """One event at a time (what :meth:`process_batch` does, without the threads)."""
        if isinstance(upstream_event, CheckoutSession.AsyncPaymentFailed):
            self.service.notify_payment_failed(upstream_event.session_id)
        elif _paid(upstream_event):
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
        if isinstance(ready, StripeUnavailable):
            raise ready
        if ready is not None:
            self.service.record_all([ready], trigger="webhook")

    def _prepare(self, session_id: str) -> Prepared | StripeUnavailable | None:
        """Fulfil without recording yet; None when there is nothing to record, the error
        when Stripe stayed unreachable."""
        try:
            ready = self.service.prepare(session_id, trigger="webhook")
        except StripeUnavailable as outage:
            return outage
        except FulfillerFailed:
            return None  # recorded on the session as FulfillmentFailed; support lists it
        except UnknownAtStripe as error:
            self.service.record_failure(session_id, f"unknown at Stripe: {error}", "webhook")
            return None
        return ready if isinstance(ready, Prepared) else None


def _paid(upstream_event: Any) -> bool:
    """A completion or settlement that leaves the session paid (and not a setup)."""
    if not isinstance(upstream_event, CheckoutSession.Completed
                      | CheckoutSession.AsyncPaymentSucceeded):
        return False
    facts = upstream_event.facts
    return facts.mode != "setup" and facts.payment_status in PAID_STATUSES
