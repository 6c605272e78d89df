"""What the console can show and do: kinds of object, each with its page and actions.

A kind names an id prefix (``cs_``, ``chg_``...), how to read the object as a
:class:`View` (its state, now or after its N-th event, and its timeline) and the actions
staff may take on it. Search, the queue's links and the action endpoint all go through
:data:`KINDS`, so a new kind (subscriptions) is one :func:`register` call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from api.system import Services


class NotKnown(LookupError):
    """The service knows no such object (or not at that version); the message says which."""


@dataclass(frozen=True)
class Entry:
    """One event of a timeline: when, what, and who or what caused it."""

    at: datetime
    type: str
    source: str  # stripe | staff | system
    source_label: str  # "evt_... checkout.session.completed", "bob", "system"
    version: int | None = None  # the object's own version (a link to its state then)
    about: tuple[str, str] | None = None  # (kind, id) when the event is another object's
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class View:
    """One object as its page shows it."""

    title: str
    state: dict[str, Any]
    timeline: list[Entry]
    version: int | None  # the version the state is shown at (None: now)
    latest: int | None  # the object's last version (None: not versioned)
    links: list[tuple[str, str, str]] = field(default_factory=list)  # (label, kind, id)


@dataclass(frozen=True)
class Done:
    """What an action did, in words for the person who asked; ``ok`` False for a refusal
    or a failure that changed nothing (or was recorded as a failure)."""

    message: str
    ok: bool = True


#: (services, object id, staff name, reason) -> what happened
ActionRun = Callable[[Services, str, str, str | None], Done]


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    run: ActionRun
    explain: str = ""


@dataclass(frozen=True)
class Kind:
    name: str  # in URLs: /support/view/{name}/{id}
    title: str
    prefix: str
    parse: Callable[[str], str]  # raises api.params.BadParameter
    load: Callable[[Services, str, int | None], View]  # raises NotKnown
    actions: tuple[Action, ...] = ()
    versioned: bool = True

    def action(self, name: str) -> Action | None:
        return next((a for a in self.actions if a.name == name), None)


KINDS: dict[str, Kind] = {}
#: Actions on the service as a whole (reconcile now), under the kind name "service".
SERVICE_ACTIONS: dict[str, Action] = {}


def register(kind: Kind) -> Kind:
    """Add a kind of object to the console (search, pages, actions)."""
    KINDS[kind.name] = kind
    return kind


def kind_of(object_id: str) -> Kind | None:
    """The registered kind whose prefix the id has."""
    return next((k for k in KINDS.values() if object_id.startswith(k.prefix)), None)
