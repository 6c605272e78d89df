"""The Stripe CLI's ``stripe listen`` sessions: who listens, and the events waiting for them.

``POST /v1/stripecli/sessions`` opens a session (:meth:`CliHub.open`); the CLI then connects a
websocket with the session's ``websocket_id`` (``emulator/cli_websocket.py``) and receives every
event the emulator emits from then on, signed with the session's secret, to forward itself.

- The secret is one per emulator, like the one Stripe keeps per account and device: every
  ``stripe listen`` (and ``stripe listen --print-secret``) shows the same ``whsec_...``.
- Events emitted while a session's websocket reconnects (the CLI resets it every
  ``reconnect_delay`` seconds) wait for it, :data:`BACKLOG` at most; a session that never
  connected gets nothing.
- A session with no websocket for :data:`IDLE_SECONDS` (the CLI exited, or never connected:
  ``--print-secret``) is forgotten; connecting to it then is ``Unknown WebSocket ID.``, on which
  the CLI opens a new session, as with Stripe's expired ones.
- ``POST /_emulator/reset`` leaves the sessions alone: a CLI listening keeps listening.
- What the CLI answers (``webhook_response``: the status the forward URL gave) is written to the
  delivery log (``GET /_emulator/deliveries``), with the endpoint ``stripecli:<websocket_id>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.ids import random_token

BACKLOG = 1000
IDLE_SECONDS = 60.0
RECONNECT_DELAY_SECONDS = 300
FEATURES = ("webhooks",)

# One waiting event: (event id, event type, the JSON body fixed when it happened).
Pending = tuple[str, str, str]
Log = Callable[[dict[str, Any]], None]


@dataclass
class Listener:
    """One connected websocket: wake it with ``push`` from any thread."""

    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Pending]

    def push(self, item: Pending) -> None:
        # A closed loop (the server stopped) took the websocket with it: nothing to wake.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self.queue.put_nowait, item)


@dataclass
class CliSession:
    """One ``stripe listen``: its websocket id, and what it was sent and not yet answered."""

    websocket_id: str
    device_name: str
    connected_once: bool = False
    idle_since: float | None = field(default_factory=time.monotonic)  # None while connected
    listener: Listener | None = None
    backlog: deque[Pending] = field(default_factory=lambda: deque(maxlen=BACKLOG))
    sent: dict[str, str] = field(default_factory=dict)  # event id -> type, until answered


class CliHub:
    """Every CLI session of one emulator; ``on_event`` is a state listener."""

    def __init__(self, log: Log) -> None:
        self.secret = "whsec_" + secrets.token_hex(32)
        self.lock = threading.Lock()
        self.sessions: dict[str, CliSession] = {}
        self._log = log

    def open(self, device_name: str) -> CliSession:
        """A new session (the CLI connects its websocket next)."""
        session = CliSession("cliws_" + random_token(24), device_name)
        with self.lock:
            self._forget_idle()
            self.sessions[session.websocket_id] = session
        return session

    def find(self, websocket_id: str) -> CliSession | None:
        with self.lock:
            return self.sessions.get(websocket_id)

    def connect(self, session: CliSession, listener: Listener) -> None:
        """The session's websocket is up: it gets the backlog, then every new event."""
        with self.lock:
            session.connected_once = True
            session.listener = listener
            session.idle_since = None
            waiting = list(session.backlog)
            session.backlog.clear()
        for item in waiting:
            listener.push(item)

    def disconnect(self, session: CliSession, listener: Listener) -> None:
        """The websocket closed; what it had not sent yet waits for the next one."""
        with self.lock:
            if session.listener is listener:
                session.listener = None
                session.idle_since = time.monotonic()
                while not listener.queue.empty():
                    session.backlog.append(listener.queue.get_nowait())

    def on_event(self, event: dict[str, Any]) -> None:
        """State listener (under the state lock): queue the event for every session."""
        with self.lock:
            self._forget_idle()
            if not self.sessions:
                return
            item = (event["id"], event["type"], json.dumps(event, indent=2))
            for session in self.sessions.values():
                if session.listener is not None:
                    session.listener.push(item)
                elif session.connected_once:
                    session.backlog.append(item)

    def _forget_idle(self) -> None:
        limit = time.monotonic() - IDLE_SECONDS
        for key, session in list(self.sessions.items()):
            if session.idle_since is not None and session.idle_since < limit:
                del self.sessions[key]

    def sent(self, session: CliSession, event_id: str, event_type: str) -> None:
        with self.lock:
            session.sent[event_id] = event_type

    def answered(self, session: CliSession, message: dict[str, Any]) -> None:
        """A ``webhook_response``: what the CLI's forward URL answered, into the delivery log."""
        event_id = str(message.get("notification_id") or "")
        with self.lock:
            event_type = session.sent.pop(event_id, None)
        status = message.get("status")
        self._log({"event": event_id, "type": event_type,
                   "endpoint": f"stripecli:{session.websocket_id}",
                   "url": message.get("forward_url"), "attempt": 1,
                   "status": status if isinstance(status, int) else None,
                   "error": None, "at": time.time()})
