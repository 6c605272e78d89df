"""``POST /customers/{id}/charges``: the JSON body, checked before anything reaches Stripe.

Amounts are integers of the currency's smallest unit, at least Stripe's minimum charge
for the common currencies (50 cents and the like) and at most Stripe's 99,999,999;
currencies are the ISO codes Stripe settles in.
"""

from __future__ import annotations

import re
from typing import Any

from api.params import PAYMENT_METHOD_ID, BadParameter
from domain.apps.charges import ChargeOrder
from domain.model.subscription import KEY_PREFIX

MAX_AMOUNT = 99_999_999
# Stripe's minimum charge amounts (in the smallest unit) for the currencies that have one
# worth knowing; others take 1.
MIN_AMOUNT = {"usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "chf": 50, "jpy": 50,
              "nzd": 50, "sgd": 50, "hkd": 400, "sek": 300, "nok": 300, "dkk": 250,
              "mxn": 1000, "brl": 50, "inr": 50, "pln": 200, "czk": 1500, "huf": 17500}
CURRENCIES = frozenset((  # noqa: SIM905  (a list of 135 literals reads worse)
    "usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd "
    "bwp byn bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp "
    "gel gip gmd gnf gtq gyd hkd hnl htg huf idr ils inr isk jmd jod jpy kes kgs khr kmf krw "
    "kwd kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad "
    "ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek "
    "sgd shp sle sos srd std szl thb tjs tnd top try ttd twd tzs uah ugx uyu uzs vnd vuv wst "
    "xaf xcd xof xpf yer zar zmw"
).split())
FIELDS = ("amount", "currency", "payment_method", "description", "idempotency_key")
MAX_TEXT = 1000
KEY = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII, as Stripe's idempotency keys


def charge_order(customer: str, body: dict[str, Any]) -> ChargeOrder:
    """The order the body asks for; :class:`BadParameter` naming the first problem."""
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise BadParameter(f"unknown field(s): {', '.join(unknown)}")
    currency = body.get("currency")
    if not isinstance(currency, str) or currency.lower() not in CURRENCIES:
        raise BadParameter("currency must be a three-letter ISO code Stripe settles in, "
                           "e.g. \"usd\"")
    currency = currency.lower()
    amount = body.get("amount")
    low = MIN_AMOUNT.get(currency, 1)
    if not isinstance(amount, int) or isinstance(amount, bool) or not low <= amount <= MAX_AMOUNT:
        raise BadParameter(f"amount must be an integer from {low} to {MAX_AMOUNT} in the "
                           f"smallest unit of {currency} (e.g. cents)")
    payment_method = text_field(body, "payment_method", 255)
    if payment_method is not None and not PAYMENT_METHOD_ID.fullmatch(payment_method):
        raise BadParameter("payment_method must be a saved card's id (pm_...)")
    key = text_field(body, "idempotency_key", 255)
    if key is not None and not KEY.fullmatch(key):
        raise BadParameter("idempotency_key must be 1 to 255 printable ASCII characters")
    if key is not None and key.startswith(KEY_PREFIX):
        raise BadParameter(f"idempotency_key may not start with {KEY_PREFIX!r} (the service's "
                           "own keys of subscription renewals)")
    return ChargeOrder(customer=customer, amount=amount, currency=currency,
                       payment_method=payment_method,
                       description=text_field(body, "description", MAX_TEXT), idempotency_key=key)


def text_field(body: dict[str, Any], name: str, limit: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= limit:
        raise BadParameter(f"{name} must be a string of 1 to {limit} characters")
    return value
