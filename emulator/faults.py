"""Fault injection: the next N calls of a ``/v1`` route fail the way Stripe fails.

A :class:`FaultRule` names a method and a path pattern (``*`` matches within one path segment,
``**`` across segments; the query string is ignored), optionally ``params`` the call must carry
(``{"customer": "cus_..."}``, or nested as ``{"metadata": {"plan": "pro"}}``: each value must be
among the call's query and form parameters, decoded as the API decodes them), and what those
calls get instead of their answer: ``"500"``, ``"502"``, ``"503"`` (``api_error``), ``"429"``
(a rate limit), ``"timeout"`` (the answer held ``seconds`` before the call goes through, so a
client with a shorter timeout gives up while the call still takes effect, as with Stripe) or
``"error"`` (any 4xx/5xx error body given in full). Rules are tried oldest first; each matching
call uses up one of its ``count``.

:class:`FaultInjection` is the ASGI middleware that applies them, before authentication, as a
proxy or Stripe's own front end would. The ``/_emulator`` routes are never faulted.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.errors import StripeError
from emulator.forms import decode
from emulator.ids import random_token

METHODS = ("GET", "POST", "DELETE", "*")
KINDS = ("500", "502", "503", "429", "timeout", "error")

_API_ERROR = "An unknown error occurred"
_RATE_LIMIT = ("Request rate limit exceeded. Learn more about rate limits here "
               "https://stripe.com/docs/rate-limits.")


class BadFault(ValueError):
    """A fault description the emulator cannot use; the message says why."""


@dataclass
class FaultRule:
    """Answer the next ``remaining`` calls of ``method path`` with ``fault``."""

    method: str
    path: str
    fault: str
    remaining: int = 1
    seconds: float = 30.0
    """How long a ``timeout`` holds the answer."""
    status: int | None = None
    """The status of an ``error`` fault."""
    error: dict[str, Any] | None = None
    """The ``error`` object of an ``error`` fault, sent as ``{"error": ...}``."""
    params: dict[str, Any] | None = None
    """Parameters the call must carry for the rule to apply (None: any call of the route)."""
    id: str = field(default_factory=lambda: "flt_" + random_token(14))

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        if self.method not in METHODS:
            raise BadFault(f"method must be one of {', '.join(METHODS)}")
        if not self.path.startswith("/v1/"):
            raise BadFault("path must be a /v1/... pattern, e.g. /v1/checkout/sessions/*")
        if self.fault not in KINDS:
            raise BadFault(f"fault must be one of {', '.join(KINDS)}")
        if self.remaining < 1:
            raise BadFault("count must be at least 1")
        if self.seconds < 0:
            raise BadFault("seconds must be >= 0")
        if self.fault == "error":
            if self.status is None or not 400 <= self.status <= 599:
                raise BadFault("an error fault needs a status from 400 to 599")
            if not isinstance(self.error, dict) or not all(
                    isinstance(self.error.get(k), str) for k in ("type", "message")):
                raise BadFault('an error fault needs "error": {"type": ..., "message": ...}')
        if self.params is not None and not _well_formed(self.params):
            raise BadFault('params must be a non-empty object of strings (or of such objects), '
                           'e.g. {"customer": "cus_..."}')
        self._pattern = _compile(self.path)

    def matches(self, method: str, path: str, params: dict[str, Any] | None = None) -> bool:
        """Whether a call of ``method path`` with (decoded) ``params`` is one this rule is
        waiting for; a rule with ``params`` never matches a call whose params are unknown."""
        if not self.on_route(method, path):
            return False
        return self.params is None or (params is not None and _contains(params, self.params))

    def on_route(self, method: str, path: str) -> bool:
        """Whether ``method path`` is this rule's route (whatever its params)."""
        return self.method in ("*", method) and self._pattern.fullmatch(path) is not None

    def answer(self) -> StripeError | None:
        """The error to send instead of the real answer (None for a timeout)."""
        if self.fault == "timeout":
            return None
        if self.fault == "429":
            return StripeError(429, "invalid_request_error", _RATE_LIMIT, code="rate_limit")
        if self.fault == "error":
            assert self.error is not None and self.status is not None
            extra = {k: v for k, v in self.error.items() if k not in ("type", "message")}
            return StripeError(self.status, self.error["type"], self.error["message"], extra=extra)
        return StripeError(int(self.fault), "api_error", _API_ERROR)

    def describe(self) -> dict[str, Any]:
        """The rule as the control API shows it."""
        shown = {k: v for k, v in asdict(self).items() if v is not None}
        shown["count"] = shown.pop("remaining")
        if self.fault != "timeout":
            shown.pop("seconds")
        return shown


