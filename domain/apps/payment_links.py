"""The payment links application: staff create Stripe Payment Links and deactivate them.

A link's ``after_completion`` redirects to the service's success page
(``$PUBLIC_URL/success?session_id={CHECKOUT_SESSION_ID}``), so a session paid through a
link is fulfilled like any other: by its webhook, or by the success page the customer
lands on. Each link the service created, and each deactivation, is recorded in the
:class:`~domain.model.payment_link.PaymentLinkBook` with who asked; listing reads the
book (see its module for why not Stripe's list).

Stripe is called first, then the outcome recorded: a link Stripe refused is never
recorded; a link Stripe created while the store was down is Stripe's alone (the request
answers 503, and the link, never announced, takes no payment nobody knows of: its
sessions still reach the ledger through their webhooks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from domain.errors import PaymentLinkNotFound
from domain.model.facts import Pairs
from domain.model.payment_link import BOOK_ID, PaymentLink, PaymentLinkBook
from domain.ports import PaymentLinkGateway

SAVE_ATTEMPTS = 5  # another request recording at the same moment: read again, try again


@dataclass(frozen=True)
class LinkOrder:
    """A validated request for a link: one price, a quantity, metadata."""

    price: str
    quantity: int = 1
    metadata: Pairs = ()


class PaymentLinks(Application):
    """Creates, lists and deactivates the service's Payment Links."""

    name = "PaymentLinks"

    def __init__(self, env: dict[str, str] | None = None, *, stripe: PaymentLinkGateway,
                 public_url: str) -> None:
        super().__init__(env)
        self.stripe = stripe
        self.public_url = public_url.rstrip("/")

    @property
    def redirect_url(self) -> str:
        """Where a customer lands after paying through a link (Stripe fills in the id)."""
        return f"{self.public_url}/success?session_id={{CHECKOUT_SESSION_ID}}"

    # Commands ---------------------------------------------------------------------------

    def create(self, order: LinkOrder, actor: str) -> PaymentLink:
        """Create the link at Stripe, then record it. Stripe's refusals (an unknown price...)
        propagate before anything is recorded."""
        created = self.stripe.create_payment_link(order.price, order.quantity, order.metadata,
                                                  self.redirect_url)
        return self._change(lambda book: book.record_created(
            created, order.price, order.quantity, order.metadata, actor))

    def deactivate(self, link_id: str, actor: str, reason: str | None = None) -> PaymentLink:
        """Deactivate one of the service's links at Stripe, then record it. An inactive link
        stays as it is (no call). Raises :class:`~domain.errors.PaymentLinkNotFound` for a
        link the service did not create."""
        link = self.link(link_id)
        if link is None:
            raise PaymentLinkNotFound(link_id)
        if not link.active:
            return link
        self.stripe.deactivate_payment_link(link_id)
        return self._change(lambda book: book.record_deactivated(link_id, actor, reason))

    # Queries ----------------------------------------------------------------------------

    def links(self) -> list[PaymentLink]:
        """Every link the service created, the newest first."""
        return self._book().newest_first()

    def link(self, link_id: str) -> PaymentLink | None:
        return self._book().links.get(link_id)

    # ------------------------------------------------------------------------------------

    def _book(self) -> PaymentLinkBook:
        try:
            found: object = self.repository.get(BOOK_ID)
        except AggregateNotFoundError:
            return PaymentLinkBook.open()
        assert isinstance(found, PaymentLinkBook)
        return found

    def _change(self, command: Callable[[PaymentLinkBook], PaymentLink]) -> PaymentLink:
        for attempt in range(SAVE_ATTEMPTS):
            book = self._book()
            link = command(book)
            try:
                self.save(book)
            except IntegrityError:  # another link recorded at the same moment
                if attempt == SAVE_ATTEMPTS - 1:
                    raise
                continue
            return link
        raise AssertionError("unreachable")  # pragma: no cover
