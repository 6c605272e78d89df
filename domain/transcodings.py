"""How the domain's value objects are written into stored events."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from eventsourcing.persistence import Transcoding

from domain.facts import SessionFacts
from domain.ports import LineItem

_SESSION_FIELDS = tuple(f.name for f in fields(SessionFacts))
_LINE_ITEM_FIELDS = tuple(f.name for f in fields(LineItem))


def _shallow(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    # dataclasses.asdict deep-copies every value: a measurable cost on the hot path,
    # and pointless for frozen value objects of primitives.
    return {name: getattr(obj, name) for name in names}


class SessionFactsAsDict(Transcoding):
    type = SessionFacts
    name = "session_facts"

    def encode(self, obj: SessionFacts) -> dict[str, Any]:
        return _shallow(obj, _SESSION_FIELDS)

    def decode(self, data: dict[str, Any]) -> SessionFacts:
        return SessionFacts(**data)


class LineItemAsDict(Transcoding):
    type = LineItem
    name = "line_item"

    def encode(self, obj: LineItem) -> dict[str, Any]:
        return _shallow(obj, _LINE_ITEM_FIELDS)

    def decode(self, data: dict[str, Any]) -> LineItem:
        return LineItem(**data)


TRANSCODINGS: tuple[Transcoding, ...] = (SessionFactsAsDict(), LineItemAsDict())
