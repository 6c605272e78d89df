"""The Support process application: what needs a person, projected from the ledger's log.

It follows the Ledger (more upstream logs later: the charges, the subscriptions, the
inbox for unprocessable events; positions are tracked per upstream) and keeps the
:class:`~domain.failure_board.FailureBoard` of open cases. Answering
``GET /support/failures`` loads that one aggregate (from its latest snapshot), never
the log. Rebuilding is replaying: drop the Support tables and follow from position 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent

from domain.checkout_session import CheckoutSession
from domain.failure_board import BOARD_ID, FailureBoard
from domain.ledger import Ledger
from domain.processing import BatchProcessor

ASYNC_PAYMENT_FAILED = "async_payment_failed"
FULFILLMENT_FAILED = "fulfillment_failed"
#: The kinds of case this projection opens today (later features add theirs).
FAILURE_KINDS = (ASYNC_PAYMENT_FAILED, FULFILLMENT_FAILED)
SNAPSHOT_EVERY = 100  # board events between snapshots: bounds what a query replays


class Support(BatchProcessor):
    """Opens a case for each failure that needs a person; closes it once mended."""

    name = "Support"
    is_snapshotting_enabled = True
    ledger: Ledger  # set by the composition root: a failure's session as it stood

    def failures(self) -> list[dict[str, Any]]:
        """The open cases, oldest first."""
        return self._board().open_cases()

    # Following the ledger ------------------------------------------------------------

    def policy(self, upstream_event: Any, processing: ProcessingEvent) -> None:
        if not isinstance(upstream_event, _RELEVANT):
            return
        board = self._board(processing)
        session_id = upstream_event.session_id
        if isinstance(upstream_event, CheckoutSession.AsyncPaymentFailed):
            facts = upstream_event.facts
            board.report(ASYNC_PAYMENT_FAILED, session_id, since=upstream_event.timestamp,
                         attempts=1, last_error="the delayed payment failed at the bank",
                         customer=facts.customer or facts.customer_email,
                         amount=facts.amount_total, currency=facts.currency)
        elif isinstance(upstream_event, CheckoutSession.FulfillmentFailed):
            # The session as it stood at that failure: replaying gives the same case.
            session = self.ledger.session(session_id,
                                          version=upstream_event.originator_version)
            state = session.state
            board.report(FULFILLMENT_FAILED, session_id, since=upstream_event.timestamp,
                         attempts=upstream_event.attempts, last_error=upstream_event.error,
                         customer=state["customer"] or state["customer_email"],
                         amount=state["amount_total"], currency=state["currency"])
        elif isinstance(upstream_event, CheckoutSession.Fulfilled):
            board.resolve(FULFILLMENT_FAILED, session_id, "fulfilled")
            board.resolve(ASYNC_PAYMENT_FAILED, session_id, "fulfilled")
        elif isinstance(upstream_event, CheckoutSession.AsyncPaymentSucceeded):
            board.resolve(ASYNC_PAYMENT_FAILED, session_id, "payment succeeded")
        elif isinstance(upstream_event, CheckoutSession.Expired):
            board.resolve(FULFILLMENT_FAILED, session_id, "expired: nothing to fulfil")
        processing.collect_events(board)  # also keeps it for the rest of the batch

    def process_batch(self, upstream: str, batch: Sequence[tuple[int, Any]]) -> int:
        recorded = super().process_batch(upstream, batch)
        if recorded:
            self._snapshot_if_due(recorded)
        return recorded

    # Steps -------------------------------------------------------------------------------

    def _board(self, processing: ProcessingEvent | None = None) -> FailureBoard:
        if processing is not None:
            pending = self.pending(processing, BOARD_ID)
            if isinstance(pending, FailureBoard):
                return pending
        try:
            board: Any = self.repository.get(BOARD_ID)
        except AggregateNotFoundError:
            return FailureBoard.start()
        assert isinstance(board, FailureBoard)
        return board

    def _snapshot_if_due(self, recorded: int) -> None:
        version = self._board().version
        if version // SNAPSHOT_EVERY != (version - recorded) // SNAPSHOT_EVERY:
            self.take_snapshot(BOARD_ID, version=version)


_RELEVANT = (CheckoutSession.AsyncPaymentFailed, CheckoutSession.FulfillmentFailed,
             CheckoutSession.Fulfilled, CheckoutSession.AsyncPaymentSucceeded,
             CheckoutSession.Expired)
