"""The Charge aggregate: one off-session charge of a saved card, from request to outcome.

The intent to charge is recorded *before* Stripe is called, and Stripe is called with an
idempotency key derived from the charge, so whatever crashes or repeats, the charge is
made at most once: a lost answer (timeout, 5xx) is recorded as unknown and asked again
with the same key, and Stripe replays the first result.
"""

from __future__ import annotations

import uuid
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.model.base import Record
from domain.model.checkout_session import FailureSummary
from domain.model.customer_notice import CHARGE_FAILED as CHARGE_FAILED_NOTICE
from domain.model.payment_facts import Decline
from domain.model.subscription import attempt_of

# What the charge's status is after each outcome (the contract's words).
SUCCEEDED, REQUIRES_PAYMENT_METHOD, UNKNOWN, PENDING = (
    "succeeded", "requires_payment_method", "unknown", "pending")


def charge_id_for(customer: str, idempotency_key: str | None) -> str:
    """The charge's id: derived from the caller's idempotency key (the same key, the same
    charge), or new when there is none."""
    if idempotency_key is None:
        return f"chg_{uuid.uuid4().hex[:24]}"
    return f"chg_{uuid5(NAMESPACE_URL, f'charge:{customer}:{idempotency_key}').hex[:24]}"


def charge_uuid(charge_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"checkout-ledger:charge:{charge_id}")


