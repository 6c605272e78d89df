"""The cards application: Stripe's "set up future payments" guide, once per session.

It follows the Ledger. On a completed setup-mode session it retrieves the session with its
SetupIntent's card (one request); when the session had no customer it creates one (keyed
on the session, so a retry finds the same Customer) and attaches the card; when it had
one, Checkout attached the card already (checked, attached if not). The first card of a
customer becomes its default at Stripe. The outcome is a
:class:`~domain.model.card_setup.CardSetup`, recorded with the position in the Ledger's
log. Stripe down: the batch is tried again later; a refusal is recorded as ``Failed``.
"""

from __future__ import annotations

import logging
from typing import Any

from eventsourcing.application import ProcessingEvent

from domain.apps.processing import BatchProcessor
from domain.model.card_setup import CardSetup, card_setup_uuid
from domain.model.checkout_session import CheckoutSession
from domain.model.payment_facts import Card, SetupResult
from domain.ports import CardGateway, StripeRefused, UnknownAtStripe

log = logging.getLogger(__name__)


class Cards(BatchProcessor):
    """Saves the card of each completed setup-mode session."""

    name = "Cards"
    interests = (CheckoutSession.Completed,)

    def __init__(self, env: dict[str, str] | None = None, *, stripe: CardGateway) -> None:
        super().__init__(env)
        self.stripe = stripe

    def policy(self, upstream_event: Any, processing: ProcessingEvent) -> None:
        if not isinstance(upstream_event, CheckoutSession.Completed):
            return
        if upstream_event.facts.mode != "setup":
            return
        session_id = upstream_event.session_id
        found = self.current(card_setup_uuid(session_id), processing)
        setup = found if isinstance(found, CardSetup) else CardSetup.of(session_id)
        if setup.saved is not None:
            return
        try:
            self._save(setup, session_id)
        except (UnknownAtStripe, StripeRefused) as refused:
            log.warning("saving the card of %s failed: %s", session_id, refused)
            setup.record_failure(session_id, f"{type(refused).__name__}: {refused}")
        processing.collect_events(setup)

    def _save(self, setup: CardSetup, session_id: str) -> None:
        result = self.stripe.retrieve_setup(session_id)
        if result.card is None:
            raise StripeRefused(f"the SetupIntent of {session_id} has no card")
        customer, created = self._customer_of(result)
        card = result.card
        if card.customer != customer:
            card = self.stripe.attach_card(card.payment_method, customer)
        made_default = False
        if self.stripe.retrieve_customer(customer).default_payment_method is None:
            self.stripe.set_default_card(customer, card.payment_method)
            made_default = True
        setup.record_saved(session_id, customer, _attached(card, customer),
                           customer_created=created, made_default=made_default,
                           email=result.customer_email)

    def _customer_of(self, result: SetupResult) -> tuple[str, bool]:
        if result.customer is not None:
            return result.customer, False
        key = f"checkout-ledger:setup-customer:{result.session_id}"
        return self.stripe.create_customer(result.customer_email, idempotency_key=key), True


def _attached(card: Card, customer: str) -> Card:
    if card.customer == customer:
        return card
    return Card(card.payment_method, card.brand, card.last4, card.exp_month, card.exp_year,
                card.fingerprint, customer)
