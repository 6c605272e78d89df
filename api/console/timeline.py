"""Recorded events -> timeline entries: when, what, and its source (a Stripe event with
its type, a staff member, or the system)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from api.console.registry import Entry
from api.system import Services
from api.views import plain

_BOOKKEEPING = {"originator_id", "originator_version", "timestamp", "originator_topic"}
_OWN_IDS = {"session_id", "charge_id", "customer_id"}
MAX_DETAIL = 160


class StripeTypes:
    """The type of each Stripe event id, read from the raw log once per page."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._types: dict[str, str] = {}

    def __call__(self, event_id: str) -> str:
        if event_id not in self._types:
            stored = self.services.inbox.get(event_id)
            self._types[event_id] = stored.type if stored is not None else "not in the raw log"
        return self._types[event_id]


def entries(events: Iterable[Any], types: StripeTypes, *, versioned: bool = True,
            about: tuple[str, str] | None = None) -> list[Entry]:
    """One entry per event, in the order given."""
    return [entry(event, types, versioned=versioned, about=about) for event in events]


def entry(event: Any, types: StripeTypes, *, versioned: bool = True,
          about: tuple[str, str] | None = None) -> Entry:
    data = {k: v for k, v in vars(event).items() if k not in _BOOKKEEPING | _OWN_IDS}
    stripe_event_id = data.pop("stripe_event_id", None)
    data.pop("stripe_created", None)
    actor = data.pop("actor", None)
    reason = data.pop("reason", None) if isinstance(data.get("reason"), str) or \
        data.get("reason") is None else None
    if isinstance(stripe_event_id, str) and stripe_event_id:
        source, label = "stripe", f"{stripe_event_id} · {types(stripe_event_id)}"
    elif isinstance(actor, str) and actor and not actor.startswith("system"):
        source, label = "staff", actor
    else:
        source, label = "system", actor or "system"
    return Entry(at=event.timestamp, type=type(event).__name__, source=source,
                 source_label=label, version=event.originator_version if versioned else None,
                 about=about, reason=reason,
                 details={k: short(v) for k, v in data.items() if v not in (None, "", (), [])})


def short(value: Any) -> str:
    """A value in one short line (JSON for structures)."""
    shown = value if isinstance(value, str) else json.dumps(plain(value), default=str)
    return shown if len(shown) <= MAX_DETAIL else shown[:MAX_DETAIL - 1] + "…"


def merged(*timelines: list[Entry]) -> list[Entry]:
    """Several timelines as one, oldest first."""
    return sorted((e for t in timelines for e in t), key=lambda e: e.at)
