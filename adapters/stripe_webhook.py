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

from domain.facts import SESSION_EVENT_TYPES, SessionFacts, StripeEvent

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
    """Check the shape of a Stripe event and keep what the domain needs."""
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
    session = session_facts(obj) if event_type in SESSION_EVENT_TYPES else None
    return StripeEvent(
        id=event_id,
        type=event_type,
        created=datetime.fromtimestamp(created, tz=UTC),
        livemode=data.get("livemode") is True,
        object_id=object_id,
        payload=payload,
        session=session,
    )


def session_facts(obj: dict[str, Any]) -> SessionFacts:
    """The facts of a ``checkout.session`` object (from a webhook or the API)."""
    session_id = obj.get("id")
    if obj.get("object") != "checkout.session" or not isinstance(session_id, str) \
            or not session_id.startswith("cs_"):
        raise RejectedWebhook("data.object is not a checkout.session with a cs_ id")
    mode = obj.get("mode")
    if mode not in ("payment", "setup", "subscription"):
        raise RejectedWebhook("checkout.session has no valid 'mode'")
    metadata = obj.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise RejectedWebhook("checkout.session 'metadata' is not an object")
    return SessionFacts(
        session_id=session_id,
        mode=mode,
        status=_text(obj, "status"),
        payment_status=_text(obj, "payment_status"),
        customer=_id_of(obj.get("customer")),
        customer_email=_text(obj, "customer_email")
        or _text(obj.get("customer_details") or {}, "email"),
        amount_subtotal=_cents(obj, "amount_subtotal"),
        amount_total=_cents(obj, "amount_total"),
        currency=_text(obj, "currency"),
        payment_intent=_id_of(obj.get("payment_intent")),
        setup_intent=_id_of(obj.get("setup_intent")),
        subscription=_id_of(obj.get("subscription")),
        client_reference_id=_text(obj, "client_reference_id"),
        metadata={str(k): str(v) for k, v in metadata.items()},
    )


def _text(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) else None


def _cents(obj: dict[str, Any], key: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise RejectedWebhook(f"checkout.session '{key}' is not an integer amount")
    return value


def _id_of(value: Any) -> str | None:
    """Stripe sends a related object as its id, or expanded as an object."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    return None


