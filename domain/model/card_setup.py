"""The CardSetup aggregate: what was done to save the card of one setup-mode session.

Stripe's "set up future payments" guide: the session's SetupIntent carries the card;
when the session had no customer, a Customer is created and the card attached to it; the
first card becomes the customer's default. One per session, recorded by the cards
application once Stripe has done all of it.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from domain.model.base import Record
from domain.model.payment_facts import Card


def card_setup_uuid(session_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"checkout-ledger:card-setup:{session_id}")


class CardSetup(Record):
    """The saving of one setup-mode session's card."""

    class Event(Record.Event):
        session_id: str

    class Saved(Event):
        """The card is attached to the customer (created for it if there was none)."""

        customer: str
        card: Card
        customer_created: bool
        made_default: bool
        email: str | None

        def apply(self, setup: CardSetup) -> None:
            setup.saved = self

    class Failed(Event):
        """Stripe refused a step (the session or card it names is not there)."""

        error: str

        def apply(self, setup: CardSetup) -> None:
            setup.error = self.error

    def start(self) -> None:
        self.saved: CardSetup.Saved | None = None
        self.error: str | None = None

    @classmethod
    def of(cls, session_id: str) -> CardSetup:
        return cls.blank(card_setup_uuid(session_id))

    def record_saved(self, session_id: str, customer: str, card: Card, *,
                     customer_created: bool, made_default: bool, email: str | None) -> bool:
        if self.saved is not None:
            return False
        self.trigger_event(self.Saved, session_id=session_id, customer=customer, card=card,
                           customer_created=customer_created, made_default=made_default,
                           email=email)
        return True

    def record_failure(self, session_id: str, error: str) -> bool:
        if self.saved is not None or self.error == error:
            return False
        self.trigger_event(self.Failed, session_id=session_id, error=error)
        return True
