"""The charges application: off-session charges of saved cards, made at most once.

A charge is recorded as requested *before* Stripe is called, with an idempotency key
derived from the charge. Stripe's answer is recorded as it comes: charged, declined (then
a recovery Checkout Session is offered and the customer told), or unknown when the answer
was lost. The application follows its own log to finish what a request left open: an
unknown outcome is asked again with the same key (Stripe replays the first result, so
nothing is charged twice), a request a crash cut short is finished after a grace period,
a recovery Stripe could not create is created. It also follows the Ledger (a recovery
session paid) and the notices application (the customer told).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.persistence import IntegrityError

from domain.apps.processing import BatchProcessor, RetryLater, retrying
from domain.errors import ChargeNotFound, CustomerNotFound, IdempotencyConflict
from domain.model.charge import (
    PENDING,
    REQUIRES_PAYMENT_METHOD,
    Charge,
    charge_id_for,
    charge_uuid,
)
from domain.model.checkout_session import PAID_STATUSES, RECOVERY_METADATA_KEY, CheckoutSession
from domain.model.customer import Customer
from domain.model.customer_notice import CHARGE_FAILED, CustomerNotice
from domain.model.payment_facts import ChargeRequest, Decline, RecoveryRequest
from domain.ports import ChargeGateway, StripeRefused, StripeUnavailable, UnknownAtStripe

log = logging.getLogger(__name__)
GRACE = timedelta(seconds=10)  # a request older than this with no outcome was cut short


@dataclass(frozen=True)
class ChargeOrder:
    """A validated request to charge a customer's saved card."""

    customer: str
    amount: int
    currency: str
    payment_method: str | None = None
    description: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class StaffOutcome:
    """What a staff action on a charge did: ``status`` (retried | sent | nothing_to_do),
    in words, and the charge as it stands."""

    status: str
    detail: str
    charge: Charge


class CustomerLookup(Protocol):
    def customer(self, customer_id: str) -> Customer | None: ...


