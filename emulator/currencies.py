"""Currencies a PaymentIntent takes, and Stripe's amount limits (``amount_too_small/large``)."""

from __future__ import annotations

from domain.money import ZERO_DECIMAL, format_money
from emulator.errors import invalid

# Stripe's presentment currencies (https://docs.stripe.com/currencies), lowercase ISO codes.
SUPPORTED = frozenset([
    "usd", "aed", "afn", "all", "amd", "ang", "aoa", "ars", "aud", "awg", "azn", "bam", "bbd",
    "bdt", "bgn", "bhd", "bif", "bmd", "bnd", "bob", "brl", "bsd", "bwp", "byn", "bzd", "cad",
    "cdf", "chf", "clp", "cny", "cop", "crc", "cve", "czk", "djf", "dkk", "dop", "dzd", "egp",
    "etb", "eur", "fjd", "fkp", "gbp", "gel", "gip", "gmd", "gnf", "gtq", "gyd", "hkd", "hnl",
    "htg", "huf", "idr", "ils", "inr", "isk", "jmd", "jod", "jpy", "kes", "kgs", "khr", "kmf",
    "krw", "kwd", "kyd", "kzt", "lak", "lbp", "lkr", "lrd", "lsl", "mad", "mdl", "mga", "mkd",
    "mmk", "mnt", "mop", "mur", "mvr", "mwk", "mxn", "myr", "mzn", "nad", "ngn", "nio", "nok",
    "npr", "nzd", "omr", "pab", "pen", "pgk", "php", "pkr", "pln", "pyg", "qar", "ron", "rsd",
    "rub", "rwf", "sar", "sbd", "scr", "sek", "sgd", "shp", "sle", "sos", "srd", "std", "szl",
    "thb", "tjs", "tnd", "top", "try", "ttd", "twd", "tzs", "uah", "ugx", "uyu", "uzs", "vnd",
    "vuv", "wst", "xaf", "xcd", "xof", "xpf", "yer", "zar", "zmw"
])

# Smallest charge in the currency's minor unit (https://docs.stripe.com/currencies#minimum-and-
# maximum-charge-amounts); other currencies: the equivalent of $0.50, taken here as 50 units.
MINIMUM = {"usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50,
           "czk": 1500, "dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50,
           "jpy": 50, "mxn": 1000, "myr": 200, "nok": 300, "nzd": 50, "pln": 200, "ron": 200,
           "sek": 300, "sgd": 50, "thb": 1000}
MAXIMUM = 99_999_999  # eight digits in the minor unit, as Stripe caps most currencies


def currency(raw: str) -> str:
    """A supported currency, lowercased, or Stripe's 400 naming ``currency``."""
    code = raw.lower()
    if code not in SUPPORTED:
        raise invalid(f"Invalid currency: {code}. Stripe currently supports these currencies: "
                      f"{', '.join(sorted(SUPPORTED))}", param="currency")
    return code


def check_amount(amount: int, code: str) -> None:
    """Stripe's ``amount_too_small`` / ``amount_too_large`` for a charge in ``code``."""
    low = MINIMUM.get(code, 1 if code in ZERO_DECIMAL else 50)
    if amount < low:
        raise invalid(f"Amount must be at least {format_money(low, code)} {code}",
                      param="amount", code="amount_too_small")
    if amount > MAXIMUM:
        raise invalid(f"Amount must be no more than {format_money(MAXIMUM, code)}",
                      param="amount", code="amount_too_large")
