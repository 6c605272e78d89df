"""All of an emulator's data, in memory, behind one lock."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from emulator.config import EmulatorConfig
from emulator.errors import no_such
from emulator.objects import build_event, frozen, now

# Which API request caused an event: Stripe puts it in ``event.request``.
current_request: ContextVar[dict[str, str | None] | None] = ContextVar(
    "current_request", default=None
)

# Human names for ``No such <kind>`` messages, keyed by object type.
_KIND_NAMES = {"checkout.session": "checkout.session", "payment_intent": "payment_intent",
               "setup_intent": "setupintent", "payment_method": "PaymentMethod",
               "webhook_endpoint": "webhook endpoint", "charge": "charge",
               "test_helpers.test_clock": "test_clock"}

# Id prefix -> object type, so ``expand`` and lookups can find any object from its id.
PREFIXES = {"cs": "checkout.session", "price": "price", "prod": "product", "cus": "customer",
            "pi": "payment_intent", "seti": "setup_intent", "pm": "payment_method",
            "evt": "event", "we": "webhook_endpoint", "sub": "subscription", "ch": "charge",
            "in": "invoice", "clock": "test_helpers.test_clock", "plink": "payment_link"}


@dataclass
class IdempotentResult:
    """The first answer to an ``Idempotency-Key``, replayed for the same key."""

    method: str
    path: str
    fingerprint: str
    status: int
    body: bytes
    request_id: str


EventListener = Callable[[dict[str, Any]], None]


class EmulatorState:
    """Objects by type and id, line items, events (oldest first), idempotency records.

    Every read and write happens under ``lock`` (re-entrant), so handlers, the hosted page and the
    background settlement timers may run in any thread.
    """

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.lock = threading.RLock()
        self.listeners: list[EventListener] = []
        # The clock seam of time-window rules (the hosted page's 30-minute prefill): Unix
        # seconds. Tests may replace it; ``reset`` leaves it alone.
        self.clock: Callable[[], int] = now
        self.reset()

    def reset(self) -> None:
        """Forget everything (objects, events, endpoints, idempotency keys)."""
        with self.lock:
            self.objects: dict[str, dict[str, dict[str, Any]]] = {}
            self.line_items: dict[str, list[dict[str, Any]]] = {}
            self.events: list[dict[str, Any]] = []
            # ``created`` of the newest event in real time (test clock events keep their own).
            self.last_real_created = 0
            self.webhook_secrets: dict[str, str] = {}
            self.idempotency: dict[tuple[str, str], IdempotentResult] = {}
            # (API key, Idempotency-Key) of requests running now (a second one gets a 409).
            self.idempotency_in_flight: set[tuple[str, str]] = set()
            # cs_id -> "succeeds" | "fails": bank debits waiting to settle.
            self.pending_debits: dict[str, str] = {}
            # pm_id -> full test card number (never served; decides how charges behave).
            self.card_numbers: dict[str, str] = {}
            # pm_id of a bank debit (SEPA) -> how its debits settle (``emulator.sepa.outcome``).
            self.debit_outcomes: dict[str, str] = {}
            # Payment methods that may not be used again (detached, or used with no customer).
            self.spent_payment_methods: set[str] = set()
            # cus_id -> ``{"id", "object": "customer", "deleted": true}`` once deleted.
            self.deleted_customers: dict[str, dict[str, Any]] = {}
            # cs_id -> create parameters Stripe keeps but never serves on the session
            # (``payment_method_data[allow_redisplay]`` as ``{"allow_redisplay": ...}``,
            # ``payment_intent_data`` as ``{"payment_intent_data": {...}}``).
            self.checkout_options: dict[str, dict[str, Any]] = {}

    # -- objects ---------------------------------------------------------------------------

    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Store (or replace) an object under its ``object`` type and ``id``."""
        with self.lock:
            self.objects.setdefault(obj["object"], {})[obj["id"]] = obj
            return obj

    def find(self, kind: str, id_: str | None) -> dict[str, Any] | None:
        """The stored object, or None."""
        with self.lock:
            return self.objects.get(kind, {}).get(id_ or "")

    def get(self, kind: str, id_: str, *, param: str = "id") -> dict[str, Any]:
        """The stored object, or Stripe's ``resource_missing`` error naming ``param``."""
        found = self.find(kind, id_)
        if found is None:
            raise no_such(_KIND_NAMES.get(kind, kind), id_, param=param)
        return found

    def find_by_id(self, id_: str) -> dict[str, Any] | None:
        """Any object, found through its id prefix (``cus_`` -> customer)."""
        kind = PREFIXES.get(id_.split("_", 1)[0])
        return self.find(kind, id_) if kind else None

    def all(self, kind: str) -> list[dict[str, Any]]:
        """Objects of one type, newest first (Stripe's list order)."""
        with self.lock:
            return list(reversed(self.objects.get(kind, {}).values()))

    # -- events ----------------------------------------------------------------------------

    def emit(self, type_: str, obj: dict[str, Any],
             previous: dict[str, Any] | None = None) -> dict[str, Any]:
        """Record an event with a snapshot of ``obj`` as it is now, then tell the listeners.

        ``previous`` becomes ``data.previous_attributes`` (the old values of what changed), as
        Stripe sends it on ``*.updated`` events and ``payment_method.detached``.
        """
        with self.lock:
            request = current_request.get() or {"id": None, "idempotency_key": None}
            event = build_event(type_, copy.deepcopy(obj), request, self.config.api_version)
            if previous is not None:
                event["data"]["previous_attributes"] = copy.deepcopy(previous)
            # Never earlier than the previous event, so "newest first" and ``created`` agree;
            # an event of a test clock carries the clock's time instead.
            if not frozen():
                event["created"] = max(event["created"], self.last_real_created)
                self.last_real_created = event["created"]
            self.events.append(event)
            self.put(event)
            for listener in self.listeners:
                listener(event)
            return event