class Charges(BatchProcessor):
    """Charges saved cards off-session, and sees each charge through."""

    name = "Charges"
    interests = (Charge.Requested, Charge.OutcomeUnknown, Charge.Declined, Charge.RetryStarted,
                 CheckoutSession.Completed, CheckoutSession.AsyncPaymentSucceeded,
                 CustomerNotice.Sent)

    def __init__(self, env: dict[str, str] | None = None, *, stripe: ChargeGateway,
                 customers: CustomerLookup, public_url: str,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 sleep: Callable[[float], None] = time.sleep, grace: timedelta = GRACE) -> None:
        super().__init__(env)
        self.stripe = stripe
        self.customers = customers
        self.public_url = public_url
        self.now = now
        self.sleep = sleep
        self.grace = grace

    # Commands ---------------------------------------------------------------------------

    def charge(self, order: ChargeOrder, actor: str) -> Charge:
        """Charge the card (the default one unless the order names one); answer the charge
        as it stands. The same idempotency key again answers the first charge and charges
        nothing. Raises :class:`~domain.errors.CustomerNotFound`,
        :class:`~domain.model.customer.CardNotUsable` and
        :class:`~domain.errors.IdempotencyConflict` before anything is recorded."""
        charge_id = charge_id_for(order.customer, order.idempotency_key)
        existing = self.charge_of(charge_id)
        if existing is not None:
            return self._settled(self._same_order(existing, order))
        customer = self.customers.customer(order.customer)
        if customer is None:
            raise CustomerNotFound(order.customer)
        saved = customer.card_to_charge(order.payment_method, self.now().date())
        charge = Charge.of(charge_id)
        charge.request(charge_id, order.customer, saved.card.payment_method, order.amount,
                       order.currency, order.description, order.idempotency_key,
                       customer.email, actor)
        try:
            self.save(charge)
        except IntegrityError:  # the same key, at the same moment, from another request
            found = self.charge_of(charge_id)
            assert found is not None
            return self._settled(self._same_order(found, order))
        self._attempt(charge)
        try:
            self.save(charge)
        except IntegrityError:  # the resolver recorded the outcome meanwhile
            return self.charge_of(charge_id) or charge
        return charge

    def retry(self, charge_id: str, actor: str, reason: str | None) -> StaffOutcome:
        """A new off-session attempt of a declined charge, on a staff member's request
        (recorded with their name). A charge that succeeded, was paid another way or is
        still in flight is left alone; raises :class:`~domain.errors.ChargeNotFound`."""
        def ask() -> tuple[Charge, str | None]:
            charge = self._known(charge_id)
            why = charge.open_for_support
            charge.ask("retry", actor, reason)
            charge.start_retry()
            self.save(charge)
            return charge, why

        charge, why = retrying(ask)
        if why is not None:
            return StaffOutcome("nothing_to_do", why, charge)
        self._attempt(charge)
        try:
            self.save(charge)
        except IntegrityError:  # the resolver recorded the outcome meanwhile
            charge = self._known(charge_id)
        return StaffOutcome("retried", f"attempt {charge.attempt}: {charge.status}", charge)

    def new_recovery_link(self, charge_id: str, actor: str, reason: str | None
                          ) -> StaffOutcome:
        """A new recovery Checkout Session for a declined charge, sent to the customer
        (the notices application sends it); recorded with the staff member's name.
        Raises ``StripeUnavailable`` (nothing recorded) while Stripe cannot be reached."""
        charge = self._known(charge_id)
        why = charge.open_for_support
        if why is None:
            session_id, url = self._recovery_session(
                charge, f"{charge.stripe_key}:recovery:{charge.recoveries + 1}")

        def record() -> Charge:
            latest = self._known(charge_id)
            latest.ask("recovery_link", actor, reason)
            if why is None:
                latest.renew_recovery(session_id, url, actor, reason)
            self.save(latest)
            return latest

        charge = retrying(record)
        if why is not None:
            return StaffOutcome("nothing_to_do", why, charge)
        return StaffOutcome("sent", f"new link {session_id} sent to "
                                    f"{charge.requested.email if charge.requested else None}",
                            charge)

    # Queries ------------------------------------------------------------------------------

    def _known(self, charge_id: str) -> Charge:
        charge = self.charge_of(charge_id)
        if charge is None or charge.requested is None:
            raise ChargeNotFound(charge_id)
        return charge

    def charge_at(self, charge_id: str, version: int) -> Charge:
        """The charge as it stood after its ``version``-th event; raises
        :class:`~domain.errors.ChargeNotFound` past its last one."""
        try:
            found: Any = self.repository.get(charge_uuid(charge_id), version=version)
        except AggregateNotFoundError:
            raise ChargeNotFound(charge_id) from None
        if not isinstance(found, Charge) or found.version < version:
            raise ChargeNotFound(charge_id)
        return found


    def charge_of(self, charge_id: str, processing: ProcessingEvent | None = None
                  ) -> Charge | None:
        found = self.current(charge_uuid(charge_id), processing)
        return found if isinstance(found, Charge) else None

    def history(self, charge_id: str) -> list[Charge.Event]:
        """Every event of the charge, oldest first; raises
        :class:`~domain.errors.ChargeNotFound`."""
        events = list(self.events.get(charge_uuid(charge_id)))
        if not events:
            raise ChargeNotFound(charge_id)
        return events  # type: ignore[return-value]

    # Following its own log, the Ledger's and the notices' ------------------------------------

    def policy(self, upstream_event: Any, processing: ProcessingEvent) -> None:
        if isinstance(upstream_event, Charge.Requested | Charge.OutcomeUnknown
                      | Charge.Declined | Charge.RetryStarted):
            charge = self.charge_of(upstream_event.charge_id, processing)
            if charge is not None and self._finish(charge, upstream_event):
                processing.collect_events(charge)
        elif isinstance(upstream_event, CheckoutSession.Completed
                        | CheckoutSession.AsyncPaymentSucceeded):
            self._recovered(upstream_event, processing)
        elif isinstance(upstream_event, CustomerNotice.Sent) \
                and upstream_event.reason.split(":")[0] == CHARGE_FAILED:
            charge = self.charge_of(upstream_event.about, processing)
            if charge is not None and charge.record_notified(upstream_event.reason,
                                                             upstream_event.to):
                processing.collect_events(charge)

    def _finish(self, charge: Charge, event: Any) -> bool:
        """Ask Stripe again what a request left open; True if anything was recorded."""
        before = len(charge.pending_events)
        if not charge.has_outcome:
            if charge.status == PENDING and self.now() - event.timestamp < self.grace:
                raise RetryLater(f"{charge.charge_id} may still be in its request")
            self._attempt(charge, patient=False)
        elif charge.declined and charge.recovery is None:
            self._offer_recovery(charge, patient=False)
        return len(charge.pending_events) > before

    def _recovered(self, event: Any, processing: ProcessingEvent) -> None:
        facts = event.facts
        charge_id = dict(facts.metadata).get(RECOVERY_METADATA_KEY)
        if charge_id is None or facts.payment_status not in PAID_STATUSES:
            return
        charge = self.charge_of(charge_id, processing)
        if charge is not None and charge.record_recovered(facts.session_id):
            processing.collect_events(charge)

    # Steps ----------------------------------------------------------------------------------

    def _attempt(self, charge: Charge, *, patient: bool = True) -> None:
        """Call Stripe (with the charge's key) and record its answer. A lost answer is
        recorded as unknown (``patient``: the request answers now), or raised (the
        resolver: the batch is tried again later)."""
        asked = charge.requested
        assert asked is not None
        request = ChargeRequest(
            customer=asked.customer, payment_method=asked.payment_method, amount=asked.amount,
            currency=asked.currency, description=asked.description,
            idempotency_key=charge.stripe_key,
            metadata=((RECOVERY_METADATA_KEY, charge.charge_id),))
        try:
            result = self.stripe.charge_off_session(request)
        except StripeUnavailable as lost:
            if not patient:
                raise  # the resolver: nothing recorded, the batch is tried again later
            charge.record_unknown(str(lost))
            return
        except (UnknownAtStripe, StripeRefused) as refused:
            charge.record_decline(None, REQUIRES_PAYMENT_METHOD,
                                  Decline(type(refused).__name__, None, str(refused)))
        else:
            if result.decline is not None:
                charge.record_decline(result.payment_intent, result.status, result.decline)
            else:
                charge.record_success(result.payment_intent, result.status)
        if charge.declined and charge.recovery is None:
            self._offer_recovery(charge, patient=patient)

    def _recovery_session(self, charge: Charge, key: str) -> tuple[str, str]:
        asked = charge.requested
        assert asked is not None
        request = RecoveryRequest(
            customer=asked.customer, amount=asked.amount, currency=asked.currency,
            description=asked.description or f"Payment {charge.charge_id}",
            metadata=((RECOVERY_METADATA_KEY, charge.charge_id),), idempotency_key=key)
        return self.stripe.create_recovery_session(
            request, success_url=f"{self.public_url}/success?session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=f"{self.public_url}/")

    def _offer_recovery(self, charge: Charge, *, patient: bool) -> None:
        try:
            session_id, url = self._recovery_session(charge, f"{charge.stripe_key}:recovery")
        except StripeUnavailable:
            if not patient:
                raise
            log.warning("no recovery session for %s yet (Stripe unavailable)", charge.charge_id)
            return
        charge.offer_recovery(session_id, url)

    def _settled(self, charge: Charge, patience: float = 5.0) -> Charge:
        """The charge once another request in flight for it has recorded Stripe's answer
        (waiting up to ``patience`` seconds; as it stands after that)."""
        waited = 0.0
        while charge.status == PENDING and waited < patience:
            self.sleep(0.05)
            waited += 0.05
            charge = self.charge_of(charge.charge_id) or charge
        return charge

    @staticmethod
    def _same_order(charge: Charge, order: ChargeOrder) -> Charge:
        asked = charge.requested
        assert asked is not None
        if (asked.amount, asked.currency) != (order.amount, order.currency) or (
                order.payment_method not in (None, asked.payment_method)):
            raise IdempotencyConflict(
                f"idempotency_key {order.idempotency_key!r} was used for another charge "
                f"({charge.charge_id}: {asked.amount} {asked.currency})")
        return charge
