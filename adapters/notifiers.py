"""Notifiers: email over SMTP when ``SMTP_URL`` is set, a log line otherwise."""

from __future__ import annotations

import logging
import smtplib
from collections import deque
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from domain.model.facts import SessionFacts
from domain.money import format_money
from domain.ports import NotifierUnavailable

log = logging.getLogger(__name__)


def _failure_text(facts: SessionFacts) -> tuple[str, str]:
    amount = (format_money(facts.amount_total, facts.currency)
              if facts.amount_total is not None else "your order")
    subject = "Your payment did not go through"
    body = (f"Hello,\n\nthe bank payment for {amount} (order {facts.session_id}) failed, "
            "so we could not complete your order.\nPlease try again with another payment "
            "method.\n")
    return subject, body


def _charge_failed_text(amount: int, currency: str, recovery_url: str | None,
                        charge_id: str) -> tuple[str, str]:
    subject = "We could not charge your saved card"
    then = (f"You can pay with another card here:\n{recovery_url}\n" if recovery_url
            else "Please update your payment method with us.\n")
    body = (f"Hello,\n\nyour bank declined the charge of {format_money(amount, currency)} "
            f"(charge {charge_id}) to the card you saved with us.\n{then}")
    return subject, body


class LogNotifier:
    """Writes what it would have sent to the log (no SMTP server configured)."""

    def __init__(self) -> None:
        # The last few notices, for a person (or a test) to look at; bounded, as this is
        # the default notifier of a long-running process.
        self.sent: deque[tuple[str | None, str]] = deque(maxlen=100)

    def payment_failed(self, facts: SessionFacts) -> None:
        subject, _ = _failure_text(facts)
        self.sent.append((facts.customer_email, subject))
        log.warning("payment failed for %s; would email %s: %s", facts.session_id,
                    facts.customer_email or "(no email)", subject)

    def charge_failed(self, to: str | None, amount: int, currency: str,
                      recovery_url: str | None, charge_id: str) -> None:
        """Log the notice of a declined off-session charge (and its recovery link)."""
        subject, _ = _charge_failed_text(amount, currency, recovery_url, charge_id)
        self.sent.append((to, subject))
        log.warning("charge %s failed; would email %s: %s (%s)", charge_id, to or "(no email)",
                    subject, recovery_url or "no recovery link")


class SmtpNotifier:
    """Sends plain-text email through ``smtp://[user:password@]host:port``."""

    def __init__(self, url: str, sender: str = "checkout-ledger@localhost") -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"must be smtp://HOST:PORT, got {url!r}")
        self.host, self.port = parts.hostname, parts.port or 25
        self.ssl = parts.scheme == "smtps"
        self.user = unquote(parts.username or "")
        self.password = unquote(parts.password or "")
        self.sender = sender

    def payment_failed(self, facts: SessionFacts) -> None:
        if not facts.customer_email:
            log.warning("payment failed for %s but Stripe gave no email address", facts.session_id)
            return
        subject, body = _failure_text(facts)
        self._send(facts.customer_email, subject, body)
        log.info("told %s that the payment of %s failed", facts.customer_email, facts.session_id)

    def charge_failed(self, to: str | None, amount: int, currency: str,
                      recovery_url: str | None, charge_id: str) -> None:
        """Email the customer that an off-session charge was declined, with the link to pay
        another way. :class:`NotifierUnavailable` while the mail server is down."""
        if not to:
            log.warning("charge %s failed but there is no email address to tell", charge_id)
            return
        self._send(to, *_charge_failed_text(amount, currency, recovery_url, charge_id))
        log.info("told %s that the charge %s failed", to, charge_id)

    def _send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(body)
        smtp_class = smtplib.SMTP_SSL if self.ssl else smtplib.SMTP
        try:
            with smtp_class(self.host, self.port, timeout=10) as smtp:
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as down:
            raise NotifierUnavailable(f"mail server {self.host}:{self.port}: {down}") from down
