"""Stripe Billing webhooks for tests: the events in tests/fixtures/stripe/billing/, with the
ids, times and fields a test needs."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from domain.model.facts import StripeEvent
from tests.support.webhooks import new_event_id

BILLING = Path(__file__).resolve().parents[1] / "fixtures" / "stripe" / "billing"
CUSTOMER = "cus_TWq2o8vcGmoR32"
PERIOD_START, PERIOD_END = 1764547200, 1767225600  # of the fixtures' subscription


@cache
def _stored(name: str) -> dict[str, Any]:
    with (BILLING / f"{name}.json").open() as f:
        loaded: dict[str, Any] = json.load(f)
    return loaded


def fixture(name: str) -> dict[str, Any]:
    """A fresh copy of one fixture event, e.g. ``fixture("invoice.paid")``."""
    return copy.deepcopy(_stored(name))


def new_subscription_id() -> str:
    return f"sub_test_{uuid.uuid4().hex[:20]}"


def new_invoice_id() -> str:
    return f"in_test_{uuid.uuid4().hex[:20]}"


def _envelope(body: dict[str, Any], event_id: str | None, created: int | None
              ) -> dict[str, Any]:
    body["id"] = event_id or new_event_id()
    if created is not None:
        body["created"] = created
    return body


def subscription_event(event_type: str, subscription: str, *, event_id: str | None = None,
                       created: int | None = None, legacy: bool = False,
                       **fields: Any) -> dict[str, Any]:
    """A ``customer.subscription.*`` event about ``subscription``: the current API's shape,
    or with ``legacy`` an older version's (period on the subscription, a plan on the item)."""
    if legacy:
        body = fixture("customer.subscription.updated.2019-12-03")
    elif event_type == "customer.subscription.deleted":
        body = fixture("customer.subscription.deleted")
    else:
        body = fixture("customer.subscription.created")
    body["type"] = event_type
    obj = body["data"]["object"]
    obj["id"] = subscription
    for item in obj["items"]["data"]:
        item["subscription"] = subscription
    obj.update(fields)
    return _envelope(body, event_id, created)


def invoice_event(event_type: str, subscription: str | None, *, invoice: str | None = None,
                  event_id: str | None = None, created: int | None = None,
                  legacy: bool = False, **fields: Any) -> dict[str, Any]:
    """An ``invoice.*`` event of ``subscription`` (None: a one-off invoice), naming it where
    the current API does (``parent.subscription_details``) or, with ``legacy``, where older
    versions did (``subscription``)."""
    if subscription is None:
        body = fixture("invoice.paid.one_off")
    elif legacy:
        body = fixture("invoice.payment_failed.2024-06-20")
        body["data"]["object"]["subscription"] = subscription
    else:
        body = fixture("invoice.paid")
        body["data"]["object"]["parent"]["subscription_details"]["subscription"] = subscription
    body["type"] = event_type
    obj = body["data"]["object"]
    obj["id"] = invoice or new_invoice_id()
    defaults: dict[str, Any] = {
        "invoice.paid": {"status": "paid", "amount_paid": obj["amount_due"],
                         "next_payment_attempt": None},
        "invoice.payment_failed": {"status": "open", "amount_paid": 0, "attempt_count": 1,
                                   "next_payment_attempt": PERIOD_END + 3 * 86400},
        "invoice.payment_action_required": {"status": "open", "amount_paid": 0},
    }[event_type]
    obj.update({**defaults, **fields})
    return _envelope(body, event_id, created)


def stored(body: dict[str, Any]) -> StripeEvent:
    """The event as the inbox keeps it (what the ledger's translators read)."""
    return StripeEvent(id=body["id"], type=body["type"],
                       created=datetime.fromtimestamp(body["created"], tz=UTC),
                       livemode=False, object_id=body["data"]["object"].get("id"),
                       payload=json.dumps(body))
