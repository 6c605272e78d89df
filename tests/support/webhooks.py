"""What Stripe would send: signed webhook requests built from Stripe's own fixtures."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
import uuid
from functools import cache
from pathlib import Path
from typing import Any

# Stripe's published examples, kept in the repository (see tests/fixtures/stripe/README.md).
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "stripe" / "fixtures3.json"
SECRET = "whsec_test_primary_secret"


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header: ``t=<unix>,v1=<HMAC-SHA256(secret, "t.payload")>``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


@cache
def fixtures() -> dict[str, Any]:
    """Stripe's example of every resource, by name (``"checkout.session"``, ``"event"``...)."""
    with FIXTURES.open() as f:
        return json.load(f)["resources"]


def new_session_id() -> str:
    return f"cs_test_{uuid.uuid4().hex}"


def new_event_id() -> str:
    return f"evt_{uuid.uuid4().hex[:24]}"


def checkout_session(session_id: str, **fields: Any) -> dict[str, Any]:
    """A ``checkout.session`` object shaped like Stripe's own example."""
    obj = copy.deepcopy(fixtures()["checkout.session"])
    obj.update(
        id=session_id, mode="payment", status="complete", payment_status="paid",
        amount_subtotal=2500, amount_total=2500, currency="usd", customer="cus_test_1",
        payment_intent="pi_test_1", metadata={},
    )
    obj.update(fields)
    return obj


def event(event_type: str, obj: dict[str, Any], *, event_id: str | None = None,
          created: int | None = None) -> dict[str, Any]:
    """A Stripe ``event`` (Stripe's example envelope) carrying ``obj``."""
    envelope = copy.deepcopy(fixtures()["event"])
    envelope.update(
        id=event_id or new_event_id(), type=event_type, object="event", livemode=False,
        created=int(time.time()) if created is None else created,
        data={"object": obj},
    )
    return envelope


def session_event(event_type: str, session_id: str, *, event_id: str | None = None,
                  created: int | None = None, **fields: Any) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "checkout.session.completed": {},
        "checkout.session.async_payment_succeeded": {"payment_status": "paid"},
        "checkout.session.async_payment_failed": {"payment_status": "unpaid"},
        "checkout.session.expired": {"status": "expired", "payment_status": "unpaid",
                                     "payment_intent": None},
    }[event_type]
    obj = checkout_session(session_id, **{**defaults, **fields})
    return event(event_type, obj, event_id=event_id, created=created)


def signed(body: dict[str, Any] | bytes, secret: str = SECRET,
           timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    """Body bytes and headers for ``POST /webhook``."""
    payload = body if isinstance(body, bytes) else json.dumps(body, indent=2).encode()
    return payload, {"Stripe-Signature": sign(payload, secret, timestamp),
                     "Content-Type": "application/json"}
