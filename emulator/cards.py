"""Stripe's test cards and what each one does.

Deliberate simplifications, documented so tests can rely on them:
- In a *setup* flow every valid card is saved, decline cards included, so that later off-session
  charges can exercise declines (Stripe's own card for that is 4000000000000341, also supported).
- Attaching a card to a customer never declines (Stripe declines most decline cards on attach;
  only 4000000000000341 attaches and then fails every charge).
- Authentication, as Stripe's test cards behave: 4000002760003184 needs it on every charge, so an
  off-session charge fails with ``authentication_required``; 4000002500003155 and
  4000003800000446 need it on-session only (a saved card charged off-session succeeds). The
  hosted page counts the challenge as completed.
- ``card.fingerprint`` is derived from the number: the same number always has the same one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Decline:
    """How a charge on a card fails: Stripe's error code, decline code and message."""

    code: str
    decline_code: str | None
    message: str


GENERIC = Decline("card_declined", "generic_decline", "Your card was declined.")
AUTHENTICATION = Decline(
    "authentication_required", "authentication_required",
    "Your card was declined. This transaction requires authentication.",
)

# Last 16 digits -> what a charge does. Absent: the charge succeeds.
_CHARGE_DECLINES: dict[str, Decline] = {
    "4000000000000002": GENERIC,
    "4000000000009995": Decline("card_declined", "insufficient_funds",
                                "Your card has insufficient funds."),
    "4000000000009987": Decline("card_declined", "lost_card", "Your card was declined."),
    "4000000000009979": Decline("card_declined", "stolen_card", "Your card was declined."),
    "4000000000000069": Decline("expired_card", "expired_card", "Your card has expired."),
    "4000000000000127": Decline("incorrect_cvc", "incorrect_cvc",
                                "Your card's security code is incorrect."),
    "4000000000000119": Decline("processing_error", "processing_error",
                                "An error occurred while processing your card. Try again in a "
                                "little bit."),
    "4100000000000019": Decline("card_declined", "fraudulent", "Your card was declined."),
    "4000000000000341": GENERIC,
}
# Authentication on every charge, off-session included / on-session charges only.
_ALWAYS_AUTHENTICATE = {"4000002760003184"}
_ON_SESSION_AUTHENTICATE = {"4000002500003155", "4000003800000446"}

# Stripe's test PaymentMethod ids, usable wherever a pm_ id is accepted.
MAGIC_PAYMENT_METHODS = {
    "pm_card_visa": "4242424242424242",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_amex": "378282246310005",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
    "pm_card_chargeDeclinedFraudulent": "4100000000000019",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_authenticationRequiredOnSetup": "4000002500003155",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard_debit": "5200828282828210",
    "pm_card_discover": "6011111111111117",
}
# Stripe's test tokens, named like the payment methods: ``tok_visa``, ``tok_chargeDeclined``...
MAGIC_TOKENS = {"tok_" + name.removeprefix("pm_card_"): number
                for name, number in MAGIC_PAYMENT_METHODS.items()}


def fingerprint(number: str) -> str:
    """Stripe's ``card.fingerprint``: 16 characters, the same for the same card number."""
    digest = hashlib.sha256(("emulator-card:" + normalize(number)).encode()).digest()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[b % len(alphabet)] for b in digest[:16])


def normalize(number: str) -> str:
    """Digits only (people type spaces and dashes)."""
    return "".join(ch for ch in number if ch.isdigit())


def is_valid(number: str) -> bool:
    """13-19 digits passing the Luhn check."""
    digits = normalize(number)
    if not 13 <= len(digits) <= 19 or len(digits) != len(number.replace(" ", "").replace("-", "")):
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def brand(number: str) -> str:
    """Card brand from the number's prefix, Stripe's spelling."""
    digits = normalize(number)
    if digits.startswith("4"):
        return "visa"
    if digits[:2] in {"34", "37"}:
        return "amex"
    if digits[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(digits[:4] or 0) <= 2720:
        return "mastercard"
    if digits.startswith(("6011", "65")):
        return "discover"
    return "unknown"


def needs_authentication(number: str, *, off_session: bool) -> bool:
    """Whether the issuer asks for 3D Secure on this charge."""
    digits = normalize(number)
    return digits in _ALWAYS_AUTHENTICATE or (not off_session and
                                              digits in _ON_SESSION_AUTHENTICATE)


def charge_decline(number: str, *, off_session: bool) -> Decline | None:
    """Why a charge on this card fails, or None when it succeeds (or needs authentication
    on-session: see :func:`needs_authentication`). Off-session, authentication is a decline."""
    if off_session and needs_authentication(number, off_session=True):
        return AUTHENTICATION
    return _CHARGE_DECLINES.get(normalize(number))
