"""The Stripe gateway's calls for saved cards: setup sessions, customers, attach, default."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import stripe

from adapters.stripe_errors import translated_errors
from adapters.stripe_objects import UnreadableObject
from adapters.stripe_payment_objects import NotACard, card_of, setup_result, stripe_customer
from domain.model.payment_facts import Card, SetupResult, StripeCustomer
from domain.ports import StripeRefused, StripeUnavailable, UnknownAtStripe

T = TypeVar("T")


class CardCalls:
    """Implements the domain's ``CardGateway`` port on the official SDK's ``client``."""

    client: stripe.StripeClient

    def retrieve_setup(self, session_id: str) -> SetupResult:
        """The setup-mode session with its SetupIntent's card, in one request."""
        with translated_errors():
            session = self.client.v1.checkout.sessions.retrieve(
                session_id, params={"expand": ["setup_intent.payment_method"]})
        return read(setup_result, session.to_dict())

    def create_customer(self, email: str | None, idempotency_key: str) -> str:
        """A new Customer's id; a retry with the same key answers the same Customer."""
        params: dict[str, Any] = {"email": email} if email else {}
        with translated_errors():
            customer = self.client.v1.customers.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key})
        return str(customer.id)

    def retrieve_customer(self, customer: str) -> StripeCustomer:
        """The Customer; :class:`UnknownAtStripe` when Stripe does not know it or it was
        deleted (Stripe answers a deleted one as ``{"id", "deleted": true}``)."""
        with translated_errors():
            data = self.client.v1.customers.retrieve(customer).to_dict()
        if data.get("deleted"):
            raise UnknownAtStripe(f"Customer {customer} was deleted")
        return read(stripe_customer, data)

    def attach_card(self, payment_method: str, customer: str) -> Card:
        """Attach the card to the customer unless it already is; the card. Stripe refuses a
        card attached to another customer (:class:`StripeRefused`)."""
        with translated_errors():
            data = self.client.v1.payment_methods.retrieve(payment_method).to_dict()
        card = read(card_of, data)
        if card.customer == customer:
            return card
        with translated_errors():
            attached = self.client.v1.payment_methods.attach(
                payment_method, params={"customer": customer}).to_dict()
        return read(card_of, attached)

    def set_default_card(self, customer: str, payment_method: str) -> None:
        """Set ``invoice_settings.default_payment_method``."""
        with translated_errors():
            self.client.v1.customers.update(customer, params={
                "invoice_settings": {"default_payment_method": payment_method}})


def read(build: Callable[[dict[str, Any]], T], data: dict[str, Any]) -> T:
    """``build(data)``; an object of an unexpected shape is Stripe failing on its side, a
    payment method that is not a card a refusal (the service saves cards only)."""
    try:
        return build(data)
    except NotACard as error:
        raise StripeRefused(str(error)) from None
    except UnreadableObject as error:
        raise StripeUnavailable(f"unexpected object from Stripe: {error}") from None