class Charge(Record):
    """An off-session charge and everything that happened to it."""

    class Event(Record.Event):
        charge_id: str

    class Requested(Event):
        """Someone asked to charge the customer's card (before Stripe is called)."""

        customer: str
        payment_method: str
        amount: int
        currency: str
        description: str | None
        idempotency_key: str | None
        email: str | None
        actor: str

        def apply(self, charge: Charge) -> None:
            charge.charge_id = self.charge_id
            charge.requested = self

    class Succeeded(Event):
        """Stripe charged the card."""

        payment_intent: str | None
        status: str  # succeeded | processing

        def apply(self, charge: Charge) -> None:
            charge.status = SUCCEEDED
            charge.payment_intent = self.payment_intent
            charge.failure = None

    class Declined(Event):
        """Stripe refused the charge (a decline, or a card it will not charge)."""

        payment_intent: str | None
        status: str  # requires_payment_method | requires_action
        decline: Decline
        summary: FailureSummary

        def apply(self, charge: Charge) -> None:
            charge.status = self.status
            charge.payment_intent = self.payment_intent
            charge.failure = self.decline

    class OutcomeUnknown(Event):
        """Stripe's answer was lost (timeout, 5xx): asked again later with the same key."""

        error: str
        summary: FailureSummary

        def apply(self, charge: Charge) -> None:
            charge.status = UNKNOWN
            charge.last_error = self.error
            charge.unknown_count += 1

    class RecoveryOffered(Event):
        """A Checkout Session for the customer to pay with another card (or the same)."""

        session_id: str
        url: str
        to: str | None
        amount: int
        currency: str

        def apply(self, charge: Charge) -> None:
            charge.recovery = (self.session_id, self.url)
            charge.recoveries += 1
            charge.recovery_sessions = (*charge.recovery_sessions, self.session_id)

        @property
        def notice(self) -> str:
            """The reason of the customer notice that sends this link."""
            return CHARGE_FAILED_NOTICE

    class RecoveryRenewed(RecoveryOffered):
        """A staff member had a new recovery session made and sent (the ``number``-th)."""

        number: int
        actor: str
        reason: str | None

        @property
        def notice(self) -> str:
            return f"{CHARGE_FAILED_NOTICE}:{self.number}"

    class StaffActionRequested(Event):
        """A staff member asked for an action on the charge (recorded before it runs)."""

        action: str
        actor: str
        reason: str | None

    class RetryStarted(Event):
        """A new off-session attempt (the ``attempt``-th), with a key of its own."""

        attempt: int

        def apply(self, charge: Charge) -> None:
            charge.attempt = self.attempt
            charge.status = PENDING
            charge.failure = None

    class CustomerNotified(Event):
        """The customer was told (with the recovery link)."""

        reason: str
        to: str | None

        def apply(self, charge: Charge) -> None:
            charge.notified = (*charge.notified, self.reason)

    class Recovered(Event):
        """The customer paid through the recovery session."""

        session_id: str

        def apply(self, charge: Charge) -> None:
            charge.recovered_by = self.session_id

    def start(self) -> None:
        self.charge_id = ""
        self.requested: Charge.Requested | None = None
        self.status = PENDING
        self.payment_intent: str | None = None
        self.failure: Decline | None = None
        self.last_error: str | None = None
        self.unknown_count = 0
        self.recovery: tuple[str, str] | None = None
        self.notified: tuple[str, ...] = ()
        self.recovered_by: str | None = None
        self.recoveries = 0
        self.recovery_sessions: tuple[str, ...] = ()  # every one offered, oldest first
        self.attempt = 1

    @classmethod
    def of(cls, charge_id: str) -> Charge:
        return cls.blank(charge_uuid(charge_id))

    @property
    def has_outcome(self) -> bool:
        """Stripe's answer is known (charged, or refused)."""
        return self.status not in (PENDING, UNKNOWN)

    @property
    def declined(self) -> bool:
        return self.failure is not None and self.status != SUCCEEDED

    @property
    def summary(self) -> FailureSummary:
        """Who and how much, for support."""
        asked = self.requested
        assert asked is not None
        renewal = attempt_of(asked.idempotency_key)
        return FailureSummary(asked.email or asked.customer, asked.amount, asked.currency,
                              renewal[0] if renewal else None)

    @property
    def stripe_key(self) -> str:
        """The Idempotency-Key every call to Stripe about this attempt uses (a retry is a
        new attempt, with a key of its own)."""
        key = f"checkout-ledger:{self.charge_id}"
        return key if self.attempt == 1 else f"{key}:retry:{self.attempt}"

    @property
    def open_for_support(self) -> str | None:
        """Why a staff action on this charge would do nothing (None: it would act)."""
        if self.recovered_by is not None:
            return f"already paid through {self.recovered_by}"
        if self.status == SUCCEEDED:
            return "already charged"
        if not self.has_outcome:
            return "an attempt is still in flight (its outcome is not known yet)"
        return None

    # Commands --------------------------------------------------------------------------

    def request(self, charge_id: str, customer: str, payment_method: str, amount: int,
                currency: str, description: str | None, idempotency_key: str | None,
                email: str | None, actor: str) -> None:
        assert self.is_new
        self.trigger_event(self.Requested, charge_id=charge_id, customer=customer,
                           payment_method=payment_method, amount=amount, currency=currency,
                           description=description, idempotency_key=idempotency_key,
                           email=email, actor=actor)

    def record_success(self, payment_intent: str | None, status: str) -> bool:
        if self.has_outcome:
            return False
        self.trigger_event(self.Succeeded, charge_id=self.charge_id,
                           payment_intent=payment_intent, status=status)
        return True

    def record_decline(self, payment_intent: str | None, status: str, decline: Decline) -> bool:
        if self.has_outcome:
            return False
        self.trigger_event(self.Declined, charge_id=self.charge_id,
                           payment_intent=payment_intent, status=status, decline=decline,
                           summary=self.summary)
        return True

    def record_unknown(self, error: str) -> bool:
        if self.has_outcome:
            return False
        self.trigger_event(self.OutcomeUnknown, charge_id=self.charge_id, error=error,
                           summary=self.summary)
        return True

    def offer_recovery(self, session_id: str, url: str) -> bool:
        if self.recovery is not None or not self.declined or self.requested is None:
            return False
        self.trigger_event(self.RecoveryOffered, charge_id=self.charge_id,
                           session_id=session_id, url=url, to=self.requested.email,
                           amount=self.requested.amount, currency=self.requested.currency)
        return True

    def record_notified(self, reason: str, to: str | None) -> bool:
        if reason in self.notified:
            return False
        self.trigger_event(self.CustomerNotified, charge_id=self.charge_id, reason=reason, to=to)
        return True

    def ask(self, action: str, actor: str, reason: str | None) -> None:
        """Record a staff member's request (before it runs, whatever it then does)."""
        self.trigger_event(self.StaffActionRequested, charge_id=self.charge_id, action=action,
                           actor=actor, reason=reason)

    def start_retry(self) -> bool:
        """Begin a new attempt of a declined charge; False when there is nothing to retry."""
        if self.open_for_support is not None:
            return False
        self.trigger_event(self.RetryStarted, charge_id=self.charge_id, attempt=self.attempt + 1)
        return True

    def renew_recovery(self, session_id: str, url: str, actor: str, reason: str | None) -> bool:
        """Record a new recovery session made on a staff member's request."""
        if self.open_for_support is not None or self.requested is None:
            return False
        self.trigger_event(self.RecoveryRenewed, charge_id=self.charge_id,
                           session_id=session_id, url=url, to=self.requested.email,
                           amount=self.requested.amount, currency=self.requested.currency,
                           number=self.recoveries + 1, actor=actor, reason=reason)
        return True

    def record_recovered(self, session_id: str) -> bool:
        if self.recovered_by is not None:
            return False
        self.trigger_event(self.Recovered, charge_id=self.charge_id, session_id=session_id)
        return True
