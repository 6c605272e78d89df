"""The ports: what the domain needs from the outside world, as small Protocols.

Their real implementations live in ``adapters/``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from domain.model.facts import CheckoutSnapshot, LineItem, Pairs, SessionFacts, StripeEvent
from domain.model.payment_facts import (
    Card,
    ChargeRequest,
    ChargeResult,
    RecoveryRequest,
    SetupResult,
    StripeCustomer,
)
from domain.model.payment_link import CreatedAtStripe

__all__ = ["CheckoutSnapshot", "LineItem"]  # value objects the ports speak in, for adapters


@runtime_checkable
class BulkEventReader(Protocol):
    """A recorder that reads the stored events of many aggregates in one query."""

    def select_events_of_many(self, originator_ids: Sequence[Any]) -> dict[Any, list[Any]]: ...


@runtime_checkable
class PositionReader(Protocol):
    """A process recorder that reads its position in every upstream log in one query."""

    def tracking_positions(self) -> dict[str, int]:
        """Upstream application name -> the last notification id processed from it."""
        ...


class StripeUnavailable(Exception):
    """Stripe could not be reached or failed on its side; the call may be retried."""


class UnknownAtStripe(Exception):
    """Stripe does not know the object (``resource_missing``)."""


class StripeRefused(Exception):
    """Stripe refused the request for this object (a 4xx other than not found): trying
    again will not help; a person has to look."""


class NotifierUnavailable(Exception):
    """The channel to the customer (e.g. the mail server) is down; try again later."""


class StripeGateway(Protocol):
    def retrieve_checkout(self, session_id: str) -> CheckoutSnapshot:
        """The session with all its line items (auto-paginated)."""
        ...


class Fulfiller(Protocol):
    """Does what the merchant sells. Called with an idempotency key so a retry after a
    crash can be recognised; answers, per line item, what it granted."""

    def __call__(
        self, session_id: str, line_items: Sequence[LineItem], idempotency_key: str
    ) -> Sequence[str]: ...


class Notifier(Protocol):
    """Tells a customer something went wrong."""

    def payment_failed(self, facts: SessionFacts) -> None: ...

    def charge_failed(self, to: str | None, amount: int, currency: str,
                      recovery_url: str | None, charge_id: str) -> None:
        """An off-session charge was declined; ``recovery_url`` pays it another way."""
        ...


class CardGateway(Protocol):
    """What saving cards needs from Stripe (setup mode, existing customers)."""

    def retrieve_setup(self, session_id: str) -> SetupResult:
        """The setup-mode session with its SetupIntent's card, in one request.
        Raises :class:`UnknownAtStripe` for a session Stripe does not know."""
        ...

    def create_customer(self, email: str | None, idempotency_key: str) -> str:
        """A new Customer's id (the key makes a retry answer the same Customer)."""
        ...

    def retrieve_customer(self, customer: str) -> StripeCustomer:
        """Raises :class:`UnknownAtStripe` for a customer Stripe does not know (or deleted)."""
        ...

    def attach_card(self, payment_method: str, customer: str) -> Card:
        """Attach the card to the customer (nothing to do if it already is); the card."""
        ...

    def set_default_card(self, customer: str, payment_method: str) -> None:
        """Set ``invoice_settings.default_payment_method``."""
        ...


class ChargeGateway(Protocol):
    """What off-session charges need from Stripe."""

    def charge_off_session(self, request: ChargeRequest) -> ChargeResult:
        """Create and confirm a PaymentIntent off-session with the request's idempotency key.
        A decline is a result, not an error. Raises :class:`StripeUnavailable` when the
        answer was lost (timeout, 5xx, 429): the outcome is unknown, and the same key tells
        it later. Raises :class:`UnknownAtStripe` or :class:`StripeRefused` when Stripe
        refused the request itself (nothing was charged)."""
        ...

    def create_recovery_session(self, request: RecoveryRequest, success_url: str,
                                cancel_url: str) -> tuple[str, str]:
        """A payment-mode Checkout Session for the customer: its id and URL."""
        ...

    def close_recovery_session(self, session_id: str) -> bool:
        """Expire the session unless the customer paid it: True if it can no longer be paid
        (expired now or before), False if the customer completed it."""
        ...


class SubscriptionGateway(Protocol):
    """What staff actions on Stripe-managed subscriptions need from Stripe."""

    def cancel_subscription(self, subscription_id: str, at_period_end: bool,
                            idempotency_key: str) -> tuple[str, bool]:
        """Cancel now or at the period's end; Stripe's status and ``cancel_at_period_end``."""
        ...


class EventLister(Protocol):
    """Stripe's list of events (``GET /v1/events``), for reconciliation."""

    def list_events(self, types: Sequence[str], created_after: datetime | None
                    ) -> Iterator[StripeEvent]:
        """Every event of these types created after the time, newest first, each checked
        as a webhook is. Raises :class:`StripeUnavailable` while Stripe cannot be reached."""
        ...


class PaymentLinkGateway(Protocol):
    """What staff's Payment Links need from Stripe."""

    def create_payment_link(self, price: str, quantity: int, metadata: Pairs,
                            redirect_url: str) -> CreatedAtStripe:
        """A new active link for ``quantity`` of ``price``, redirecting to ``redirect_url``
        after payment. Raises the gateway's refusal (with Stripe's reason) for a price
        Stripe does not know or will not take."""
        ...

    def deactivate_payment_link(self, link_id: str) -> None:
        """The link takes no new payments. Raises :class:`UnknownAtStripe` when Stripe does
        not know it."""
        ...
