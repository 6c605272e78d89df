"""The process application that drives fulfillment from the ledger's log.

It follows the Ledger: a paid completion or a settled delayed payment triggers
``fulfill_checkout`` (trigger "webhook"); a failed delayed payment reaches the
customer. Its own log holds only its position: the outcomes are recorded on the
sessions themselves, so processing an event twice (after a crash) changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from eventsourcing.application import ProcessingEvent

from domain.checkout_session import PAID_STATUSES, CheckoutSession
from domain.fulfillment import FulfillmentService
from domain.ports import StripeUnavailable, UnknownAtStripe
from domain.processing import BatchProcessor

log = logging.getLogger(__name__)


class FulfillmentProcess(BatchProcessor):
    name = "Fulfillment"
    service: FulfillmentService  # set by the composition root

    def policy(self, upstream_event: Any, processing: ProcessingEvent) -> None:
        if isinstance(upstream_event, CheckoutSession.AsyncPaymentFailed):
            self.service.notify_payment_failed(upstream_event.session_id)
        elif isinstance(upstream_event, CheckoutSession.Completed | CheckoutSession.AsyncPaymentSucceeded):
            facts = upstream_event.facts
            if facts.mode != "setup" and facts.payment_status in PAID_STATUSES:
                self._fulfill(upstream_event.session_id)

    def _fulfill(self, session_id: str) -> None:
        try:
            self.service.fulfill_checkout(session_id, trigger="webhook")
        except StripeUnavailable:
            pass  # recorded on the session as FulfillmentFailed; support can retry
        except UnknownAtStripe as error:
            self.service.record_failure(session_id, f"unknown at Stripe: {error}", "webhook")
        except Exception as error:  # the merchant's fulfiller failed: record it, go on
            log.exception("fulfilling %s failed", session_id)
            self.service.record_failure(session_id, f"{type(error).__name__}: {error}", "webhook")
