"""The Customer aggregate: a Stripe Customer as the service knows it.

A projection, kept by the customers application from what the other applications
recorded: the sessions linked to the customer, the cards saved through setup mode, which
card is the default, the charges made. Rebuilt by replaying those logs: its times are the
upstream events' times, never when it was itself recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.model.base import Record
from domain.model.payment_facts import Card

ACTIVE, DETACHED, EXPIRED = "active", "detached", "expired"


@lru_cache(maxsize=16_384)  # a projection asks for the same ids again and again
def customer_uuid(customer_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"checkout-ledger:customer:{customer_id}")


@dataclass(frozen=True)
class SavedCard:
    """A card saved for later payments."""

    card: Card
    saved_from_session: str | None
    saved_at: datetime
    detached: bool = False

    def status(self, today: date) -> str:
        """active | detached | expired (past the end of its expiry month)."""
        if self.detached:
            return DETACHED
        if (self.card.exp_year, self.card.exp_month) < (today.year, today.month):
            return EXPIRED
        return ACTIVE


@dataclass(frozen=True)
class LinkedSession:
    session_id: str
    mode: str
    at: datetime


class Customer(Record):
    """What the service knows of one customer."""

    class Event(Record.Event):
        customer_id: str

        def apply(self, customer: Customer) -> None:
            customer.customer_id = self.customer_id

    class SessionLinked(Event):
        session_id: str
        mode: str
        email: str | None
        at: datetime  # when the ledger recorded the session's completion

        def apply(self, customer: Customer) -> None:
            super().apply(customer)
            customer.sessions = (*customer.sessions,
                                 LinkedSession(self.session_id, self.mode, self.at))
            customer.email = self.email or customer.email

    class CardSaved(Event):
        card: Card
        session_id: str | None
        at: datetime  # when the cards application saved it

        def apply(self, customer: Customer) -> None:
            super().apply(customer)
            customer.cards = {**customer.cards, self.card.payment_method: SavedCard(
                self.card, self.session_id, self.at)}

    class DefaultCardSet(Event):
        payment_method: str

        def apply(self, customer: Customer) -> None:
            super().apply(customer)
            customer.default_card = self.payment_method

    class CardDetached(Event):
        payment_method: str

        def apply(self, customer: Customer) -> None:
            super().apply(customer)
            saved = customer.cards[self.payment_method]
            customer.cards = {**customer.cards,
                              self.payment_method: replace(saved, detached=True)}

    class ChargeLinked(Event):
        charge_id: str

        def apply(self, customer: Customer) -> None:
            super().apply(customer)
            customer.charges = (*customer.charges, self.charge_id)

    def start(self) -> None:
        self.customer_id = ""
        self.email: str | None = None
        self.sessions: tuple[LinkedSession, ...] = ()
        self.cards: dict[str, SavedCard] = {}
        self.default_card: str | None = None
        self.charges: tuple[str, ...] = ()

    @classmethod
    def of(cls, customer_id: str) -> Customer:
        customer = cls.blank(customer_uuid(customer_id))
        customer.customer_id = customer_id
        return customer

    # Commands ----------------------------------------------------------------------------

    def link_session(self, session_id: str, mode: str, email: str | None,
                     at: datetime) -> bool:
        if any(s.session_id == session_id for s in self.sessions):
            return False
        self.trigger_event(self.SessionLinked, customer_id=self.customer_id,
                           session_id=session_id, mode=mode, email=email, at=at)
        return True

    def save_card(self, card: Card, session_id: str | None, at: datetime) -> bool:
        """Keep the card; the same card (fingerprint) saved again is one card."""
        if any(s.card.fingerprint == card.fingerprint and not s.detached
               for s in self.cards.values()):
            return False
        self.trigger_event(self.CardSaved, customer_id=self.customer_id, card=card,
                           session_id=session_id, at=at)
        return True

    def set_default(self, payment_method: str) -> bool:
        if self.default_card == payment_method or payment_method not in self.cards:
            return False
        self.trigger_event(self.DefaultCardSet, customer_id=self.customer_id,
                           payment_method=payment_method)
        return True

    def detach(self, payment_method: str) -> bool:
        saved = self.cards.get(payment_method)
        if saved is None or saved.detached:
            return False
        self.trigger_event(self.CardDetached, customer_id=self.customer_id,
                           payment_method=payment_method)
        return True

    def link_charge(self, charge_id: str) -> bool:
        if charge_id in self.charges:
            return False
        self.trigger_event(self.ChargeLinked, customer_id=self.customer_id, charge_id=charge_id)
        return True

    # Queries -----------------------------------------------------------------------------

    def card_to_charge(self, payment_method: str | None, today: date) -> SavedCard:
        """The card to charge: the one asked for, else the default. Raises
        :class:`CardNotUsable` for a card that is not the customer's, detached or expired,
        or when there is none."""
        chosen = payment_method or self.default_card
        if chosen is None:
            raise CardNotUsable(f"customer {self.customer_id} has no saved card")
        saved = self.cards.get(chosen)
        if saved is None:
            raise CardNotUsable(f"{chosen} is not a card saved for {self.customer_id}")
        status = saved.status(today)
        if status != ACTIVE:
            raise CardNotUsable(f"{chosen} is {status} and cannot be charged")
        return saved


class CardNotUsable(ValueError):
    """The card asked for cannot be charged (not the customer's, detached, expired)."""