def _well_formed(wanted: Any) -> bool:
    return isinstance(wanted, dict) and bool(wanted) and all(
        isinstance(k, str) and (isinstance(v, str) or _well_formed(v)) for k, v in wanted.items())


def _contains(given: Any, wanted: Any) -> bool:
    """Whether the decoded ``given`` holds every value of ``wanted`` (at the same keys)."""
    if isinstance(wanted, dict):
        return isinstance(given, dict) and all(
            k in given and _contains(given[k], v) for k, v in wanted.items())
    return bool(given == wanted)


def _compile(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(\*\*|\*)", pattern)
    wild = {"**": ".*", "*": "[^/]*"}
    return re.compile("".join(wild.get(part, re.escape(part)) for part in parts))


class FaultTable:
    """The armed rules and the log of faults injected; safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._injected: list[dict[str, Any]] = []

    def add(self, rule: FaultRule) -> FaultRule:
        """Arm ``rule`` after the ones already armed."""
        with self._lock:
            self._rules.append(rule)
        return rule

    def wants_params(self, method: str, path: str) -> bool:
        """Whether an armed rule for this route looks at the call's params (so they must be
        read before :meth:`take`)."""
        with self._lock:
            return any(r.params is not None and r.on_route(method, path) for r in self._rules)

    def take(self, method: str, path: str, params: dict[str, Any] | None = None
             ) -> FaultRule | None:
        """The first armed rule for this call, one use fewer; None when the call goes through."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path, params):
                    rule.remaining -= 1
                    if rule.remaining == 0:
                        self._rules.remove(rule)
                    self._injected.append({"rule": rule.id, "method": method, "path": path,
                                           "fault": rule.fault, "at": time.time()})
                    return rule
        return None

    def snapshot(self) -> dict[str, Any]:
        """``{"faults": [armed rules], "injected": [one entry per faulted call]}``."""
        with self._lock:
            return {"faults": [r.describe() for r in self._rules],
                    "injected": list(self._injected)}

    def clear(self) -> None:
        """Disarm every rule and forget the log."""
        with self._lock:
            self._rules.clear()
            self._injected.clear()


class FaultInjection:
    """ASGI middleware: calls an armed rule matches fail (or wait) before reaching the API."""

    def __init__(self, app: ASGIApp, table: FaultTable) -> None:
        self.app = app
        self.table = table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        params = None
        if self.table.wants_params(scope["method"], scope["path"]):
            messages = await _whole_request(receive)
            params = _decoded_params(scope, messages)
            receive = _replaying(messages, receive)
        rule = self.table.take(scope["method"], scope["path"], params)
        if rule is None:
            await self.app(scope, receive, send)
            return
        error = rule.answer()
        if error is None:
            await self._slow(rule.seconds, scope, receive, send)
            return
        response = error.response(headers={"Request-Id": "req_" + random_token(14)})
        await response(scope, receive, send)

    async def _slow(self, seconds: float, scope: Scope, receive: Receive, send: Send) -> None:
        """Take the whole request in, wait, then handle it: Stripe still does what a client
        that timed out asked for, so the call takes effect even though nobody reads the answer."""
        messages = await _whole_request(receive)
        await asyncio.sleep(seconds)
        await self.app(scope, _replaying(messages, receive), send)


async def _whole_request(receive: Receive) -> list[Message]:
    """Every message of the request's body (or the disconnect that cut it short)."""
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that hands out ``messages`` again before anything new."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


def _decoded_params(scope: Scope, messages: list[Message]) -> dict[str, Any]:
    """The call's query and form parameters, decoded as the API decodes them (a body it
    would refuse is decoded leniently here: the API still refuses it)."""
    pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
    pairs += parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return decode(pairs)
