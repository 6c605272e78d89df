"""The one money formatter, as the emails and the emulator's hosted page show it (a yen amount)."""

from __future__ import annotations

import email
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe
from aiosmtpd.controller import Controller

from adapters.notifiers import SmtpNotifier
from domain.model.facts import SessionFacts
from emulator.server import EmulatorServer, free_port
from tests.support.emulator import API_KEY


class Inbox:
    def __init__(self) -> None:
        self.bodies: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content)
        self.bodies.append(message.get_payload(decode=True).decode())  # type: ignore[union-attr]
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield f"smtp://127.0.0.1:{port}", inbox
    controller.stop()


def test_the_failed_payment_email_shows_a_yen_amount_in_whole_yen(smtp: tuple[str, Inbox]) -> None:
    url, inbox = smtp
    facts = SessionFacts(session_id="cs_test_yen", mode="payment", status="complete",
                         payment_status="unpaid", customer_email="kei@example.com",
                         amount_total=500, currency="jpy")

    SmtpNotifier(url).payment_failed(facts)

    [body] = inbox.bodies
    assert "¥500" in body
    assert "5.00" not in body


def test_the_emulators_hosted_page_shows_a_yen_amount_in_whole_yen(emulator: EmulatorServer) -> None:
    sdk = stripe.StripeClient(API_KEY, base_addresses={"api": emulator.url}, max_network_retries=0)
    session = sdk.v1.checkout.sessions.create(params={
        "mode": "payment", "success_url": "http://127.0.0.1:4242/success",
        "line_items": [{"quantity": 1, "price_data": {
            "currency": "jpy", "unit_amount": 500, "product_data": {"name": "Yen sticker"}}}],
    })

    page = httpx.get(str(session.url), trust_env=False, timeout=15)

    assert page.status_code == 200, page.text
    assert "¥500" in page.text
    assert "¥5.00" not in page.text
