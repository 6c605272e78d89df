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
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, facts.customer_email, subject
        message.set_content(body)
        smtp_class = smtplib.SMTP_SSL if self.ssl else smtplib.SMTP
        try:
            with smtp_class(self.host, self.port, timeout=10) as smtp:
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as down:
            raise NotifierUnavailable(f"mail server {self.host}:{self.port}: {down}") from down
        log.info("told %s that the payment of %s failed", facts.customer_email, facts.session_id)
