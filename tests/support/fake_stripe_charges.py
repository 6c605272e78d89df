"""The fake Stripe's off-session charges and recovery Checkout Sessions (``ChargeGateway``).

A charge declines as its test card does (see :data:`tests.support.fake_stripe_cards.TEST_CARDS`);
the same idempotency key replays the first answer and makes nothing new; a timed-out try still
charges (as at Stripe), a 5xx answers before anything happens::

    card = stripe.add_card("pm_card_chargeDeclinedExpiredCard", customer=customer)
    stripe.charge_off_session(ChargeRequest(customer, card, 1500, "usd", None, "charge-1"))
    stripe.charges_of(customer)          # [FakePaymentIntent(...)]: what Stripe holds
    stripe.recovery_sessions             # {cs_id: FakeRecoverySession(...)}
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.model.facts import Pairs
from domain.model.payment_facts import ChargeRequest, ChargeResult, RecoveryRequest
from domain.ports import StripeRefused
from tests.support.fake_stripe_cards import FakeCards, new_id


@dataclass(frozen=True)
class FakePaymentIntent:
    id: str
    customer: str
    payment_method: str
    amount: int
    currency: str
    description: str | None
    metadata: Pairs
    status: str


@dataclass
class FakeRecoverySession:
    id: str
    url: str
    customer: str
    amount: int
    currency: str
    description: str
    metadata: Pairs
    success_url: str
    cancel_url: str
    status: str = "open"


@dataclass
class FakeCharges(FakeCards):
    """PaymentIntents and recovery sessions held in memory, beside the cards."""

    payment_intents: dict[str, FakePaymentIntent] = field(default_factory=dict)
    recovery_sessions: dict[str, FakeRecoverySession] = field(default_factory=dict)

    def charges_of(self, customer: str) -> list[FakePaymentIntent]:
        """The customer's PaymentIntents, oldest first (``GET /v1/payment_intents?customer=``)."""
        return [pi for pi in self.payment_intents.values() if pi.customer == customer]

    def charge_off_session(self, request: ChargeRequest) -> ChargeResult:
        """Charge the customer's card off-session; a decline is a result."""
        return self._call("charge_off_session", lambda: self.replayed(
            request.idempotency_key, request, lambda: self._charge(request)))

    def create_recovery_session(self, request: RecoveryRequest, success_url: str,
                                cancel_url: str) -> tuple[str, str]:
        """A payment-mode session for the customer; its id and URL."""
        return self._call("create_recovery_session", lambda: self.replayed(
            request.idempotency_key, (request, success_url, cancel_url),
            lambda: self._recovery(request, success_url, cancel_url)))

    def close_recovery_session(self, session_id: str) -> bool:
        """Expire the session unless the customer completed it."""
        def close() -> bool:
            session = self.recovery_sessions[session_id]
            if session.status == "open":
                session.status = "expired"
            return session.status != "complete"

        return self._call("close_recovery_session", close)

    def _charge(self, request: ChargeRequest) -> ChargeResult:
        customer = self.customer(request.customer)
        pm = self.payment_method(request.payment_method)
        if pm.customer != customer.id:
            raise StripeRefused(f"InvalidRequestError: The PaymentMethod {pm.id} is not "
                                f"attached to the customer {customer.id}.")
        status = "requires_payment_method" if pm.decline else "succeeded"
        intent = FakePaymentIntent(new_id("pi"), customer.id, pm.id, request.amount,
                                   request.currency, request.description, request.metadata,
                                   status)
        self.payment_intents[intent.id] = intent
        return ChargeResult(intent.id, status, pm.decline)

    def _recovery(self, request: RecoveryRequest, success_url: str,
                  cancel_url: str) -> tuple[str, str]:
        self.customer(request.customer)
        session_id = new_id("cs_test")
        url = f"https://checkout.stripe.com/c/pay/{session_id}"
        self.recovery_sessions[session_id] = FakeRecoverySession(
            session_id, url, request.customer, request.amount, request.currency,
            request.description, request.metadata, success_url, cancel_url)
        return session_id, url
