"""The payment link book: every Stripe Payment Link this service created, and which are active.

Staff create links (``POST /payment-links``, the CLI); the service records each one it
created, with who asked, and each deactivation it made. ``GET /payment-links`` answers
from this book, never from Stripe's list: it shows the links the service made (not every
link of the Stripe account) and answers while Stripe is down. One aggregate with a fixed
id, like the failure board: links are few and a listing loads one aggregate.

Sessions opened from a link are not recorded here: they reach the ledger like any other
Checkout Session, carrying ``payment_link`` in their facts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.model.base import Record
from domain.model.facts import Pairs

BOOK_ID: UUID = uuid5(NAMESPACE_URL, "checkout-ledger:payment-links:book")


@dataclass(frozen=True)
class CreatedAtStripe:
    """What Stripe answered to the creation of a link (the service asked for the rest)."""

    link_id: str
    url: str
    active: bool


@dataclass(frozen=True)
class PaymentLink:
    """One link as the service knows it."""

    link_id: str
    url: str
    price: str
    quantity: int
    active: bool
    created_at: datetime
    created_by: str
    metadata: Pairs = ()
    deactivated_at: datetime | None = None
    deactivated_by: str | None = None


class PaymentLinkBook(Record):
    """Every link the service created, by id."""

    class Event(Record.Event):
        link_id: str

    class LinkCreated(Event):
        """Stripe created the link for ``actor``; ``metadata`` as ``[key, value]`` pairs."""

        url: str
        price: str
        quantity: int
        metadata: list[list[str]]
        active: bool
        actor: str

        def apply(self, book: PaymentLinkBook) -> None:
            book.links[self.link_id] = PaymentLink(
                self.link_id, self.url, self.price, self.quantity, self.active, self.timestamp,
                self.actor, tuple((str(k), str(v)) for k, v in self.metadata))

    class LinkDeactivated(Event):
        """Stripe no longer takes payments through the link."""

        actor: str
        reason: str | None

        def apply(self, book: PaymentLinkBook) -> None:
            link = book.links[self.link_id]
            book.links[self.link_id] = replace(link, active=False, deactivated_at=self.timestamp,
                                               deactivated_by=self.actor)

    def start(self) -> None:
        self.links: dict[str, PaymentLink] = {}

    @classmethod
    def open(cls) -> PaymentLinkBook:
        """The book before its first link."""
        return cls.blank(BOOK_ID)

    def record_created(self, created: CreatedAtStripe, price: str, quantity: int, metadata: Pairs,
                       actor: str) -> PaymentLink:
        """Record a link Stripe created (once: the same id again changes nothing)."""
        if created.link_id not in self.links:
            self.trigger_event(self.LinkCreated, link_id=created.link_id, url=created.url,
                               price=price, quantity=quantity,
                               metadata=[[k, v] for k, v in metadata], active=created.active,
                               actor=actor)
        return self.links[created.link_id]

    def record_deactivated(self, link_id: str, actor: str, reason: str | None) -> PaymentLink:
        """Record that Stripe deactivated the link (nothing when it already was)."""
        if self.links[link_id].active:
            self.trigger_event(self.LinkDeactivated, link_id=link_id, actor=actor, reason=reason)
        return self.links[link_id]

    def newest_first(self) -> list[PaymentLink]:
        """Every link, the newest first (Stripe's list order)."""
        return sorted(self.links.values(), key=lambda link: link.created_at, reverse=True)
