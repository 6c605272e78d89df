"""The CustomerNotice aggregate: one thing a customer must be told, told once.

One per (session or charge, reason), recorded by the notices application once the notifier has
sent it, so a retry after an outage finds it sent and never tells the customer twice.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from domain.model.base import Record

PAYMENT_FAILED = "async_payment_failed"  # about a Checkout Session (cs_...)
CHARGE_FAILED = "charge_failed"  # about an off-session charge (chg_...), with its recovery link


def notice_uuid(about: str, reason: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"checkout-ledger:notice:{about}:{reason}")


class CustomerNotice(Record):
    """A notice to the customer of one session."""

    class Sent(Record.Event):
        """The notifier accepted the notice (e.g. the mail server took the email)."""

        about: str  # the session or charge the notice is about
        reason: str
        to: str | None

        def apply(self, aggregate: CustomerNotice) -> None:
            aggregate.sent = True

    def start(self) -> None:
        self.sent = False

    @classmethod
    def of(cls, about: str, reason: str) -> CustomerNotice:
        return cls.blank(notice_uuid(about, reason))

    def record_sent(self, about: str, reason: str, to: str | None) -> bool:
        """Record the notice as sent; False if it was already."""
        if self.sent:
            return False
        self.trigger_event(self.Sent, about=about, reason=reason, to=to)
        return True
