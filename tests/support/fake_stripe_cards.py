"""The fake Stripe's customers, saved cards and setup sessions (``CardGateway``).

Cards are Stripe's test PaymentMethod ids, as the emulator serves them: each use of
``pm_card_visa`` (``add_card``, ``attach_card``, a setup session) makes a new ``pm_...`` of that
card, whose fingerprint is the same for the same card number, as at Stripe::

    customer = stripe.add_customer("ada@example.com")
    card = stripe.add_card("pm_card_chargeDeclinedInsufficientFunds", customer=customer)
    session_id = stripe.add_setup_session("pm_card_visa", email="ada@example.com")
    stripe.delete_customer(customer)     # retrieve_customer: UnknownAtStripe from now on
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from domain.model.payment_facts import Card, Decline, SetupResult, StripeCustomer
from domain.ports import StripeRefused, UnknownAtStripe

T = TypeVar("T")
_ids = itertools.count(1)

GENERIC = Decline("card_declined", "generic_decline", "Your card was declined.")
# Test PaymentMethod id -> (card number, brand, what an off-session charge does).
TEST_CARDS: dict[str, tuple[str, str, Decline | None]] = {
    "pm_card_visa": ("4242424242424242", "visa", None),
    "pm_card_mastercard": ("5555555555554444", "mastercard", None),
    "pm_card_chargeDeclined": ("4000000000000002", "visa", GENERIC),
    "pm_card_chargeDeclinedInsufficientFunds": ("4000000000009995", "visa", Decline(
        "card_declined", "insufficient_funds", "Your card has insufficient funds.")),
    "pm_card_chargeDeclinedExpiredCard": ("4000000000000069", "visa", Decline(
        "expired_card", "expired_card", "Your card has expired.")),
    "pm_card_chargeCustomerFail": ("4000000000000341", "visa", GENERIC),
    "pm_card_authenticationRequired": ("4000002760003184", "visa", Decline(
        "authentication_required", "authentication_required",
        "Your card was declined. This transaction requires authentication.")),
}


def new_id(prefix: str) -> str:
    """A fresh Stripe-looking id (``cus_fake000001``...)."""
    return f"{prefix}_fake{next(_ids):06d}"


@dataclass
class FakeCustomer:
    id: str
    email: str | None
    default_payment_method: str | None = None
    deleted: bool = False


@dataclass
class FakeCard:
    """A card PaymentMethod; ``decline`` is what an off-session charge on it does."""

    id: str
    test_card: str
    customer: str | None
    decline: Decline | None

    def card(self) -> Card:
        number, brand, _ = TEST_CARDS[self.test_card]
        return Card(self.id, brand, number[-4:], 12, 2034,
                    hashlib.sha256(number.encode()).hexdigest()[:16], self.customer)


@dataclass
class FakeCards:
    """Customers, card PaymentMethods and setup sessions held in memory."""

    customers: dict[str, FakeCustomer] = field(default_factory=dict)
    payment_methods: dict[str, FakeCard] = field(default_factory=dict)
    setup_sessions: dict[str, SetupResult] = field(default_factory=dict)
    idempotent: dict[str, tuple[object, object]] = field(default_factory=dict)
    """Idempotency key -> (the request it was first used with, the first answer)."""

    if TYPE_CHECKING:
        def _call(self, call: str, effect: Callable[[], T]) -> T: ...

    # Arranging ---------------------------------------------------------------------------

    def add_customer(self, email: str | None = None) -> str:
        """Stripe knows a new Customer; answers its id."""
        customer = FakeCustomer(new_id("cus"), email)
        self.customers[customer.id] = customer
        return customer.id

    def delete_customer(self, customer: str) -> None:
        """The Customer is deleted at Stripe."""
        self.customers[customer].deleted = True

    def add_card(self, test_card: str = "pm_card_visa", *, customer: str | None = None) -> str:
        """A new ``pm_...`` of a test card (a key of :data:`TEST_CARDS`), attached to
        ``customer`` if given; answers its id."""
        if test_card not in TEST_CARDS:
            raise ValueError(f"test_card must be one of {', '.join(TEST_CARDS)}")
        pm = FakeCard(new_id("pm"), test_card, customer, TEST_CARDS[test_card][2])
        self.payment_methods[pm.id] = pm
        return pm.id

    def add_setup_session(self, test_card: str | None = "pm_card_visa", *,
                          customer: str | None = None, email: str | None = None) -> str:
        """A setup-mode session completed with ``test_card`` (attached to ``customer`` when
        one is given; without one, Checkout creates no Customer and the card is attached to
        nobody), or still open when ``test_card`` is None; answers its id."""
        session_id = new_id("cs_test")
        if test_card is None:
            self.setup_sessions[session_id] = SetupResult(session_id, "open", customer, email,
                                                          None, None)
            return session_id
        card = self.payment_methods[self.add_card(test_card, customer=customer)].card()
        self.setup_sessions[session_id] = SetupResult(session_id, "complete", customer, email,
                                                      new_id("seti"), card)
        return session_id

    # The gateway -------------------------------------------------------------------------

    def retrieve_setup(self, session_id: str) -> SetupResult:
        """The setup session with its card as Stripe describes it now."""
        return self._call("retrieve_setup", lambda: self._setup(session_id))

    def create_customer(self, email: str | None, idempotency_key: str) -> str:
        """A new Customer, or the one the key first made."""
        return self._call("create_customer", lambda: self.replayed(
            idempotency_key, ("create_customer", email), lambda: self.add_customer(email)))

    def retrieve_customer(self, customer: str) -> StripeCustomer:
        """The Customer; UnknownAtStripe when unknown or deleted."""
        def found() -> StripeCustomer:
            known = self.customer(customer)
            return StripeCustomer(known.id, known.email, known.default_payment_method)
        return self._call("retrieve_customer", found)

    def attach_card(self, payment_method: str, customer: str) -> Card:
        """Attach (nothing to do when already attached to ``customer``); the card."""
        return self._call("attach_card", lambda: self._attach(payment_method, customer))

    def set_default_card(self, customer: str, payment_method: str) -> None:
        """``invoice_settings.default_payment_method``: a card of this customer only."""
        def update() -> None:
            known, pm = self.customer(customer), self.payment_method(payment_method)
            if pm.customer != known.id:
                raise StripeRefused(f"InvalidRequestError: {pm.id} is not attached to {known.id}")
            known.default_payment_method = pm.id
        self._call("set_default_card", update)

    # Stripe's side -----------------------------------------------------------------------

    def customer(self, customer: str) -> FakeCustomer:
        known = self.customers.get(customer)
        if known is None or known.deleted:
            raise UnknownAtStripe(f"No such customer: '{customer}'")
        return known

    def payment_method(self, payment_method: str) -> FakeCard:
        """A stored card, or a new one for a test id (``pm_card_visa``...), as at Stripe."""
        if payment_method in TEST_CARDS:
            return self.payment_methods[self.add_card(payment_method)]
        known = self.payment_methods.get(payment_method)
        if known is None:
            raise UnknownAtStripe(f"No such PaymentMethod: '{payment_method}'")
        return known

    def replayed(self, key: str, request: object, effect: Callable[[], T]) -> T:
        """Stripe's idempotency: the key's first answer again (a refusal is not kept, so
        the key may be used again); the same key with another request is refused."""
        if key in self.idempotent:
            first_request, answer = self.idempotent[key]
            if first_request != request:
                raise StripeRefused("IdempotencyError: Keys for idempotent requests can only be "
                                    "used with the same parameters they were first used with.")
            return answer  # type: ignore[return-value]
        answer = effect()
        self.idempotent[key] = (request, answer)
        return answer

    def _setup(self, session_id: str) -> SetupResult:
        found = self.setup_sessions.get(session_id)
        if found is None:
            raise UnknownAtStripe(f"No such checkout.session: '{session_id}'")
        if found.card is None:
            return found
        return SetupResult(found.session_id, found.status, found.customer, found.customer_email,
                           found.setup_intent,
                           self.payment_methods[found.card.payment_method].card())

    def _attach(self, payment_method: str, customer: str) -> Card:
        known, pm = self.customer(customer), self.payment_method(payment_method)
        if pm.customer not in (None, known.id):
            raise StripeRefused("InvalidRequestError: The payment method you provided has "
                                "already been attached to a customer.")
        pm.customer = known.id
        return pm.card()
