"""Stripe's webhook signature scheme: ``t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>``."""

from __future__ import annotations

import hashlib
import hmac
import time


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header value for ``payload``, as Stripe sends it."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"
