"""The Support application: what needs a person, projected from the ledger's log.

It follows the Ledger and keeps the :class:`~domain.model.failure_board.FailureBoard` of
open cases. Every case is opened and closed from what the ledger's events carry, never
by asking the ledger back. Answering ``GET /support/failures`` loads that one aggregate
(from its latest snapshot), never the log. Rebuilding is replaying: drop the Support
tables and follow from position 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from eventsourcing.application import ProcessingEvent

from domain.apps.processing import BatchProcessor
from domain.model.charge import Charge
from domain.model.checkout_session import CheckoutSession
from domain.model.failure_board import BOARD_ID, Case, FailureBoard
from domain.model.parked_event import ParkedEvent
from domain.model.stripe_subscription import StripeSubscription
from domain.model.subscription import Subscription
from domain.model.subscription_facts import ACTIVE, CANCELED, PAST_DUE, UNPAID

ASYNC_PAYMENT_FAILED = "async_payment_failed"
FULFILLMENT_FAILED = "fulfillment_failed"
EVENT_UNPROCESSABLE = "event_unprocessable"
CHARGE_FAILED = "charge_failed"
RENEWAL_FAILED = "renewal_failed"
#: The kinds of case this projection opens.
FAILURE_KINDS = (ASYNC_PAYMENT_FAILED, FULFILLMENT_FAILED, EVENT_UNPROCESSABLE, CHARGE_FAILED,
                 RENEWAL_FAILED)
SNAPSHOT_EVERY = 100  # board events between snapshots: bounds what a query replays


class Support(BatchProcessor):
    """Opens a case for each failure that needs a person; closes it once mended."""

    name = "Support"
    interests = (CheckoutSession.AsyncPaymentFailed, CheckoutSession.FulfillmentFailed,
                 CheckoutSession.Fulfilled, CheckoutSession.AsyncPaymentSucceeded,
                 CheckoutSession.Expired, ParkedEvent.Event, Charge.Event,
                 Subscription.AttemptFailed, Subscription.RetriesExhausted,
                 Subscription.PeriodPaid, Subscription.Canceled,
                 StripeSubscription.Reported)
    is_snapshotting_enabled = True

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        # The board as this follower last recorded it, handed to the next batch as it is:
        # reading it again (its snapshot, then its events) was a fifth of the worker's CPU.
        # Dropped whenever an attempt or a write fails, and read from the store again.
        # Another worker's write in between is caught by the store: this one's next write
        # of the board conflicts (its version is taken), and the batch is read again.
        self._held: FailureBoard | None = None

    def failures(self) -> list[Case]:
        """The open cases, oldest first (as recorded, whichever process asks)."""
        return self._board().open_cases()

    # Following the ledger ------------------------------------------------------------

    def policy(self, upstream_event: Any, processing: ProcessingEvent) -> None:
        board = self._board(processing)
        if isinstance(upstream_event, CheckoutSession.Event):
            _follow_session(board, upstream_event)
        elif isinstance(upstream_event, ParkedEvent.Event):
            _follow_parked(board, upstream_event)
        elif isinstance(upstream_event, Charge.Event):
            _follow_charge(board, upstream_event)
        elif isinstance(upstream_event, Subscription.Event):
            _follow_renewals(board, upstream_event)
        elif isinstance(upstream_event, StripeSubscription.Reported):
            _follow_stripe_subscription(board, upstream_event)
        processing.collect_events(board)  # also keeps it for the rest of the batch

    def process_batch(self, upstream: str, batch: Sequence[tuple[int, Any]]) -> int:
        try:
            return super().process_batch(upstream, batch)
        except BaseException:
            self._held = None  # changed by an attempt that was not recorded
            raise

    def _forget_attempt(self) -> None:
        super()._forget_attempt()
        self._held = None

    def _record(self, processing: ProcessingEvent) -> Any:
        recordings = super()._record(processing)
        board = processing.aggregates.get(BOARD_ID)
        if isinstance(board, FailureBoard):
            self._snapshot_if_due(board, processing)
            self._held = board
        return recordings

    def _board(self, processing: ProcessingEvent | None = None) -> FailureBoard:
        if processing is not None and BOARD_ID not in processing.aggregates \
                and self._held is not None:
            return self._held
        found = self.current(BOARD_ID, processing)
        return found if isinstance(found, FailureBoard) else FailureBoard.start()

    def _snapshot_if_due(self, board: FailureBoard, processing: ProcessingEvent) -> None:
        """A snapshot of the board just recorded, when it passed a multiple of
        SNAPSHOT_EVERY (taken from the board itself: it is the recorded state)."""
        if self.snapshots is None:  # a store without snapshots (a rebuild's)
            return
        recorded = sum(1 for e in processing.events if e.originator_id == BOARD_ID)
        version = board.version
        if version // SNAPSHOT_EVERY != (version - recorded) // SNAPSHOT_EVERY:
            self.snapshots.put([FailureBoard.Snapshot.take(board)])


def _follow_session(board: FailureBoard, event: CheckoutSession.Event) -> None:
    session_id = event.session_id
    if isinstance(event, CheckoutSession.AsyncPaymentFailed):
        facts = event.facts
        board.report(ASYNC_PAYMENT_FAILED, session_id, since=event.timestamp, attempts=1,
                     last_error="the delayed payment failed at the bank",
                     customer=facts.customer or facts.customer_email,
                     amount=facts.amount_total, currency=facts.currency)
    elif isinstance(event, CheckoutSession.FulfillmentFailed):
        summary = event.summary
        board.report(FULFILLMENT_FAILED, session_id, since=event.timestamp,
                     attempts=event.attempts, last_error=event.error,
                     customer=summary.customer, amount=summary.amount,
                     currency=summary.currency)
    elif isinstance(event, CheckoutSession.Fulfilled):
        board.resolve(FULFILLMENT_FAILED, session_id, "fulfilled")
        board.resolve(ASYNC_PAYMENT_FAILED, session_id, "fulfilled")
    elif isinstance(event, CheckoutSession.AsyncPaymentSucceeded):
        board.resolve(ASYNC_PAYMENT_FAILED, session_id, "payment succeeded")
    elif isinstance(event, CheckoutSession.Expired):
        board.resolve(FULFILLMENT_FAILED, session_id, "expired: nothing to fulfil")


def _follow_parked(board: FailureBoard, event: ParkedEvent.Event) -> None:
    if isinstance(event, ParkedEvent.Parked):
        board.report(EVENT_UNPROCESSABLE, event.stripe_event_id, since=event.timestamp,
                     attempts=event.attempts, last_error=event.error,
                     event_type=event.type)
    elif isinstance(event, ParkedEvent.Reprocessed):
        board.resolve(EVENT_UNPROCESSABLE, event.stripe_event_id,
                      f"reprocessed by {event.actor}: {event.outcome}")


def _follow_charge(board: FailureBoard, event: Charge.Event) -> None:
    if isinstance(event, Charge.Declined | Charge.OutcomeUnknown) \
            and event.summary.subscription is None:  # a renewal's: its subscription's case
        case = board.cases.get(f"{CHARGE_FAILED}:{event.charge_id}")
        if isinstance(event, Charge.Declined):
            decline = event.decline
            error = ": ".join(filter(None, (decline.code, decline.decline_code))) \
                + f" ({decline.message})"
        else:
            error = f"outcome unknown, asked again with the same key: {event.error}"
        summary = event.summary
        board.report(CHARGE_FAILED, event.charge_id, since=event.timestamp,
                     attempts=(case.attempts + 1) if case else 1, last_error=error,
                     customer=summary.customer, amount=summary.amount,
                     currency=summary.currency)
    elif isinstance(event, Charge.Succeeded):
        board.resolve(CHARGE_FAILED, event.charge_id, "charged")
    elif isinstance(event, Charge.Recovered):
        board.resolve(CHARGE_FAILED, event.charge_id, f"paid through {event.session_id}")


def _follow_renewals(board: FailureBoard, event: Subscription.Event) -> None:
    sub_id = event.subscription_id
    if isinstance(event, Subscription.AttemptFailed):
        summary = event.summary
        retry = event.next_retry_at
        board.report(RENEWAL_FAILED, sub_id, since=event.failed_at, attempts=event.attempt + 1,
                     last_error=f"{event.error}; " + (f"next retry {retry.isoformat()}" if retry
                                                     else "no retry left"),
                     customer=summary.customer, amount=summary.amount,
                     currency=summary.currency)
    elif isinstance(event, Subscription.RetriesExhausted):
        case = board.cases.get(f"{RENEWAL_FAILED}:{sub_id}")
        if case is not None:
            board.report(RENEWAL_FAILED, sub_id, since=datetime.fromisoformat(case.since),
                         attempts=case.attempts,
                         last_error=f"{case.last_error}: now {event.final_status}")
    elif isinstance(event, Subscription.PeriodPaid):
        board.resolve(RENEWAL_FAILED, sub_id, f"paid ({event.via})")
    elif isinstance(event, Subscription.Canceled):
        board.resolve(RENEWAL_FAILED, sub_id, "canceled")


def _follow_stripe_subscription(board: FailureBoard, event: StripeSubscription.Reported) -> None:
    """A renewal whose payment failed is a case until the subscription is paid up or ends.

    It follows how the subscription stood after each event (``event.standing``, which the
    ledger derived from every event so far), so an old failure delivered after the payment
    that settled it opens nothing. A payment waiting for the customer to authenticate it
    is not a decline: it neither opens a case nor closes one.
    """
    subscription = event.subscription_id
    standing = event.standing
    failure = standing.failure
    if standing.status in (PAST_DUE, UNPAID) and failure is not None:
        if failure.action_required:
            return
        board.report(RENEWAL_FAILED, subscription, since=event.timestamp,
                     attempts=failure.attempt_count,
                     last_error=f"invoice {failure.invoice} payment failed "
                                f"(attempt {failure.attempt_count})",
                     customer=standing.customer, amount=failure.amount_due,
                     currency=failure.currency)
    elif standing.status == CANCELED:
        board.resolve(RENEWAL_FAILED, subscription, "subscription canceled")
    elif standing.status == ACTIVE:
        board.resolve(RENEWAL_FAILED, subscription,
                      f"invoice {event.facts.invoice} paid"
                      if isinstance(event, StripeSubscription.InvoicePaid) else "active again")
