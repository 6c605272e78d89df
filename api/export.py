"""An application's event log as JSON Lines, for auditors: every recorded event, in order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson
from eventsourcing.application import Application

from api.views import plain

PAGE = 1000
_BOOKKEEPING = {"originator_id", "originator_version", "timestamp", "originator_topic"}


def export_log(app: Application, since: datetime | None = None) -> Iterator[str]:
    """One JSON object per event: ``{"app", "position", "aggregate", "version", "type",
    "recorded_at", "data"}`` (events recorded before ``since`` left out)."""
    start = 0
    while True:
        page = app.recorder.select_notifications(start=start, limit=PAGE,
                                                 inclusive_of_start=False)
        if not page:
            return
        for notification in page:
            event: Any = app.mapper.to_domain_event(notification)
            if since is not None and event.timestamp < since:
                continue
            data = {k: v for k, v in vars(event).items() if k not in _BOOKKEEPING}
            yield orjson.dumps({
                "app": app.name, "position": notification.id,
                "aggregate": str(event.originator_id), "version": event.originator_version,
                "type": type(event).__qualname__, "recorded_at": event.timestamp.isoformat(),
                "data": plain(data)}, default=str).decode()
        start = page[-1].id
