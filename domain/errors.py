"""The project's own errors; the API maps each one to its own status code."""

from __future__ import annotations


class LedgerError(Exception):
    """Base class of the errors the domain raises on purpose."""


class SessionNotFound(LedgerError):
    """No Checkout Session with this id has been recorded (or not by then)."""

    def __init__(self, session_id: str, detail: str = "") -> None:
        super().__init__(f"checkout session {session_id} not found{detail}")
        self.session_id = session_id


class SubscriptionNotFound(LedgerError):
    """No subscription with this id (Stripe's or the service's own) has been recorded (or
    not by that version)."""

    def __init__(self, subscription_id: str, detail: str = "") -> None:
        super().__init__(f"subscription {subscription_id} not found{detail}")
        self.subscription_id = subscription_id


class CustomerNotFound(LedgerError):
    """The service has never seen this customer (no session, no saved card)."""

    def __init__(self, customer_id: str) -> None:
        super().__init__(f"customer {customer_id} not found")
        self.customer_id = customer_id


class ChargeNotFound(LedgerError):
    """No charge with this id was ever requested."""

    def __init__(self, charge_id: str) -> None:
        super().__init__(f"charge {charge_id} not found")
        self.charge_id = charge_id


class IdempotencyConflict(LedgerError):
    """The idempotency key was used before for a different charge."""



class PaymentLinkNotFound(LedgerError):
    """The service never created a Payment Link with this id."""

    def __init__(self, link_id: str) -> None:
        super().__init__(f"payment link {link_id} not found (not one the service created)")
        self.link_id = link_id
