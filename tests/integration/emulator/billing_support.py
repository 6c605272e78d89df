"""Arranging subscription and test-clock tests: clocks, customers with cards, subscriptions."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import stripe

DAY = 86_400


def ts(*parts: int) -> int:
    """Unix seconds of a UTC date and time: ``ts(2027, 1, 31, 12)``."""
    return int(datetime(*parts, tzinfo=UTC).timestamp())  # type: ignore[misc]


def price(client: stripe.StripeClient, amount: int = 1500, interval: str = "month",
          count: int = 1) -> stripe.Price:
    """A recurring price of a new product."""
    return client.v1.prices.create(params={  # type: ignore[arg-type]
        "currency": "usd", "unit_amount": amount, "product_data": {"name": "Pro plan"},
        "recurring": {"interval": interval, "interval_count": count}})


def clock(client: stripe.StripeClient, at: int, name: str | None = None
          ) -> stripe.test_helpers.TestClock:
    """A test clock frozen at ``at``."""
    params: dict[str, Any] = {"frozen_time": at}
    if name:
        params["name"] = name
    return client.v1.test_helpers.test_clocks.create(params=params)  # type: ignore[arg-type]


def customer(client: stripe.StripeClient, test_clock: str | None = None,
             card: str = "pm_card_visa") -> tuple[str, str]:
    """A customer (on ``test_clock``) with ``card`` attached: ``(customer id, pm id)``."""
    params: dict[str, Any] = {"email": "ada@example.com"}
    if test_clock:
        params["test_clock"] = test_clock
    created = client.v1.customers.create(params=params)  # type: ignore[arg-type]
    return created.id, attach(client, created.id, card)


def attach(client: stripe.StripeClient, customer_id: str, card: str) -> str:
    """Attach a new test card to the customer; its id."""
    return client.v1.payment_methods.attach(card, params={"customer": customer_id}).id


def subscribe(client: stripe.StripeClient, customer_id: str, pm: str | None, price_id: str,
              **extra: Any) -> stripe.Subscription:
    """A subscription of one ``price_id`` paid with ``pm``."""
    params: dict[str, Any] = {"customer": customer_id, "items": [{"price": price_id}], **extra}
    if pm:
        params["default_payment_method"] = pm
    return client.v1.subscriptions.create(params=params)  # type: ignore[arg-type]


def advance(client: stripe.StripeClient, clock_id: str, to: int) -> stripe.test_helpers.TestClock:
    """Advance the clock and wait until it is ready again."""
    clocks = client.v1.test_helpers.test_clocks
    clocks.advance(clock_id, params={"frozen_time": to})
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        current = clocks.retrieve(clock_id)
        if current.status == "ready":
            return current
        time.sleep(0.02)
    raise AssertionError("the test clock did not become ready")


def events(client: stripe.StripeClient, object_id: str | None = None) -> list[dict[str, Any]]:
    """Every event, oldest first (only those about ``object_id`` when given)."""
    listed = client.v1.events.list(params={"limit": 100}).auto_paging_iter()
    found = [e.to_dict() for e in listed]
    found.reverse()
    if object_id is None:
        return found
    return [e for e in found if e["data"]["object"]["id"] == object_id]


def types(found: list[dict[str, Any]]) -> list[str]:
    """The events' types."""
    return [e["type"] for e in found]


def invoices(client: stripe.StripeClient, subscription: str) -> list[dict[str, Any]]:
    """The subscription's invoices, oldest first."""
    listed = client.v1.invoices.list(params={"subscription": subscription, "limit": 100})
    return [i.to_dict() for i in reversed(listed.data)]
