"""How the domain's value objects are written into stored events."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from eventsourcing.persistence import Transcoding

from domain.facts import SessionFacts
from domain.ports import LineItem


class SessionFactsAsDict(Transcoding):
    type = SessionFacts
    name = "session_facts"

    def encode(self, obj: SessionFacts) -> dict[str, Any]:
        return asdict(obj)

    def decode(self, data: dict[str, Any]) -> SessionFacts:
        return SessionFacts(**data)


class LineItemAsDict(Transcoding):
    type = LineItem
    name = "line_item"

    def encode(self, obj: LineItem) -> dict[str, Any]:
        return asdict(obj)

    def decode(self, data: dict[str, Any]) -> LineItem:
        return LineItem(**data)


TRANSCODINGS: tuple[Transcoding, ...] = (SessionFactsAsDict(), LineItemAsDict())
