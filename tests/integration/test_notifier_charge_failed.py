"""A declined off-session charge is emailed to the customer, with the link to pay another way,
through a real (local) SMTP server."""

from __future__ import annotations

import pytest

from adapters.notifiers import LogNotifier, SmtpNotifier
from domain.ports import NotifierUnavailable
from emulator.server import free_port
from tests.integration.test_notifier_smtp import Mailbox, smtp  # noqa: F401  (a fixture)

RECOVERY = "https://checkout.stripe.com/c/pay/cs_test_recover1"


def body_of(mailbox: Mailbox, address: str) -> tuple[str, str, str, str]:
    [message] = mailbox.to(address)
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    return message["From"], message["To"], message["Subject"], body


def test_a_declined_charge_sends_one_email_with_the_amount_and_the_recovery_link(
    smtp: tuple[str, Mailbox],  # noqa: F811
) -> None:
    url, mailbox = smtp

    SmtpNotifier(url, "shop@example.com").charge_failed(
        "grace@example.com", 4250, "eur", RECOVERY, "chg_0001")

    sender, to, subject, body = body_of(mailbox, "grace@example.com")
    assert (sender, to, subject) == ("shop@example.com", "grace@example.com",
                                     "We could not charge your saved card")
    assert "€42.50" in body and "chg_0001" in body and RECOVERY in body


def test_without_a_recovery_link_the_email_asks_to_update_the_payment_method(
    smtp: tuple[str, Mailbox],  # noqa: F811
) -> None:
    url, mailbox = smtp

    SmtpNotifier(url).charge_failed("ada@example.com", 500, "jpy", None, "chg_0002")

    *_, body = body_of(mailbox, "ada@example.com")
    assert "¥500" in body and "update your payment method" in body


def test_a_customer_without_an_email_address_is_told_nothing(
    smtp: tuple[str, Mailbox],  # noqa: F811
) -> None:
    url, mailbox = smtp

    SmtpNotifier(url).charge_failed(None, 1500, "usd", RECOVERY, "chg_0003")

    assert mailbox.messages == []


def test_a_mail_server_that_is_down_leaves_the_notifier_unavailable() -> None:
    notifier = SmtpNotifier(f"smtp://127.0.0.1:{free_port()}")

    with pytest.raises(NotifierUnavailable):
        notifier.charge_failed("grace@example.com", 1500, "usd", RECOVERY, "chg_0004")


def test_without_smtp_the_notice_goes_to_the_log() -> None:
    notifier = LogNotifier()

    notifier.charge_failed("grace@example.com", 1500, "usd", RECOVERY, "chg_0005")

    assert list(notifier.sent) == [("grace@example.com", "We could not charge your saved card")]
