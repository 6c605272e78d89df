"""``POST /webhook``: verify, translate, record durably, answer. Nothing else.

No Stripe API call and no fulfillment happen here: the answer goes back as soon
as the event is in the raw log, and the ledger and fulfillment follow that log
in the background.
"""

from __future__ import annotations

import logging

from eventsourcing.persistence import PersistenceError
from starlette.requests import Request
from starlette.responses import Response

from adapters.stripe_webhook import RejectedWebhook
from api.errors import error
from api.system import Services

MAX_BODY_BYTES = 1024 * 1024
log = logging.getLogger(__name__)

_RECORDED = Response(b'{"received": true, "duplicate": false}', media_type="application/json")
_DUPLICATE = Response(b'{"received": true, "duplicate": true}', media_type="application/json")


class _TooLarge(Exception):
    pass


async def receive_webhook(request: Request) -> Response:
    services: Services = request.app.state.services
    metrics = request.app.state.metrics
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
        if not length.isdigit():
            return _rejected(metrics, 400, "invalid Content-Length header")
        return _rejected(metrics, 413, f"body larger than {MAX_BODY_BYTES} bytes")
    try:
        body = await _read_body(request)
    except _TooLarge:
        return _rejected(metrics, 413, f"body larger than {MAX_BODY_BYTES} bytes")
    if services.verifier is None:
        return _rejected(metrics, 503, "no webhook secret is configured")
    try:
        event = services.verifier.verify(body, request.headers.get("stripe-signature"))
    except RejectedWebhook as rejection:
        return _rejected(metrics, 400, str(rejection))
    try:
        duplicate = await services.committer.submit(event)
    except PersistenceError as failure:
        log.warning("event store unavailable, %s not recorded: %s", event.id, failure)
        metrics.webhooks.labels(event.type, "unavailable").inc()
        return error(503, "event store unavailable; nothing was recorded, retry later")
    if duplicate:
        metrics.webhooks.labels(event.type, "duplicate").inc()
        metrics.duplicates.inc()
        return _DUPLICATE
    metrics.webhooks.labels(event.type, "recorded").inc()
    return _RECORDED


async def _read_body(request: Request) -> bytes:
    """The body, refusing (without reading on) anything over the limit."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _rejected(metrics, status: int, message: str) -> Response:  # type: ignore[no-untyped-def]
    metrics.webhooks.labels("unverified", "rejected").inc()
    return error(status, message)
