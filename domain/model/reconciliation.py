"""The Reconciliation aggregate: how far the raw log has been compared with Stripe's own
list of events, and what each run found.

Webhooks can be lost (an endpoint down longer than Stripe retries, a delivery dropped).
Each run asks Stripe for the events created since the last reconciled point and ingests
the ones never delivered; the point moves to the newest event seen. One per service.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.model.base import Record

RECONCILIATION_ID: UUID = uuid5(NAMESPACE_URL, "checkout-ledger:reconciliation")


class Reconciliation(Record):
    """The runs of reconciliation, and the point reached."""

    class Ran(Record.Event):
        """One run: asked Stripe for events after ``since``; saw ``seen`` of them, of which
        ``new`` were never delivered; the newest was created at ``until``."""

        since: datetime | None
        until: datetime | None
        seen: int
        new: int
        already_known: int
        actor: str
        reason: str | None

        def apply(self, aggregate: Reconciliation) -> None:
            if self.until is not None and (aggregate.point is None or self.until > aggregate.point):
                aggregate.point = self.until
            aggregate.runs += 1

    def start(self) -> None:
        self.point: datetime | None = None
        self.runs = 0

    @classmethod
    def of(cls) -> Reconciliation:
        return cls.blank(RECONCILIATION_ID)

    def record_run(self, since: datetime | None, until: datetime | None, seen: int, new: int,
                   actor: str, reason: str | None = None) -> None:
        self.trigger_event(self.Ran, since=since, until=until, seen=seen, new=new,
                           already_known=seen - new, actor=actor, reason=reason)
