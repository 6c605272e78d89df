"""A failed delayed payment is emailed to the customer through a real (local) SMTP server."""

from __future__ import annotations

import email
import threading
from collections.abc import Callable, Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from starlette.testclient import TestClient

from domain.ports import NotifierUnavailable
from emulator.server import free_port
from tests.conftest import settle
from tests.support.purchases import Shop

pytest_plugins = ["tests.support.purchase_fixtures"]  # the emulator, service and shop fixtures


class Mailbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.messages.append((list(envelope.rcpt_tos),
                                  email.message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        with self._lock:
            return [message for rcpt, message in self.messages if address in rcpt]


@pytest.fixture
def smtp() -> Iterator[tuple[str, Mailbox]]:
    """A local SMTP server on a free loopback port: its ``smtp://`` URL and its mailbox."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield f"smtp://127.0.0.1:{port}", mailbox
    controller.stop()


def test_a_failed_bank_debit_sends_one_clear_email_to_the_customer(
    make_service: Callable[..., TestClient], shop: Shop, smtp: tuple[str, Mailbox]
) -> None:
    url, mailbox = smtp
    service = make_service(SMTP_URL=url, MAIL_FROM="shop@example.com")
    session_id = shop.session(("Ledger notebook", 1850, 2), customer_email="grace@example.com")
    shop.pay_by_bank(session_id, succeeds=False)
    shop.deliver(service, session_id, "checkout.session.completed")
    shop.settle(session_id)

    for _ in range(2):  # a redelivery tells nobody twice
        shop.deliver(service, session_id, "checkout.session.async_payment_failed")
        settle(service, fulfil=True)

    [message] = mailbox.to("grace@example.com")
    assert (message["From"], message["To"]) == ("shop@example.com", "grace@example.com")
    assert message["Subject"] == "Your payment did not go through"
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "$37.00" in body
    assert session_id in body
    assert "try again" in body


def test_a_mail_server_that_is_down_holds_the_notice_not_fulfillment_and_sends_it_later(
    make_service: Callable[..., TestClient], shop: Shop
) -> None:
    port = free_port()
    service = make_service(SMTP_URL=f"smtp://127.0.0.1:{port}")
    services = service.app.state.services  # type: ignore[attr-defined]
    failed, paid = shop.session(), shop.session()
    shop.pay_by_bank(failed, succeeds=False)
    shop.settle(failed)
    shop.pay(paid)
    shop.deliver(service, failed, "checkout.session.async_payment_failed")
    shop.deliver(service, paid, "checkout.session.completed")

    notices = services.follower("Ledger", "Notices")
    settle(service)  # the ledger only
    services.follower("Ledger", "Fulfillment").catch_up()
    with pytest.raises(NotifierUnavailable):
        notices.catch_up()
    settle(service)
    told_while_down = list(services.ledger.session(failed).notified)
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        notices.catch_up()
        notices.catch_up()  # once only, however often it runs
    finally:
        controller.stop()
    services.settle()

    assert services.ledger.session(paid).fulfillment_status == "fulfilled"
    assert told_while_down == []
    assert services.ledger.session(failed).notified == ("async_payment_failed",)
    assert len(mailbox.messages) == 1
