"""``/_emulator/clock`` moves the clock of the hosted page's rules: a returning customer's
prefill is gone once it says 30 minutes have passed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe

from tests.integration.emulator.test_emulator_prefill import ada_with_card, saved_choice


@pytest.fixture
def clock(control: httpx.Client) -> Iterator[httpx.Client]:
    yield control
    control.post("/_emulator/clock", json={"reset": True}).raise_for_status()


def test_advancing_the_clock_30_minutes_removes_the_prefill(
    clock: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    ada, card = ada_with_card(client)
    session = shop.session(shop.price(1800), customer=ada.id)
    before = clock.get(f"/pay/{session.id}")

    almost = clock.post("/_emulator/clock", json={"advance_seconds": 29 * 60})
    still = clock.get(f"/pay/{session.id}")
    clock.post("/_emulator/clock", json={"advance_seconds": 60}).raise_for_status()
    after = clock.get(f"/pay/{session.id}")
    paid = clock.post(f"/pay/{session.id}", data={"method": "saved_card",
                                                  "payment_method": card.id})

    assert saved_choice(before) is not None and saved_choice(still) is not None
    assert almost.json()["offset_seconds"] == 29 * 60
    assert saved_choice(after) is None
    assert paid.status_code == 400


def test_reset_puts_the_clock_back(clock: httpx.Client) -> None:
    clock.post("/_emulator/clock", json={"advance_seconds": 3600}).raise_for_status()

    back = clock.post("/_emulator/clock", json={"reset": True})

    assert back.json()["offset_seconds"] == 0
    assert clock.get("/_emulator/clock").json()["offset_seconds"] == 0


@pytest.mark.parametrize("body", [
    {}, {"advance_seconds": -1}, {"advance_seconds": "60"}, {"advance_seconds": True},
    {"advance_seconds": 1.5}, {"reset": False}, {"advance_seconds": 1, "reset": True},
    {"seconds": 60}, [60]])
def test_a_bad_body_is_a_400_and_moves_nothing(clock: httpx.Client, body: Any) -> None:
    answer = clock.post("/_emulator/clock", json=body)

    assert answer.status_code == 400
    assert clock.get("/_emulator/clock").json()["offset_seconds"] == 0
