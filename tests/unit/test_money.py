"""One money formatter for every page, email and the emulator."""

from __future__ import annotations

import pytest

from domain.money import format_money


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (2500, "usd", "$25.00"),
        (2500, "USD", "$25.00"),
        (5, "usd", "$0.05"),
        (123456789, "eur", "€1,234,567.89"),
        (999, "gbp", "£9.99"),
        (500, "jpy", "¥500"),
        (1500000, "jpy", "¥1,500,000"),
        (500, "krw", "500 KRW"),
        (1234, "chf", "12.34 CHF"),
        (1000, "kwd", "1.000 KWD"),
        (50000, "isk", "500.00 ISK"),
        (-2500, "usd", "-$25.00"),
    ],
)
def test_an_amount_in_minor_units_reads_in_its_currency(amount: int, currency: str, shown: str) -> None:
    assert format_money(amount, currency) == shown


def test_a_yen_amount_is_never_divided_by_a_hundred() -> None:
    assert format_money(500, "jpy") != format_money(5, "jpy")
    assert format_money(500, "jpy") == "¥500"


def test_a_missing_amount_reads_as_zero_and_a_missing_currency_adds_nothing() -> None:
    assert format_money(None, "usd") == "$0.00"
    assert format_money(2500, None) == "25.00"


def test_large_amounts_are_exact_to_the_cent() -> None:
    assert format_money(10**17 + 1, "usd") == "$1,000,000,000,000,000.01"
