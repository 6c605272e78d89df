"""Stripe-looking identifiers (``cs_test_a1...``, ``price_1...``, ``cus_...``)."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits

# Body lengths as Stripe's own ids have them, so ids look and sort like the real thing.
_LENGTHS = {"cs_test_a1": 58, "prod": 14, "cus": 14, "whsec": 32, "si": 14, "in": 24}


def random_token(length: int) -> str:
    """Return ``length`` random alphanumeric characters."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_id(prefix: str) -> str:
    """Return a fresh id such as ``price_1AbC...``; checkout sessions get ``cs_test_a1...``."""
    if prefix == "cs":
        return "cs_test_a1" + random_token(_LENGTHS["cs_test_a1"])
    length = _LENGTHS.get(prefix, 24)
    body = random_token(length)
    # Most of Stripe's 24-character ids start with "1" (a version digit).
    if length == 24:
        body = "1" + body[1:]
    return f"{prefix}_{body}"
