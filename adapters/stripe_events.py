"""The one table of the Stripe event types the service applies.

Each row says what the event's ``data.object`` must be for the webhook to accept it (the
rest of its shape is the ledger's to read, and to park if it cannot), how its object is
translated into facts, and which aggregate records it as which event. Every other type is
kept in the raw log and acknowledged, and applied by nothing. A new type is a row here;
a new kind of object adds its translator (``adapters/stripe_objects.py``) and aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.stripe_objects import read_detached_card, read_session
from domain.model.checkout_session import CheckoutSession
from domain.model.facts import ASYNC_PAYMENT_FAILED, ASYNC_PAYMENT_SUCCEEDED, COMPLETED, EXPIRED
from domain.model.routing import Route, Routes
from domain.model.stripe_payment_method import StripePaymentMethod


@dataclass(frozen=True)
class Handled:
    """One handled event type."""

    object: str  # Stripe's ``object`` of data.object
    id_prefix: str  # of data.object.id
    required: tuple[str, ...]  # string fields data.object must have to be accepted
    route: Route


_SESSION = ("checkout.session", "cs_", ("mode",))

HANDLED: dict[str, Handled] = {
    COMPLETED: Handled(*_SESSION, Route(read_session, CheckoutSession, "Completed")),
    ASYNC_PAYMENT_SUCCEEDED: Handled(*_SESSION, Route(read_session, CheckoutSession,
                                                      "AsyncPaymentSucceeded")),
    ASYNC_PAYMENT_FAILED: Handled(*_SESSION, Route(read_session, CheckoutSession,
                                                   "AsyncPaymentFailed")),
    EXPIRED: Handled(*_SESSION, Route(read_session, CheckoutSession, "Expired")),
    "payment_method.detached": Handled("payment_method", "pm_", (), Route(
        read_detached_card, StripePaymentMethod, "Detached")),
}

#: What the ledger is built with.
ROUTES: Routes = {event_type: handled.route for event_type, handled in HANDLED.items()}
