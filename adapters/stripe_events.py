"""The one table of the Stripe event types the service applies.

Each row says what the event's ``data.object`` must be for the webhook to accept it (the
rest of its shape is the ledger's to read, and to park if it cannot), how its object is
translated into facts, and which aggregate records it as which event. Every other type is
kept in the raw log and acknowledged, and applied by nothing. A new type is a row here;
a new kind of object adds its translator (``adapters/stripe_objects.py``) and aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.stripe_billing_objects import read_subscription, read_subscription_invoice
from adapters.stripe_objects import read_detached_card, read_session
from domain.model.checkout_session import CheckoutSession, session_uuid
from domain.model.facts import ASYNC_PAYMENT_FAILED, ASYNC_PAYMENT_SUCCEEDED, COMPLETED, EXPIRED
from domain.model.routing import Route, Routes
from domain.model.stripe_payment_method import StripePaymentMethod, payment_method_uuid
from domain.model.stripe_subscription import StripeSubscription, object_uuid


@dataclass(frozen=True)
class Handled:
    """One handled event type."""

    object: str  # Stripe's ``object`` of data.object
    id_prefix: str  # of data.object.id
    required: tuple[str, ...]  # string fields data.object must have to be accepted
    route: Route


_SESSION = ("checkout.session", "cs_", ("mode",))
_SUBSCRIPTION = ("subscription", "sub_", ())
_INVOICE = ("invoice", "in_", ())


def _session(event: str) -> Route:
    return Route(read_session, CheckoutSession, event, session_uuid)


def _subscription(event: str) -> Route:
    return Route(read_subscription, StripeSubscription, event, object_uuid)


def _invoice(event: str) -> Route:
    """An invoice event: recorded on its subscription; one of no subscription is ignored."""
    return Route(read_subscription_invoice, StripeSubscription, event)


HANDLED: dict[str, Handled] = {
    COMPLETED: Handled(*_SESSION, _session("Completed")),
    ASYNC_PAYMENT_SUCCEEDED: Handled(*_SESSION, _session("AsyncPaymentSucceeded")),
    ASYNC_PAYMENT_FAILED: Handled(*_SESSION, _session("AsyncPaymentFailed")),
    EXPIRED: Handled(*_SESSION, _session("Expired")),
    "payment_method.detached": Handled("payment_method", "pm_", (), Route(
        read_detached_card, StripePaymentMethod, "Detached", payment_method_uuid)),
    "customer.subscription.created": Handled(*_SUBSCRIPTION, _subscription("Created")),
    "customer.subscription.updated": Handled(*_SUBSCRIPTION, _subscription("Updated")),
    "customer.subscription.deleted": Handled(*_SUBSCRIPTION, _subscription("Deleted")),
    "invoice.paid": Handled(*_INVOICE, _invoice("InvoicePaid")),
    "invoice.payment_failed": Handled(*_INVOICE, _invoice("InvoicePaymentFailed")),
    "invoice.payment_action_required": Handled(*_INVOICE, _invoice("InvoiceActionRequired")),
}

#: What the ledger is built with.
ROUTES: Routes = {event_type: handled.route for event_type, handled in HANDLED.items()}
