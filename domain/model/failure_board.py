"""The failure board: every case that still needs a person, as one event-sourced aggregate.

A case is keyed by its kind and the id of what failed (``fulfillment_failed`` +
``cs_...``; later ``charge_failed`` + ``ch_...``, ``event_unprocessable`` + ``evt_...``).
It is opened by a failure, updated by the next failure of the same thing (attempts,
last error), and closed when the thing is mended. Only open cases are held in the
state, so its size (and the size of its snapshots) is that of the work left for support.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

BOARD_ID: UUID = uuid5(NAMESPACE_URL, "checkout-ledger:support:failure-board")


@dataclass(frozen=True)
class Case:
    """One open case: what failed, for whom, since when, how often, and the last error."""

    kind: str
    id: str
    customer: str | None
    amount: int | None
    currency: str | None
    since: str  # ISO-8601, as recorded
    attempts: int
    last_error: str
    event_type: str | None = None  # for an event_unprocessable case: the Stripe type


def case_key(kind: str, case_id: str) -> str:
    """The board's key of one case."""
    return f"{kind}:{case_id}"


class FailureBoard(Aggregate):
    """The open support cases, oldest first."""

    def __init__(self) -> None:
        self.cases: dict[str, Case] = {}

    @staticmethod
    def create_id() -> UUID:
        return BOARD_ID

    @classmethod
    def start(cls) -> FailureBoard:
        """The one board of this service (its id is fixed)."""
        return cls()

    # Commands ------------------------------------------------------------------

    def report(self, kind: str, case_id: str, *, since: datetime, attempts: int, last_error: str,
               customer: str | None = None, amount: int | None = None,
               currency: str | None = None, event_type: str | None = None) -> None:
        """Open the case, or bring an open one up to date with its latest failure."""
        key = case_key(kind, case_id)
        if key not in self.cases:
            self._opened(kind=kind, case_id=case_id, since=since.isoformat(), attempts=attempts,
                         last_error=last_error, customer=customer, amount=amount,
                         currency=currency, event_type=event_type)
            return
        case = self.cases[key]
        if (case.attempts, case.last_error) != (attempts, last_error):
            self._updated(kind=kind, case_id=case_id, attempts=attempts, last_error=last_error)

    def resolve(self, kind: str, case_id: str, reason: str) -> bool:
        """Close the case if it is open; False (nothing recorded) otherwise."""
        if case_key(kind, case_id) not in self.cases:
            return False
        self._closed(kind=kind, case_id=case_id, reason=reason)
        return True

    def is_open(self, kind: str, case_id: str) -> bool:
        return case_key(kind, case_id) in self.cases

    def open_cases(self) -> list[Case]:
        """The open cases, oldest first."""
        return sorted(self.cases.values(), key=lambda case: (case.since, case.kind, case.id))

    # Events (applied again on every replay) ----------------------------------------

    @event("CaseOpened")
    def _opened(self, kind: str, case_id: str, since: str, attempts: int, last_error: str,
                customer: str | None, amount: int | None, currency: str | None,
                event_type: str | None = None) -> None:
        self.cases[case_key(kind, case_id)] = Case(kind, case_id, customer, amount, currency,
                                                  since, attempts, last_error, event_type)

    @event("CaseUpdated")
    def _updated(self, kind: str, case_id: str, attempts: int, last_error: str) -> None:
        key = case_key(kind, case_id)
        self.cases[key] = replace(self.cases[key], attempts=attempts, last_error=last_error)

    @event("CaseClosed")
    def _closed(self, kind: str, case_id: str, reason: str) -> None:
        del self.cases[case_key(kind, case_id)]
