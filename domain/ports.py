"""The ports: what the domain needs from the outside world, as small Protocols.

Their real implementations live in ``adapters/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from domain.model.facts import CheckoutSnapshot, LineItem, SessionFacts

__all__ = ["CheckoutSnapshot", "LineItem"]  # value objects the ports speak in, for adapters


@runtime_checkable
class BulkEventReader(Protocol):
    """A recorder that reads the stored events of many aggregates in one query."""

    def select_events_of_many(self, originator_ids: Sequence[Any]) -> dict[Any, list[Any]]: ...


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
