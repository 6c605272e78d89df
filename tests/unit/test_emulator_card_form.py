"""What the hosted page's card form collects, what a card saved through Checkout becomes, and the
session parameters that decide what a returning customer sees."""

from __future__ import annotations

import pytest

from emulator.card_form import TEST_BILLING, allow_redisplay, billing_details, save_offered
from emulator.errors import StripeError
from emulator.forms import Params
from emulator.prefill import satisfies, saved_options


def test_a_card_saved_in_setup_mode_may_always_be_redisplayed() -> None:
    assert allow_redisplay("setup", consent=False, override=None) == "always"


def test_a_card_saved_for_a_subscription_is_limited_without_the_customers_consent() -> None:
    assert allow_redisplay("subscription", consent=False, override=None) == "limited"
    assert allow_redisplay("subscription", consent=True, override=None) == "always"


def test_payment_method_data_allow_redisplay_overrides_checkouts_choice() -> None:
    assert allow_redisplay("setup", consent=False, override="limited") == "limited"
    assert allow_redisplay("subscription", consent=False, override="always") == "always"


def test_the_save_box_shows_only_when_the_session_enables_payment_method_save() -> None:
    enabled = {"payment_method_save": "enabled"}

    assert save_offered({"mode": "subscription", "saved_payment_method_options": enabled})
    assert save_offered({"mode": "payment", "customer": "cus_1",
                         "saved_payment_method_options": enabled})
    assert not save_offered({"mode": "payment", "customer": None,
                             "saved_payment_method_options": enabled})
    assert not save_offered({"mode": "subscription", "saved_payment_method_options": None})


def test_empty_billing_fields_get_the_test_values_and_satisfy_auto_collection() -> None:
    details = billing_details({}, None, email="ada@example.com")

    assert details["name"] == TEST_BILLING["name"]
    assert (details["address"]["country"], details["address"]["postal_code"]) == ("US", "94080")
    assert details["address"]["line1"] is None  # auto mode collects no street address
    assert satisfies(details, "auto")


def test_typed_billing_fields_are_kept() -> None:
    form = {"billing_name": "Ada Lovelace", "billing_country": "gb",
            "billing_postal_code": "SW1Y 4JH"}

    details = billing_details(form, "auto", email="ada@example.com")

    assert details["name"] == "Ada Lovelace"
    assert details["address"]["country"] == "GB"
    assert details["address"]["postal_code"] == "SW1Y 4JH"


def test_required_collection_collects_the_whole_address() -> None:
    details = billing_details({"billing_line1": "1 Main St"}, "required", email="a@example.com")

    assert details["address"]["line1"] == "1 Main St"
    assert details["address"]["city"] == TEST_BILLING["city"]
    assert satisfies(details, "required")


def test_a_session_with_a_customer_serves_the_default_redisplay_filter() -> None:
    assert saved_options(Params({}), "cus_1") == {
        "allow_redisplay_filters": ["always"], "payment_method_remove": None,
        "payment_method_save": None}
    assert saved_options(Params({}), None) is None


def test_a_session_serves_the_redisplay_filters_it_was_given() -> None:
    params = Params({"saved_payment_method_options": {
        "allow_redisplay_filters": ["always", "limited", "unspecified"],
        "payment_method_save": "enabled"}})

    options = saved_options(params, "cus_1")

    assert options is not None
    assert options["allow_redisplay_filters"] == ["always", "limited", "unspecified"]
    assert options["payment_method_save"] == "enabled"


def test_an_unknown_redisplay_filter_is_refused_naming_the_parameter() -> None:
    params = Params({"saved_payment_method_options": {"allow_redisplay_filters": ["sometimes"]}})

    with pytest.raises(StripeError) as raised:
        saved_options(params, "cus_1")

    assert raised.value.status == 400
    assert raised.value.param == "saved_payment_method_options[allow_redisplay_filters][0]"
