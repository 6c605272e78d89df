"""The websocket ``stripe listen`` connects to (``websocket_url`` of its session).

The CLI dials ``ws://HOST/stripecli/subscribe?websocket_feature=webhooks`` with its session's id
in the ``Websocket-Id`` header. An unknown id is refused before the upgrade with the body the CLI
looks for (``Unknown WebSocket ID.``: it then opens a new session).

Messages, JSON text frames as the CLI reads and writes them:

- to the CLI, one per event: ``{"type": "webhook_event", "webhook_id", "webhook_conversation_id",
  "event_payload": "<the event's JSON>", "http_headers": {"Content-Type", "User-Agent",
  "Stripe-Signature"}, "endpoint": {"api_version": null}}``; the CLI POSTs ``event_payload``
  with ``http_headers`` to its ``--forward-to`` URL, so the signature is the session's secret's
  over that exact body (signed when sent, like a webhook delivery);
- from the CLI: ``{"type": "event_ack", ...}`` when it took an event, and ``{"type":
  "webhook_response", "status", "forward_url", "notification_id": "evt_...", ...}`` with what the
  forward URL answered (:meth:`emulator.cli_sessions.CliHub.answered`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from emulator.cli_sessions import FEATURES, CliHub, CliSession, Listener
from emulator.ids import random_token
from emulator.runtime import Runtime
from emulator.signing import sign

UNKNOWN_ID = "Unknown WebSocket ID."
PATH = "/stripecli/subscribe"


def websocket_url(base_url: str) -> str:
    """``http://127.0.0.1:12111/`` -> ``ws://127.0.0.1:12111/stripecli/subscribe``."""
    base = base_url.rstrip("/")
    scheme, _, rest = base.partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}{PATH}"


def webhook_message(secret: str, event_id: str, payload: str) -> dict[str, Any]:
    """The ``webhook_event`` frame for one event, signed now with the session's secret."""
    return {
        "type": "webhook_event",
        "webhook_id": "we_cli_" + random_token(14),
        "webhook_conversation_id": "wc_" + random_token(24),
        "event_payload": payload,
        "http_headers": {"Content-Type": "application/json; charset=utf-8",
                         "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                         "Stripe-Signature": sign(payload, secret)},
        "endpoint": {"api_version": None},
    }


async def subscribe(websocket: WebSocket) -> None:
    """Serve one CLI connection until either side closes it."""
    runtime: Runtime = websocket.app.state.runtime
    hub = runtime.cli
    session = hub.find(websocket.headers.get("websocket-id", ""))
    feature = websocket.query_params.get("websocket_feature", "")
    if session is None or feature not in FEATURES:
        message = UNKNOWN_ID if session is None else f"Unknown websocket_feature: {feature!r}"
        await websocket.send_denial_response(JSONResponse(
            {"error": {"type": "invalid_request_error", "message": message}}, 400))
        return
    await websocket.accept()
    listener = Listener(asyncio.get_running_loop(), asyncio.Queue())
    hub.connect(session, listener)
    sender = asyncio.create_task(_send(websocket, hub, session, listener))
    try:
        await _receive(websocket, hub, session)
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
        hub.disconnect(session, listener)


async def _send(websocket: WebSocket, hub: CliHub, session: CliSession,
                listener: Listener) -> None:
    while True:
        event_id, event_type, payload = await listener.queue.get()
        hub.sent(session, event_id, event_type)
        try:
            await websocket.send_text(json.dumps(webhook_message(hub.secret, event_id, payload)))
        except (WebSocketDisconnect, RuntimeError):
            listener.queue.put_nowait((event_id, event_type, payload))  # for the next socket
            return


async def _receive(websocket: WebSocket, hub: CliHub, session: CliSession) -> None:
    while True:
        try:
            text = await websocket.receive_text()
        except (WebSocketDisconnect, RuntimeError):
            return
        try:
            message = json.loads(text)
        except ValueError:
            continue  # the CLI sends only JSON; anything else is not ours to answer
        if isinstance(message, dict) and message.get("type") == "webhook_response":
            hub.answered(session, message)
