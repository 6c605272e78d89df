"""Purchases the way Stripe sees them, for the fulfillment and support tests.

A session is created with the official SDK on a real :class:`EmulatorServer`, paid through
the emulator's control API, and the emulator's own event (``GET /v1/events``) is delivered
to the service's ``POST /webhook`` with a fresh signature, as Stripe would deliver it.
Its fixtures live in :mod:`tests.support.purchase_fixtures` (``pytest_plugins``).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import stripe
from starlette.testclient import TestClient

from tests.support.webhooks import signed

API_KEY = "sk_test_checkout_ledger"
SUCCESS_URL = "http://127.0.0.1:4242/success?session_id={CHECKOUT_SESSION_ID}"
Item = tuple[str, int, int]  # product name, unit amount in cents, quantity


class Shop:
    """A customer's purchases on the emulator, and Stripe's webhooks about them."""

    def __init__(self, emulator_url: str) -> None:
        self.sdk = stripe.StripeClient(API_KEY, base_addresses={"api": emulator_url})
        self.http = httpx.Client(base_url=emulator_url, trust_env=False, timeout=15)

    def __enter__(self) -> Shop:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def session(self, *items: Item, **extra: Any) -> str:
        """A payment-mode Checkout Session for ``items``; answers its id."""
        line_items = [
            {"price_data": {"currency": "usd", "unit_amount": amount,
                            "product_data": {"name": name}}, "quantity": quantity}
            for name, amount, quantity in (items or (("Ledger T-shirt", 2500, 1),))
        ]
        params: dict[str, Any] = {
            "mode": "payment", "success_url": SUCCESS_URL, "line_items": line_items,
            "cancel_url": "http://127.0.0.1:4242/", "customer_email": "ada@example.com",
            "payment_method_types": ["card", "us_bank_account"], **extra,
        }
        if "customer" in extra:  # Stripe takes one or the other
            del params["customer_email"]
        session = self.sdk.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
        return str(session.id)

    def setup_session(self, *, customer: str | None = None,
                      email: str = "ada@example.com") -> str:
        """A setup-mode Checkout Session (saves a card; ``customer=`` for an existing one)."""
        params: dict[str, Any] = {
            "mode": "setup", "currency": "usd", "success_url": SUCCESS_URL,
            "cancel_url": "http://127.0.0.1:4242/", "payment_method_types": ["card"]}
        if customer is not None:
            params["customer"] = customer
        else:
            params["customer_email"] = email
        session = self.sdk.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
        return str(session.id)

    def customer(self, email: str = "ada@example.com") -> str:
        """A new Customer at Stripe; its id."""
        return str(self.sdk.v1.customers.create(params={"email": email}).id)

    def payment_intents(self, customer: str) -> list[dict[str, Any]]:
        """The customer's PaymentIntents, as Stripe lists them."""
        listed = self.sdk.v1.payment_intents.list(params={"customer": customer, "limit": 100})
        return [pi.to_dict() for pi in listed.data]

    def fault(self, method: str, path: str, fault: str, count: int = 1, *,
              seconds: float | None = None) -> None:
        """Make the next ``count`` calls of ``method path`` fail (the emulator's faults;
        ``seconds``: how long a ``timeout`` holds the answer, 30 s if not given)."""
        rule: dict[str, Any] = {"method": method, "path": path, "fault": fault, "count": count}
        if seconds is not None:
            rule["seconds"] = seconds
        self._control("/_emulator/faults", rule)

    def clear_faults(self) -> None:
        """Disarm every fault rule left armed."""
        self.http.delete("/_emulator/faults").raise_for_status()

    def event_about(self, object_id: str, event_type: str) -> dict[str, Any]:
        """The emulator's ``event_type`` event about the object ``object_id``."""
        return self.event(object_id, event_type)

    def pay(self, session_id: str, *, card: str = "4242424242424242") -> None:
        self._control(f"/_emulator/checkout/sessions/{session_id}/pay", {"card": card})

    def pay_by_bank(self, session_id: str, *, succeeds: bool) -> None:
        """Complete the session unpaid with a bank debit that will succeed or fail."""
        method = "bank_debit_succeeds" if succeeds else "bank_debit_fails"
        self._control(f"/_emulator/checkout/sessions/{session_id}/pay", {"method": method})

    def settle(self, session_id: str) -> None:
        """The bank debit settles now (``async_payment_succeeded`` or ``_failed``)."""
        self._control(f"/_emulator/checkout/sessions/{session_id}/settle", {})

    def expire(self, session_id: str) -> None:
        self.sdk.v1.checkout.sessions.expire(session_id)

    def event(self, session_id: str, event_type: str) -> dict[str, Any]:
        """The emulator's ``event_type`` event about the session, as ``/v1/events`` lists it."""
        params: dict[str, Any] = {"type": event_type, "limit": 100}
        while True:
            page = self.http.get("/v1/events", params=params,
                                 headers={"Authorization": f"Bearer {API_KEY}"})
            page.raise_for_status()
            listed = page.json()
            for found in listed["data"]:
                if found["data"]["object"]["id"] == session_id:
                    return dict(found)
            if not listed["has_more"]:
                raise LookupError(f"no {event_type} event for {session_id}")
            params["starting_after"] = listed["data"][-1]["id"]

    def deliver(self, service: TestClient, session_id: str, event_type: str) -> dict[str, Any]:
        """POST the emulator's event to the service, signed as Stripe signs it; the event."""
        found = self.event(session_id, event_type)
        payload, headers = signed(json.dumps(found).encode())
        answer = service.post("/webhook", content=payload, headers=headers)
        assert answer.status_code == 200, answer.text
        return found

    def _control(self, path: str, body: dict[str, Any]) -> None:
        answer = self.http.post(path, json=body)
        assert answer.status_code in (200, 201), answer.text


def history_types(service: TestClient, session_id: str, staff: dict[str, str]) -> list[str]:
    """The types of the session's recorded events, oldest first."""
    answer = service.get(f"/sessions/{session_id}/history", headers=staff)
    assert answer.status_code == 200, answer.text
    return [entry["type"] for entry in answer.json()["events"]]
