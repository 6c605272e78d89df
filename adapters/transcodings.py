"""How the domain's value objects are written into stored events.

The store's JSON encodes a custom type as ``{"_type_": name, "_data_": ...}`` and reads
any such dict back as that type. So no dict whose keys a customer or merchant chooses
may reach the store: Stripe ``metadata`` is kept as a list of ``[key, value]`` pairs, and
every value object here is written with its own fixed field names.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from eventsourcing.persistence import Transcoding

from domain.model.access import Purchase
from domain.model.checkout_session import FailureSummary
from domain.model.dunning import Dunning
from domain.model.facts import LineItem, SessionFacts
from domain.model.failure_board import Case
from domain.model.payment_facts import Card, Decline
from domain.model.subscription import Plan
from domain.model.subscription_facts import InvoiceFacts, SubscriptionFacts, SubscriptionView
from domain.model.subscription_state import InvoiceFailure, Standing


def _names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


class _Fields(Transcoding):
    """A frozen dataclass of primitives as a dict of its fields (shallow: no deep copy,
    a measurable cost on the hot path)."""

    def __init__(self) -> None:
        self._fields = _names(self.type)

    def encode(self, obj: Any) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self._fields}

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type(**data)


class SessionFactsAsDict(_Fields):
    type = SessionFacts
    name = "session_facts"

    def encode(self, obj: SessionFacts) -> dict[str, Any]:
        data = super().encode(obj)
        data["metadata"] = [list(pair) for pair in obj.metadata]
        return data

    def decode(self, data: dict[str, Any]) -> SessionFacts:
        metadata = data.get("metadata") or ()
        if isinstance(metadata, dict):  # written before metadata became pairs
            metadata = metadata.items()
        return SessionFacts(**{**data, "metadata": tuple((str(k), str(v)) for k, v in metadata)})


class LineItemAsDict(_Fields):
    type = LineItem
    name = "line_item"


class FailureSummaryAsDict(_Fields):
    type = FailureSummary
    name = "failure_summary"


class CaseAsDict(_Fields):
    type = Case
    name = "support_case"


class CardAsDict(_Fields):
    type = Card
    name = "card"


class DeclineAsDict(_Fields):
    type = Decline
    name = "decline"


class PlanAsDict(_Fields):
    type = Plan
    name = "plan"


class DunningAsDict(_Fields):
    type = Dunning
    name = "dunning"


class SubscriptionViewAsDict(_Fields):
    type = SubscriptionView
    name = "subscription_view"


class PurchaseAsDict(_Fields):
    type = Purchase
    name = "purchase"


class SubscriptionFactsAsDict(_Fields):
    type = SubscriptionFacts
    name = "subscription_facts"

    def encode(self, obj: SubscriptionFacts) -> dict[str, Any]:
        data = super().encode(obj)
        data["metadata"] = [list(pair) for pair in obj.metadata]
        return data

    def decode(self, data: dict[str, Any]) -> SubscriptionFacts:
        metadata = tuple((str(k), str(v)) for k, v in data.get("metadata") or ())
        return SubscriptionFacts(**{**data, "metadata": metadata})


class InvoiceFactsAsDict(_Fields):
    type = InvoiceFacts
    name = "invoice_facts"


class InvoiceFailureAsDict(_Fields):
    type = InvoiceFailure
    name = "invoice_failure"


class StandingAsDict(_Fields):
    type = Standing
    name = "subscription_standing"


TRANSCODINGS: tuple[Transcoding, ...] = (SessionFactsAsDict(), LineItemAsDict(),
                                         FailureSummaryAsDict(), CaseAsDict(), CardAsDict(),
                                         DeclineAsDict(), PlanAsDict(), DunningAsDict(),
                                         SubscriptionViewAsDict(), PurchaseAsDict(),
                                         SubscriptionFactsAsDict(), InvoiceFactsAsDict(),
                                         InvoiceFailureAsDict(), StandingAsDict())
