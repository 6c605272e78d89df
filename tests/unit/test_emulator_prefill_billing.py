"""The billing details a saved card needs to be pre-filled, per ``billing_address_collection``."""

from __future__ import annotations

import pytest

from emulator.prefill import satisfies
from tests.unit.emulator_prefill_support import billing


def test_auto_collection_is_satisfied_by_email_name_country_and_postal_code() -> None:
    assert satisfies(billing(), "auto")
    assert satisfies(billing(), None)  # auto is the default


@pytest.mark.parametrize("missing", ["email", "name", "country"])
def test_auto_collection_needs_email_name_and_country(missing: str) -> None:
    assert not satisfies(billing(**{missing: None}), "auto")


@pytest.mark.parametrize("country", ["US", "CA", "GB"])
def test_auto_collection_needs_a_postal_code_in_the_us_canada_and_the_uk(country: str) -> None:
    assert not satisfies(billing(country=country, postal_code=None), "auto")


@pytest.mark.parametrize("country", ["FR", "DE", "IE"])
def test_auto_collection_needs_no_postal_code_elsewhere(country: str) -> None:
    assert satisfies(billing(country=country, postal_code=None, line1=None, city=None), "auto")


def test_auto_collection_does_not_need_a_street_address() -> None:
    assert satisfies(billing(line1=None, city=None), "auto")


def test_required_collection_is_satisfied_by_a_whole_address() -> None:
    assert satisfies(billing(), "required")


@pytest.mark.parametrize("missing", ["email", "name", "line1", "city", "postal_code", "country"])
def test_required_collection_needs_every_address_field(missing: str) -> None:
    assert not satisfies(billing(**{missing: None}), "required")


def test_required_collection_needs_a_state_in_the_us_and_canada_only() -> None:
    us = billing(country="US", postal_code="94080", state=None)

    assert not satisfies(us, "required")
    assert satisfies(billing(country="US", postal_code="94080", state="CA"), "required")
    assert satisfies(billing(state=None), "required")  # GB


def test_the_second_address_line_is_never_needed() -> None:
    assert satisfies(billing(line2=None), "required")
