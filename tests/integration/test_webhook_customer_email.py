"""The customer's email, as a webhook tells it: the one typed on the Checkout page counts too.

Stripe leaves ``customer_email`` null unless the merchant passed one when creating the session;
what the customer typed on the Checkout page arrives as ``customer_details.email``.
"""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.conftest import STAFF, settle
from tests.support.webhooks import new_session_id, session_event, signed


def deliver(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    """POST the signed event, let the ledger apply it; the session as staff see it."""
    payload, headers = signed(body)
    assert client.post("/webhook", content=payload, headers=headers).status_code == 200
    settle(client)
    session_id = body["data"]["object"]["id"]
    response = client.get(f"/sessions/{session_id}", headers=STAFF)
    assert response.status_code == 200
    state: dict[str, Any] = response.json()
    return state


def details(email: str | None) -> dict[str, Any]:
    """``customer_details`` as Stripe sends it once the customer filled in the page."""
    return {"address": {"city": None, "country": "US", "line1": None, "line2": None,
                        "postal_code": "94107", "state": None},
            "email": email, "name": "Ada Lovelace", "phone": None, "tax_exempt": "none",
            "tax_ids": []}


def test_the_email_typed_on_the_checkout_page_is_kept_when_the_session_has_no_customer_email(
    client: TestClient,
) -> None:
    completed = session_event("checkout.session.completed", new_session_id(),
                              customer=None, customer_email=None,
                              customer_details=details("ada@example.com"))

    state = deliver(client, completed)

    assert state["customer_email"] == "ada@example.com"


def test_the_customer_email_the_session_was_created_with_is_kept(client: TestClient) -> None:
    completed = session_event("checkout.session.completed", new_session_id(),
                              customer_email="grace@example.com",
                              customer_details=details("grace@example.com"))

    state = deliver(client, completed)

    assert state["customer_email"] == "grace@example.com"


def test_a_session_with_no_email_anywhere_has_none(client: TestClient) -> None:
    expired = session_event("checkout.session.expired", new_session_id(),
                            customer=None, customer_email=None, customer_details=None)

    state = deliver(client, expired)

    assert state["status"] == "expired"
    assert state["customer_email"] is None
