"""The notices application: customers are told what they must know, once.

Today: a delayed payment that failed, and an off-session charge that was declined (with
the link to pay another way). It follows the Ledger and the charges application on its
own, so a mail server that is down holds back notices but never fulfillment. Each notice
is recorded as sent (a :class:`~domain.model.customer_notice.CustomerNotice`) as soon as
the notifier took it,
before the next one is sent: when the channel goes down half-way through a batch, the
batch is tried again later and the customers already told are not told twice. The ledger
(and the charges application) copy each notice into the session's (charge's) history.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any
from uuid import UUID

from eventsourcing.application import ProcessingEvent, Tracking

from domain.apps.processing import BatchProcessor
from domain.model.charge import Charge
from domain.model.checkout_session import CheckoutSession
from domain.model.customer_notice import (
    PAYMENT_FAILED,
    CustomerNotice,
    notice_uuid,
)
from domain.ports import Notifier, NotifierUnavailable

log = logging.getLogger(__name__)


class CustomerNotices(BatchProcessor):
    """Tells customers what they must know, once each."""

    name = "Notices"
    interests = (CheckoutSession.AsyncPaymentFailed, Charge.RecoveryOffered)

    def __init__(self, env: dict[str, str] | None = None, *, notifier: Notifier) -> None:
        super().__init__(env)
        self.notifier = notifier

    def process_batch(self, upstream: str, batch: Sequence[tuple[int, Any]]) -> int:
        """Send and record each notice the batch calls for, then the batch's position.
        Raises :class:`~domain.ports.NotifierUnavailable` while the channel is down (the
        position stays, so the follower tries again: no customer goes untold)."""
        if not batch:
            return 0
        sent = 0
        # What was sent already, for the whole batch in one query when the store can.
        called_for = [notice for _, event in batch if (notice := _notice(event))]
        known = dict(self.load_many([notice_uuid(*n) for n in called_for]) or {}) \
            if called_for else {}
        for _, event in batch:
            if isinstance(event, CheckoutSession.AsyncPaymentFailed):
                sent += self._tell(event.session_id, PAYMENT_FAILED, event.facts.customer_email,
                                   partial(self.notifier.payment_failed, event.facts), known)
            elif isinstance(event, Charge.RecoveryOffered):
                sent += self._tell(event.charge_id, event.notice, event.to, partial(
                    self.notifier.charge_failed, event.to, event.amount, event.currency,
                    event.url, event.charge_id), known)
        self._record(ProcessingEvent(tracking=Tracking(upstream, batch[-1][0])))
        return sent

    def _tell(self, about: str, reason: str, to: str | None, send: Callable[[], None],
              known: dict[UUID, Any]) -> int:
        """Send one notice unless it was sent (``known``: read ahead); record it as sent
        at once."""
        notice_id = notice_uuid(about, reason)
        found = known[notice_id] if notice_id in known else self.current(notice_id)
        notice = found if isinstance(found, CustomerNotice) else CustomerNotice.of(about, reason)
        if notice.sent:
            return 0
        try:
            send()
        except NotifierUnavailable:
            raise  # the mail server is down: the follower tries again later
        except Exception:  # refused for good (a bad address): support lists the case anyway
            log.exception("telling the customer about %s (%s) failed", about, reason)
            return 0
        notice.record_sent(about, reason, to)
        self.save(notice)
        known[notice_id] = notice  # the same notice later in the batch: sent
        return 1


def _notice(event: Any) -> tuple[str, str] | None:
    """(about, reason) of the notice ``event`` calls for, if any."""
    if isinstance(event, CheckoutSession.AsyncPaymentFailed):
        return event.session_id, PAYMENT_FAILED
    if isinstance(event, Charge.RecoveryOffered):
        return event.charge_id, event.notice
    return None
