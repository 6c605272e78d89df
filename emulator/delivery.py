"""Webhook delivery: signed POSTs to every matching endpoint, retried with exponential backoff.

Runs on the emulator's ``Scheduler`` thread (started by the app's lifespan). The test switches
(``DeliverySwitches``) are set through ``POST /_emulator/delivery``.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlparse

import httpx

from emulator.config import EmulatorConfig
from emulator.scheduler import Scheduler
from emulator.signing import sign
from emulator.state import EmulatorState

KIND = "delivery"
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


@dataclass
class DeliverySwitches:
    """Misbehaviours on demand, to test a webhook consumer against what Stripe may do."""

    duplicate: bool = False
    """Deliver every event twice."""
    reverse_order: bool = False
    """Hold events; on release (flush, or switching it off) deliver each session's newest first."""
    delay_seconds: float = 0.0
    """Wait this long before the first attempt."""
    drop: bool = False
    """Record events (``/v1/events`` lists them) but never deliver them."""
    drop_share: float = 0.0
    """Like ``drop``, for this share (0-1) of events picked at random; the others are delivered."""
    late_share: float = 0.0
    """This share (0-1) of deliveries, picked at random, waits ``late_seconds`` more, so they
    arrive after newer events (each copy of a duplicate is picked on its own)."""
    late_seconds: float = 0.0


def matches(endpoint: dict[str, Any], event_type: str) -> bool:
    """Does the endpoint subscribe to this type (``*`` means every type)?"""
    enabled = endpoint["enabled_events"]
    return endpoint["status"] == "enabled" and ("*" in enabled or event_type in enabled)


class Deliverer:
    """Queues each new event for its endpoints and delivers it; keeps a log of every attempt."""

    def __init__(self, state: EmulatorState, scheduler: Scheduler, config: EmulatorConfig) -> None:
        self.state = state
        self.scheduler = scheduler
        self.config = config
        self.switches = DeliverySwitches()
        self.log: list[dict[str, Any]] = []
        self.held: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self.lock = threading.Lock()
        self._random = random.Random()
        self._client = httpx.Client(timeout=config.delivery_timeout_seconds, trust_env=False)
        state.listeners.append(self.on_event)

    def close(self) -> None:
        """Release the HTTP client."""
        self._client.close()

    def reset(self) -> None:
        """Default switches, empty log, nothing held or queued."""
        with self.lock:
            self.switches = DeliverySwitches()
            self.log.clear()
            self.held.clear()
        self.scheduler.clear()

    def configure(self, **changes: Any) -> DeliverySwitches:
        """Change some switches; turning ``reverse_order`` off releases what it held."""
        with self.lock:
            self.switches = DeliverySwitches(**{**asdict(self.switches), **changes})
            release = not self.switches.reverse_order
        if release:
            self.release_held()
        return self.switches

    def on_event(self, event: dict[str, Any]) -> None:
        """State listener, called under the state lock for every new event."""
        endpoints = [e for e in self.state.all("webhook_endpoint") if matches(e, event["type"])]
        drop = self.switches.drop or self._picked(self.switches.drop_share)
        event["pending_webhooks"] = 0 if drop else len(endpoints)
        if drop:
            return
        # The body is fixed now: a delivery shows the object as it was when the event happened.
        body = json.dumps(event, indent=2)
        for endpoint in endpoints:
            target = {"endpoint": endpoint["id"], "url": endpoint["url"], "body": body}
            with self.lock:
                if self.switches.reverse_order:
                    self.held.append((event, target))
                    continue
            self._enqueue(event, target, self.switches.delay_seconds)

    def release_held(self) -> None:
        """Deliver held events: sessions in order of first event, each session's newest first."""
        with self.lock:
            held, self.held = self.held, []
        groups: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
        for event, target in held:
            groups.setdefault(event["data"]["object"].get("id", ""), []).append((event, target))
        for group in groups.values():
            for event, target in reversed(group):
                self._enqueue(event, target, self.switches.delay_seconds)

    def pending(self) -> int:
        """Deliveries waiting, running or held."""
        return self.scheduler.pending(KIND) + len(self.held)

    def _picked(self, share: float) -> bool:
        with self.lock:
            return share > 0 and self._random.random() < share

    def _enqueue(self, event: dict[str, Any], target: dict[str, Any], delay: float) -> None:
        copies = 2 if self.switches.duplicate else 1
        for _ in range(copies):
            late = self.switches.late_seconds if self._picked(self.switches.late_share) else 0.0
            self.scheduler.call_later(delay + late, lambda: self._attempt(event, target, 1),
                                      kind=KIND)

    def _attempt(self, event: dict[str, Any], target: dict[str, Any], attempt: int) -> None:
        status, error, retry = self._post(target)
        entry = {"event": event["id"], "type": event["type"], "endpoint": target["endpoint"],
                 "url": target["url"], "attempt": attempt, "status": status, "error": error,
                 "at": time.time()}
        with self.lock:
            self.log.append(entry)
        if status is not None and 200 <= status < 300:
            with self.state.lock:
                event["pending_webhooks"] = max(0, event["pending_webhooks"] - 1)
        elif retry and attempt < self.config.max_attempts:
            delay = self.config.retry_base_seconds * 2 ** (attempt - 1)
            self.scheduler.call_later(delay, lambda: self._attempt(event, target, attempt + 1),
                                      kind=KIND)

    def _post(self, target: dict[str, Any]) -> tuple[int | None, str | None, bool]:
        """One attempt: (HTTP status or None, error text, worth retrying?)."""
        host = urlparse(target["url"]).hostname or ""
        if host not in _LOOPBACK and not self.config.allow_external_webhooks:
            return None, "not sent: only loopback URLs are allowed (allow_external_webhooks)", False
        secret = self.state.webhook_secrets.get(target["endpoint"])
        if secret is None:
            return None, "endpoint deleted", False
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                   "Stripe-Signature": sign(target["body"], secret)}
        try:
            response = self._client.post(target["url"], content=target["body"].encode(),
                                         headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}", True
        return response.status_code, None, True
