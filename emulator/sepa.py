"""SEPA Direct Debit payment methods, and what Stripe's test IBANs do once debited.

A debit is ``processing`` first and settles later (like the hosted page's bank debit, see
:mod:`emulator.checkout_debit`): it succeeds, except for the test IBANs Stripe documents as
failing, which end ``requires_payment_method`` (``checkout.session.async_payment_failed``).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from emulator.errors import invalid, missing_param
from emulator.forms import Params
from emulator.ids import new_id
from emulator.objects import now
from emulator.shapes import template

# Stripe's test IBANs whose debit fails after ``processing``.
FAILING = {"AT861904300235473202", "DE62370400440532013001", "IT60X0542811101000000123456"}
_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")


def normalize(iban: str) -> str:
    """Upper case, no spaces (people type them in groups of four)."""
    return iban.replace(" ", "").upper()


def is_valid(iban: str) -> bool:
    """Country, check digits and the mod-97 checksum of ISO 13616."""
    if not _SHAPE.fullmatch(iban):
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def outcome(iban: str) -> str:
    """``bank_debit_succeeds`` or ``bank_debit_fails`` (the settlement's outcome)."""
    return "bank_debit_fails" if iban in FAILING else "bank_debit_succeeds"


def build(p: Params) -> tuple[dict[str, Any], str]:
    """``POST /v1/payment_methods`` with ``type=sepa_debit``: (the ``pm_...``, its IBAN).

    Stripe needs the account holder's name and email for a SEPA mandate."""
    raw = p.hash("sepa_debit").string("iban")
    if raw is None:
        raise missing_param("sepa_debit[iban]")
    iban = normalize(raw)
    if not is_valid(iban):
        raise invalid("The IBAN you provided is invalid.", param="sepa_debit[iban]",
                      code="invalid_bank_account_iban")
    details = p.hash("billing_details")
    for name in ("name", "email"):
        if not details.has(name):
            raise missing_param(f"billing_details[{name}]")
    pm = template("payment_method")
    del pm["card"]
    pm.update(id=new_id("pm"), customer=None, created=now(), type="sepa_debit",
              allow_redisplay="unspecified")
    pm["sepa_debit"] = {
        "bank_code": iban[4:9], "branch_code": "", "country": iban[:2],
        "fingerprint": hashlib.sha256(("emulator-iban:" + iban).encode()).hexdigest()[:16],
        "generated_from": {"charge": None, "setup_attempt": None}, "last4": iban[-4:],
    }
    return pm, iban
