"""The steps of ``fulfill_checkout(session_id)``, Stripe's "fulfill orders" guide.

Retrieve the session from Stripe (line items auto-paginated; transient errors retried
with backoff), decide from its ``status`` and ``payment_status`` whether it is payable,
then the fulfillment application calls the merchant's fulfiller and records the outcome
(:mod:`domain.apps.fulfillment`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from domain.errors import LedgerError
from domain.model.checkout_session import PAID_STATUSES, is_recovery
from domain.model.facts import CheckoutSnapshot, LineItem, SessionFacts
from domain.model.fulfillment import Fulfillment
from domain.ports import StripeGateway, StripeUnavailable

log = logging.getLogger(__name__)

RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)  # transient Stripe errors, before giving up for now


class FulfillerFailed(LedgerError):
    """The merchant's fulfiller raised; the failure is already recorded."""

    def __init__(self, session_id: str, error: str) -> None:
        super().__init__(f"fulfilling {session_id} failed: {error}")
        self.session_id = session_id
        self.error = error


@dataclass(frozen=True)
class Prepared:
    """A paid session whose line items the fulfiller has granted, not yet recorded."""

    snapshot: CheckoutSnapshot
    granted: tuple[str, ...]
    fulfillment: Fulfillment | None  # as loaded before fulfilling; None: read it again


@dataclass(frozen=True)
class Outcome:
    """Where a session stands after ``fulfill_checkout``."""

    status: str  # fulfilled | processing | failed | expired | not_required | open
    #              | payment_received (a declined charge paid through its recovery session)
    facts: SessionFacts | None
    line_items: tuple[LineItem, ...] = ()
    fulfillment: Fulfillment | None = None
    newly_fulfilled: bool = False


def retrieve(stripe: StripeGateway, session_id: str, delays: tuple[float, ...],
             sleep: Callable[[float], None]) -> CheckoutSnapshot:
    """The session from Stripe, trying again after each delay while Stripe is unavailable.
    Raises :class:`~domain.ports.StripeUnavailable` when every try failed."""
    for tries, delay in enumerate((*delays, None), start=1):
        try:
            return stripe.retrieve_checkout(session_id)
        except StripeUnavailable as error:
            if delay is None:
                raise StripeUnavailable(f"Stripe unavailable after {tries} tries: {error}"
                                        ) from error
            log.warning("retrieving %s failed (%s); retrying in %.1f s", session_id, error, delay)
            sleep(delay)
    raise AssertionError("unreachable")


def standing(facts: SessionFacts, payment_failed: Callable[[], bool]) -> str:
    """Why a retrieved session is not to be fulfilled now, or "payable". Stripe shows a
    failed delayed payment as ``unpaid``, like one still processing: ``payment_failed``
    asks the ledger, which heard of the failure."""
    if facts.mode == "setup":
        return "not_required"
    if is_recovery(facts):
        return "payment_received" if facts.payment_status in PAID_STATUSES else "open"
    if facts.status == "expired":
        return "expired"
    if facts.status != "complete":
        return "open"
    if facts.payment_status in PAID_STATUSES:
        return "payable"
    return "failed" if payment_failed() else "processing"
