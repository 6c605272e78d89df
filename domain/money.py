"""Amounts as people read them: one formatter for the pages, the emails and the emulator.

Stripe counts every amount in the currency's minor unit (cents for ``usd``), except for its
zero-decimal currencies (``500 jpy`` is ¥500) and its three-decimal ones (``1000 kwd`` is
1.000 KWD). Icelandic króna (``isk``) is sent to Stripe as a two-decimal amount for backward
compatibility, so it is formatted as one here too.
"""

from __future__ import annotations

#: Currencies Stripe counts in whole units (https://docs.stripe.com/currencies#zero-decimal).
ZERO_DECIMAL = frozenset({"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf",
                          "ugx", "vnd", "vuv", "xaf", "xof", "xpf"})
#: Currencies Stripe counts in thousandths.
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥"}


def decimals(currency: str | None) -> int:
    """How many digits of an amount in ``currency`` come after the decimal point."""
    code = (currency or "").lower()
    if code in ZERO_DECIMAL:
        return 0
    return 3 if code in THREE_DECIMAL else 2


def format_money(amount_minor: int | None, currency: str | None) -> str:
    """``2500, "usd"`` -> ``"$25.00"``; ``500, "jpy"`` -> ``"¥500"``;
    ``1234, "chf"`` -> ``"12.34 CHF"``. A missing amount reads as zero."""
    code = (currency or "").lower()
    places = decimals(code)
    value = amount_minor or 0
    units, minor = divmod(abs(value), 10**places)  # integers only: no float rounding
    text = f"{units:,}" + (f".{minor:0{places}d}" if places else "")
    sign = "-" if value < 0 else ""
    symbol = SYMBOLS.get(code)
    if symbol:
        return f"{sign}{symbol}{text}"
    return f"{sign}{text} {code.upper()}".rstrip()
