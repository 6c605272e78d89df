"""``POST /webhook``: verify, translate, record durably, answer. Nothing else.

No Stripe API call and no fulfillment happen here: the answer goes back as soon as
the event is in the raw log, and the ledger and fulfillment follow that log in the
background. It is the service's hot path, so it is a plain ASGI endpoint that
reads the body once, with the 1 MiB limit checked before reading.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from eventsourcing.persistence import PersistenceError
from starlette.types import Receive, Scope, Send

from adapters.metrics import UNVERIFIED
from adapters.stripe_webhook import RejectedWebhook

MAX_BODY_BYTES = 1024 * 1024
log = logging.getLogger(__name__)

_RECORDED = b'{"received": true, "duplicate": false}'
_DUPLICATE = b'{"received": true, "duplicate": true}'


class _TooLarge(Exception):
    pass


class WebhookEndpoint:
    """The ASGI endpoint; ``state`` is the application's state (services, metrics)."""

    def __init__(self, state: Any) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        metrics = self.state.metrics
        length, signature = _headers(scope)
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            if not length.isdigit():
                return await self._rejected(send, 400, "invalid Content-Length header")
            return await self._rejected(send, 413, f"body larger than {MAX_BODY_BYTES} bytes")
        try:
            body = await _read_body(receive)
        except _TooLarge:
            return await self._rejected(send, 413, f"body larger than {MAX_BODY_BYTES} bytes")
        if body is None:
            return None  # the client went away before sending everything
        services = self.state.services
        if services.verifier is None:
            return await self._rejected(send, 503, "no webhook secret is configured")
        try:
            event = services.verifier.verify(body, signature)
        except RejectedWebhook as rejection:
            return await self._rejected(send, 400, str(rejection))
        try:
            duplicate = await services.committer.submit(event)
        except PersistenceError as failure:
            log.warning("event store unavailable, %s not recorded: %s", event.id, failure)
            metrics.webhook(event.type, "unavailable")
            return await _answer(send, 503, _error("event store unavailable; nothing was "
                                                   "recorded, retry later"))
        if duplicate:
            metrics.webhook(event.type, "duplicate")
            metrics.duplicates.inc()
            return await _answer(send, 200, _DUPLICATE)
        metrics.webhook(event.type, "recorded")
        return await _answer(send, 200, _RECORDED)

    async def _rejected(self, send: Send, status: int, message: str) -> None:
        self.state.metrics.webhook(UNVERIFIED, "rejected")
        await _answer(send, status, _error(message))


def _headers(scope: Scope) -> tuple[str | None, str | None]:
    length = signature = None
    for name, value in scope["headers"]:
        if name == b"content-length":
            length = value.decode("latin-1")
        elif name == b"stripe-signature":
            signature = value.decode("latin-1")
    return length, signature


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body, refusing (without reading on) anything over the limit."""
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        if len(body) > MAX_BODY_BYTES:
            raise _TooLarge
        if not message.get("more_body", False):
            return body


def _error(message: str) -> bytes:
    return json.dumps({"error": message}).encode()


async def _answer(send: Send, status: int, body: bytes) -> None:
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())],
    })
    await send({"type": "http.response.body", "body": body})
