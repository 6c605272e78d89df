"""Which saved card the emulator's hosted page pre-fills (Stripe's "existing customers" rules)."""

from __future__ import annotations

import pytest

from emulator import prefill
from emulator.payment_methods import detach
from emulator.state import EmulatorState
from tests.unit.emulator_prefill_support import billing, customer, saved_card, session

ALL = ["always", "limited", "unspecified"]


@pytest.fixture
def state() -> EmulatorState:
    return EmulatorState()


def chosen(state: EmulatorState, cs: dict[str, object], after: int = 0) -> object:
    pm = prefill.choose(state, cs, int(str(cs["created"])) + after)
    return pm and pm["id"]


def test_a_card_the_customer_allowed_to_redisplay_always_is_prefilled(state: EmulatorState) -> None:
    ada = customer(state)
    card = saved_card(state, ada, redisplay="always")

    assert chosen(state, session(state, ada)) == card["id"]


@pytest.mark.parametrize("redisplay", ["limited", "unspecified"])
def test_by_default_a_card_not_allowed_always_is_not_prefilled(state: EmulatorState,
                                                                 redisplay: str) -> None:
    ada = customer(state)
    saved_card(state, ada, redisplay=redisplay)

    assert chosen(state, session(state, ada)) is None


@pytest.mark.parametrize("redisplay", ["limited", "unspecified"])
def test_the_sessions_redisplay_filters_can_show_limited_and_unspecified_cards(
    state: EmulatorState, redisplay: str
) -> None:
    ada = customer(state)
    card = saved_card(state, ada, redisplay=redisplay)
    cs = session(state, ada, saved_payment_method_options={"allow_redisplay_filters": ALL})

    assert chosen(state, cs) == card["id"]


def test_filters_that_leave_out_always_hide_an_always_card(state: EmulatorState) -> None:
    ada = customer(state)
    saved_card(state, ada, redisplay="always")
    cs = session(state, ada, saved_payment_method_options={"allow_redisplay_filters": ["limited"]})

    assert chosen(state, cs) is None


def test_setup_mode_never_prefills(state: EmulatorState) -> None:
    ada = customer(state)
    saved_card(state, ada)

    assert chosen(state, session(state, ada, mode="setup")) is None


def test_a_session_without_a_customer_prefills_nothing(state: EmulatorState) -> None:
    saved_card(state, customer(state))

    assert chosen(state, session(state, None)) is None


def test_another_customers_card_is_never_prefilled(state: EmulatorState) -> None:
    saved_card(state, customer(state, "grace@example.com"))

    assert chosen(state, session(state, customer(state))) is None


def test_a_detached_card_is_never_prefilled(state: EmulatorState) -> None:
    ada = customer(state)
    card = saved_card(state, ada)
    cs = session(state, ada)
    detach(state, card)

    assert chosen(state, cs) is None


def test_the_prefill_is_gone_30_minutes_after_the_session_was_created(
    state: EmulatorState
) -> None:
    ada = customer(state)
    card = saved_card(state, ada)
    cs = session(state, ada)

    assert chosen(state, cs, after=30 * 60 - 1) == card["id"]
    assert chosen(state, cs, after=30 * 60) is None


def test_a_completed_session_prefills_nothing(state: EmulatorState) -> None:
    ada = customer(state)
    saved_card(state, ada)
    cs = session(state, ada)
    cs["status"] = "complete"

    assert chosen(state, cs) is None


def test_payment_mode_prefills_the_newest_card(state: EmulatorState) -> None:
    ada = customer(state)
    saved_card(state, ada, "5555555555554444", created=1_700_000_000)
    newest = saved_card(state, ada, "4242424242424242", created=1_700_000_100)
    saved_card(state, ada, "6011111111111117", created=1_700_000_050)

    assert chosen(state, session(state, ada)) == newest["id"]


def test_payment_mode_skips_a_newer_card_that_does_not_qualify(state: EmulatorState) -> None:
    ada = customer(state)
    older = saved_card(state, ada, created=1_700_000_000)
    saved_card(state, ada, "5555555555554444", redisplay="limited", created=1_700_000_100)

    assert chosen(state, session(state, ada)) == older["id"]


def test_subscription_mode_prefills_the_customers_default_card(state: EmulatorState) -> None:
    ada = customer(state)
    default = saved_card(state, ada, "5555555555554444", created=1_700_000_000)
    saved_card(state, ada, created=1_700_000_100)
    ada["invoice_settings"]["default_payment_method"] = default["id"]

    assert chosen(state, session(state, ada, mode="subscription")) == default["id"]
    assert chosen(state, session(state, ada)) != default["id"]  # payment mode: the newest


def test_subscription_mode_without_a_default_card_prefills_the_newest(
    state: EmulatorState
) -> None:
    ada = customer(state)
    saved_card(state, ada, "5555555555554444", created=1_700_000_000)
    newest = saved_card(state, ada, created=1_700_000_100)

    assert chosen(state, session(state, ada, mode="subscription")) == newest["id"]


def test_subscription_mode_passes_over_a_default_card_that_does_not_qualify(
    state: EmulatorState
) -> None:
    ada = customer(state)
    default = saved_card(state, ada, "5555555555554444", redisplay="limited")
    other = saved_card(state, ada)
    ada["invoice_settings"]["default_payment_method"] = default["id"]

    assert chosen(state, session(state, ada, mode="subscription")) == other["id"]


def test_a_card_without_billing_details_is_not_prefilled(state: EmulatorState) -> None:
    ada = customer(state)
    saved_card(state, ada, billing=billing(name=None))

    assert chosen(state, session(state, ada)) is None


def test_subscription_mode_with_a_default_that_is_not_a_card_prefills_the_newest_card(
    state: EmulatorState
) -> None:
    ada = customer(state)
    older = saved_card(state, ada, created=1_700_000_000)
    newest = saved_card(state, ada, "5555555555554444", created=1_700_000_100)
    bank = saved_card(state, ada, "4000056655665556", created=1_700_000_200)
    bank["type"] = "us_bank_account"  # the default is a bank account, never pre-filled
    ada["invoice_settings"]["default_payment_method"] = bank["id"]

    assert chosen(state, session(state, ada, mode="subscription")) == newest["id"]
    assert older["id"] != newest["id"]


def test_required_collection_prefills_the_newest_card_with_a_whole_address(
    state: EmulatorState
) -> None:
    ada = customer(state)
    whole = saved_card(state, ada, created=1_700_000_000)
    saved_card(state, ada, "5555555555554444", created=1_700_000_100,
               billing=billing(line1=None, city=None))

    assert chosen(state, session(state, ada, billing_address_collection="required")) \
        == whole["id"]
    assert chosen(state, session(state, ada)) != whole["id"]  # auto: the newest will do


def test_the_window_counts_from_the_sessions_creation_not_the_cards(
    state: EmulatorState
) -> None:
    ada = customer(state)
    card = saved_card(state, ada, created=1_000_000_000)  # saved long ago
    cs = session(state, ada)

    assert chosen(state, cs, after=29 * 60) == card["id"]


@pytest.mark.parametrize("status", ["complete", "expired"])
def test_only_an_open_session_prefills(state: EmulatorState, status: str) -> None:
    ada = customer(state)
    saved_card(state, ada)
    cs = session(state, ada, mode="subscription")
    cs["status"] = status

    assert chosen(state, cs) is None
