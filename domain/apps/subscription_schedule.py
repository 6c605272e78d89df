"""Which subscriptions have a step due: an index kept from the subscriptions' own log.

Each process keeps its own, read forward from the shared log (so the web process that
moves the test clock and the worker see the same subscriptions): every subscription an
event touched since the last read is loaded again and its next step's time noted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.model.subscription import Subscription

PAGE = 1000


class DueIndex:
    """When each subscription's next step is due (those with nothing due are left out)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.position = 0
        self.due_at: dict[UUID, datetime] = {}

    def before(self, now: datetime) -> list[UUID]:
        """The subscriptions with a step due by ``now``, earliest first."""
        self.refresh()
        due = sorted((at, str(uid), uid) for uid, at in self.due_at.items() if at <= now)
        return [uid for _, _, uid in due]

    def refresh(self) -> None:
        touched: set[UUID] = set()
        while True:
            notifications = self.app.recorder.select_notifications(
                start=self.position, limit=PAGE, inclusive_of_start=False)
            if not notifications:
                break
            touched.update(n.originator_id for n in notifications)
            self.position = notifications[-1].id
            if len(notifications) < PAGE:
                break
        for uid in touched:
            self.note(uid, self.app.current(uid))

    def note(self, uid: UUID, sub: Any) -> None:
        step = sub.next_step() if isinstance(sub, Subscription) else None
        if step is None:
            self.due_at.pop(uid, None)
        else:
            self.due_at[uid] = step.due_at

