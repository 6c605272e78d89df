"""Paying a Checkout Session with the saved card the hosted page pre-fills."""

from __future__ import annotations

import pytest

from emulator import checkout_flow
from emulator.errors import StripeError
from emulator.state import EmulatorState
from tests.unit.emulator_prefill_support import ADA_BILLING, customer, saved_card, session


@pytest.fixture
def state() -> EmulatorState:
    return EmulatorState()


def test_paying_with_the_prefilled_card_completes_the_session_with_that_card(
    state: EmulatorState
) -> None:
    ada = customer(state)
    card = saved_card(state, ada)
    cs = session(state, ada)

    done = checkout_flow.pay_with_saved_card(state, cs["id"], card["id"])

    intent = state.get("payment_intent", done["payment_intent"])
    assert (done["status"], done["payment_status"]) == ("complete", "paid")
    assert (intent["status"], intent["payment_method"], intent["customer"]) == (
        "succeeded", card["id"], ada["id"])
    assert card["customer"] == ada["id"]  # still attached
    assert done["customer_details"]["name"] == ADA_BILLING["name"]
    assert done["customer_details"]["address"]["postal_code"] == "SW1Y 4JH"


def test_a_subscription_paid_with_the_prefilled_card_uses_it(state: EmulatorState) -> None:
    ada = customer(state)
    card = saved_card(state, ada)
    cs = session(state, ada, mode="subscription")

    done = checkout_flow.pay_with_saved_card(state, cs["id"], card["id"])

    subscription = state.get("subscription", done["subscription"])
    assert (subscription["status"], subscription["default_payment_method"]) == (
        "active", card["id"])
    event_types = [e["type"] for e in state.events]
    assert "payment_method.attached" not in event_types  # it already was


def test_a_card_the_page_does_not_offer_cannot_be_paid_with(state: EmulatorState) -> None:
    ada = customer(state)
    limited = saved_card(state, ada, redisplay="limited")
    cs = session(state, ada)

    with pytest.raises(StripeError) as raised:
        checkout_flow.pay_with_saved_card(state, cs["id"], limited["id"])

    assert raised.value.status == 400
    assert state.get("checkout.session", cs["id"])["status"] == "open"


def test_after_30_minutes_the_saved_card_can_no_longer_be_paid_with(
    state: EmulatorState
) -> None:
    ada = customer(state)
    card = saved_card(state, ada)
    cs = session(state, ada)

    with pytest.raises(StripeError):
        checkout_flow.pay_with_saved_card(state, cs["id"], card["id"], at=cs["created"] + 1800)


def test_a_declined_saved_card_leaves_the_session_open_and_changes_nothing(
    state: EmulatorState
) -> None:
    ada = customer(state)
    card = saved_card(state, ada, "4000000000009995")
    cs = session(state, ada)
    events_before = len(state.events)

    with pytest.raises(StripeError) as raised:
        checkout_flow.pay_with_saved_card(state, cs["id"], card["id"])

    assert (raised.value.status, raised.value.extra.get("decline_code")) == (
        402, "insufficient_funds")
    assert state.get("checkout.session", cs["id"])["status"] == "open"
    assert len(state.events) == events_before


def test_a_card_saved_in_setup_mode_is_prefilled_on_the_customers_next_payment(
    state: EmulatorState
) -> None:
    ada = customer(state)
    setup = session(state, ada, mode="setup")
    checkout_flow.pay_with_card(state, setup["id"], "4242 4242 4242 4242")
    saved = state.get("setup_intent", setup["setup_intent"])["payment_method"]
    next_payment = session(state, ada)

    done = checkout_flow.pay_with_saved_card(state, next_payment["id"], saved)

    assert state.get("payment_method", saved)["allow_redisplay"] == "always"
    assert state.get("payment_intent", done["payment_intent"])["payment_method"] == saved


def test_a_card_saved_for_a_subscription_is_limited_unless_the_customer_ticks_save(
    state: EmulatorState
) -> None:
    ada = customer(state)
    quiet = session(state, ada, mode="subscription")
    ticked = session(state, ada, mode="subscription",
                     saved_payment_method_options={"payment_method_save": "enabled"})

    quiet_pm = checkout_flow.pay_with_card(state, quiet["id"], "4242424242424242")
    ticked_pm = checkout_flow.pay_with_card(state, ticked["id"], "4242424242424242", save=True)

    def redisplay(done: dict[str, object]) -> object:
        sub = state.get("subscription", str(done["subscription"]))
        return state.get("payment_method", sub["default_payment_method"])["allow_redisplay"]

    assert (redisplay(quiet_pm), redisplay(ticked_pm)) == ("limited", "always")


def test_a_card_paid_in_payment_mode_is_not_saved_unless_the_customer_ticks_save(
    state: EmulatorState
) -> None:
    ada = customer(state)
    plain = session(state, ada)
    ticked = session(state, ada, saved_payment_method_options={"payment_method_save": "enabled"})

    plain_done = checkout_flow.pay_with_card(state, plain["id"], "4242424242424242")
    ticked_done = checkout_flow.pay_with_card(state, ticked["id"], "5555555555554444", save=True)

    plain_pm = state.get("payment_method", state.get(
        "payment_intent", plain_done["payment_intent"])["payment_method"])
    ticked_pi = state.get("payment_intent", ticked_done["payment_intent"])
    ticked_pm = state.get("payment_method", ticked_pi["payment_method"])
    assert (plain_pm["customer"], plain_pm["allow_redisplay"]) == (None, "unspecified")
    assert (ticked_pm["customer"], ticked_pm["allow_redisplay"]) == (ada["id"], "always")
    assert ticked_pi["setup_future_usage"] == "on_session"
