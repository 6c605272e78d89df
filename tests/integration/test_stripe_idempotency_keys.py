"""The real adapter sends the caller's key as ``Idempotency-Key``, on the first try and on each
of the SDK's retries: Stripe (here the emulator) records it in the events the call caused."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from domain.model.payment_facts import ChargeRequest, RecoveryRequest
from emulator.server import EmulatorServer
from tests.support.stripe_worlds import HOLD, RETRIES, EmulatorWorld


@pytest.fixture
def world(emulator: EmulatorServer) -> Iterator[EmulatorWorld]:
    real = EmulatorWorld(emulator.url)
    yield real
    real.close()


def keys_of(world: EmulatorWorld, event_type: str, object_id: str) -> list[str | None]:
    """The idempotency keys of the requests that caused ``event_type`` about ``object_id``."""
    listed = world.sdk.v1.events.list(params={"type": event_type, "limit": 100}).to_dict()
    events: list[dict[str, Any]] = listed["data"]
    return [event["request"]["idempotency_key"] for event in events
            if event["data"]["object"]["id"] == object_id]


def test_a_new_customer_is_created_with_the_callers_key(world: EmulatorWorld) -> None:
    key = f"customer-{uuid.uuid4().hex}"

    customer = world.gateway.create_customer("ada@example.com", key)

    assert keys_of(world, "customer.created", customer) == [key]


def test_every_retry_of_a_charge_sends_the_callers_key_so_one_payment_intent_is_made(
    world: EmulatorWorld,
) -> None:
    customer = world.customer()
    card = world.saved_card(customer, "pm_card_visa")
    key = f"charge-{uuid.uuid4().hex}"
    world.fail_next("charge_off_session", "timeout", RETRIES)  # both held tries land later

    result = world.gateway.charge_off_session(ChargeRequest(customer, card, 1500, "usd", None, key))
    time.sleep(HOLD + 0.3)

    assert result.status == "succeeded"
    assert keys_of(world, "payment_intent.created", str(result.payment_intent)) == [key]
    assert [i["id"] for i in world.charges_of(customer)] == [result.payment_intent]
    injected = world.control.get("/_emulator/faults").json()["injected"]
    assert sum(1 for i in injected if i["path"] == "/v1/payment_intents") >= RETRIES


def test_a_recovery_session_is_created_with_the_callers_key(world: EmulatorWorld) -> None:
    customer = world.customer()
    key = f"recovery-{uuid.uuid4().hex}"
    request = RecoveryRequest(customer, 1500, "usd", "Ledger Pro", (), key)

    first = world.gateway.create_recovery_session(request, "http://127.0.0.1/ok", "http://127.0.0.1/")
    replayed = world.sdk.v1.checkout.sessions.create(
        params={"mode": "payment", "customer": customer, "success_url": "http://127.0.0.1/ok",
                "cancel_url": "http://127.0.0.1/", "metadata": {}, "line_items": [{
                    "price_data": {"currency": "usd", "unit_amount": 1500,
                                   "product_data": {"name": "Ledger Pro"}}, "quantity": 1}]},
        options={"idempotency_key": key})

    assert replayed.id == first[0]  # Stripe saw the key with exactly these parameters
