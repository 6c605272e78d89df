"""Verified Stripe webhooks -> the domain's :class:`StripeEvent`.

Signatures follow Stripe's scheme (``t=...,v1=...``, HMAC-SHA256 of ``"t.body"``),
checked by the official SDK against every configured secret so a secret can be
rotated without losing events.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import stripe

from adapters.stripe_events import HANDLED, Handled
from domain.model.facts import StripeEvent

TOLERANCE_SECONDS = 300
MAX_CREATED = 253402300800  # 10000-01-01: past it a timestamp is not a date


class RejectedWebhook(Exception):
    """The request is not a genuine, well-formed Stripe event; nothing is recorded."""


class WebhookVerifier:
    """Checks ``Stripe-Signature`` and turns the body into a :class:`StripeEvent`."""

    def __init__(self, secrets: Sequence[str], tolerance: int = TOLERANCE_SECONDS) -> None:
        if not secrets:
            raise ValueError("at least one webhook secret is needed")
        self.secrets = tuple(secrets)
        self.tolerance = tolerance

    def verify(self, body: bytes, signature: str | None) -> StripeEvent:
        if not signature:
            raise RejectedWebhook("missing Stripe-Signature header")
        try:
            payload = body.decode("utf-8")
        except UnicodeDecodeError:
            raise RejectedWebhook("body is not UTF-8") from None
        self._check_signature(payload, signature)
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise RejectedWebhook("body is not JSON") from None
        return translate(data, payload)

    def _check_signature(self, payload: str, signature: str) -> None:
        problem = ""
        signature = self._comparable(signature)
        for secret in self.secrets:
            try:
                stripe.WebhookSignature.verify_header(payload, signature, secret, self.tolerance)
                return
            except stripe.SignatureVerificationError as error:
                problem = problem or _explain(str(error))
        raise RejectedWebhook(problem)

    @staticmethod
    def _comparable(header: str) -> str:
        """The header without ``v1`` entries that can never match: a value with a byte over
        0x7F (the header is read as latin-1) makes ``hmac.compare_digest`` raise instead of
        answering "no", and would hide a good signature listed after it."""
        kept = []
        for item in header.split(","):
            scheme, _, value = item.partition("=")
            # The SDK reads an entry as ``scheme=value[=ignored]``: only ``value`` is compared.
            if scheme == "v1" and not value.split("=", 1)[0].isascii():
                continue
            kept.append(item)
        return ",".join(kept)


def _explain(message: str) -> str:
    if "tolerance" in message:
        return f"stale signature timestamp (older than {TOLERANCE_SECONDS} s)"
    if "matching the expected signature" in message:
        return "signature does not match any configured webhook secret"
    return "malformed Stripe-Signature header"


def translate(data: Any, payload: str) -> StripeEvent:
    """Check the envelope of a Stripe event (and, for the types the service applies, that
    it is about the right kind of object); what the object says is the ledger's to read."""
    if not isinstance(data, dict):
        raise RejectedWebhook("body is not a JSON object")
    event_id, event_type, created = data.get("id"), data.get("type"), data.get("created")
    if not isinstance(event_id, str) or not event_id:
        raise RejectedWebhook("event has no string 'id'")
    if not isinstance(event_type, str) or not event_type:
        raise RejectedWebhook("event has no string 'type'")
    if not isinstance(created, int) or isinstance(created, bool) or not 0 <= created < MAX_CREATED:
        raise RejectedWebhook("event has no integer 'created' (Unix seconds)")
    container = data.get("data")
    obj = container.get("object") if isinstance(container, dict) else None
    if not isinstance(obj, dict):
        raise RejectedWebhook("event has no object 'data.object'")
    object_id = obj.get("id") if isinstance(obj.get("id"), str) else None
    handled = HANDLED.get(event_type)
    if handled is not None:
        _check_object(handled, obj, object_id)
    return StripeEvent(
        id=event_id,
        type=event_type,
        created=datetime.fromtimestamp(created, tz=UTC),
        livemode=data.get("livemode") is True,
        object_id=object_id,
        payload=payload,
    )


def _check_object(handled: Handled, obj: dict[str, Any], object_id: str | None) -> None:
    if obj.get("object") != handled.object or not (object_id or "").startswith(handled.id_prefix):
        raise RejectedWebhook(f"data.object is not a {handled.object} with a "
                              f"{handled.id_prefix} id")
    for name in handled.required:
        if not isinstance(obj.get(name), str):
            raise RejectedWebhook(f"{handled.object} has no valid '{name}'")
