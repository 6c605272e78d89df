"""Stripe's subscription and invoice objects -> facts, from Stripe-shaped events of the
current and older API versions; and every malformed shape refused as unreadable."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.stripe_billing_objects import (
    read_invoice,
    read_subscription,
    read_subscription_invoice,
)
from adapters.stripe_objects import UnreadableObject
from domain.model.facts import StripeEvent
from tests.support.billing import (
    CUSTOMER,
    PERIOD_END,
    PERIOD_START,
    fixture,
    invoice_event,
    stored,
    subscription_event,
)

SUB = "sub_1SZc8kB7WZ01zgkWq3b0Xy7n"  # the fixtures' own
CREATED, UPDATED = "customer.subscription.created", "customer.subscription.updated"
PAID, FAILED = "invoice.paid", "invoice.payment_failed"


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def item(body: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return body["data"]["object"]["items"]["data"][index]  # type: ignore[no-any-return]


# Subscriptions -----------------------------------------------------------------------

def test_a_subscription_of_the_current_api_is_read_from_its_item() -> None:
    facts = read_subscription(stored(fixture("customer.subscription.created")))

    assert (facts.subscription, facts.customer, facts.status) == (SUB, CUSTOMER, "active")
    assert (facts.current_period_start, facts.current_period_end) == (
        at(PERIOD_START), at(PERIOD_END))
    assert (facts.price, facts.amount, facts.currency) == (
        "price_1SZc1rB7WZ01zgkW9dKueIc5", 3000, "usd")  # 1500 x 2
    assert (facts.interval, facts.interval_count) == ("month", 1)
    assert facts.description is None  # no nickname, product not expanded
    assert facts.cancel_at_period_end is False and facts.canceled_at is None
    assert facts.started_at == at(1764547195)
    assert facts.latest_invoice == "in_1SZc8lB7WZ01zgkWa1Pn2Q3r"
    assert facts.default_payment_method == "pm_1SZc8jB7WZ01zgkWcard4242"
    assert dict(facts.metadata) == {"plan": "pro", "_type_": "not a stored type"}


def test_a_subscription_of_an_older_api_has_its_period_on_itself_and_a_plan() -> None:
    facts = read_subscription(stored(fixture("customer.subscription.updated.2019-12-03")))

    assert facts.status == "past_due"
    assert (facts.current_period_start, facts.current_period_end) == (
        at(PERIOD_START), at(PERIOD_END))
    assert (facts.price, facts.amount, facts.interval, facts.interval_count) == (
        "price_1SZc1rB7WZ01zgkW9dKueIc5", 1500, "month", 1)
    assert facts.description == "Pro monthly"


def test_an_item_without_a_period_falls_back_to_the_subscriptions() -> None:
    body = subscription_event(UPDATED, SUB, current_period_start=PERIOD_START - 99,
                              current_period_end=PERIOD_END - 99)
    item(body)["current_period_start"] = item(body)["current_period_end"] = None

    facts = read_subscription(stored(body))

    assert facts.current_period_end == at(PERIOD_END - 99)


def test_the_description_is_the_nickname_else_the_expanded_products_name() -> None:
    named = subscription_event(UPDATED, SUB)
    item(named)["price"]["product"] = {"id": "prod_1", "object": "product", "name": "Pro"}
    nicknamed = subscription_event(UPDATED, SUB)
    item(nicknamed)["price"].update(nickname="Pro (monthly)", product={"name": "Pro"})

    assert read_subscription(stored(named)).description == "Pro"
    assert read_subscription(stored(nicknamed)).description == "Pro (monthly)"


def test_the_amount_sums_every_item_and_is_unknown_for_a_price_without_unit_amount() -> None:
    two = subscription_event(UPDATED, SUB)
    extra = json.loads(json.dumps(item(two)))
    extra["price"]["unit_amount"], extra["quantity"] = 500, 3
    two["data"]["object"]["items"]["data"].append(extra)
    tiered = subscription_event(UPDATED, SUB)
    item(tiered)["price"]["unit_amount"] = None
    metered = subscription_event(UPDATED, SUB)
    del item(metered)["quantity"]

    assert read_subscription(stored(two)).amount == 1500 * 2 + 500 * 3
    assert read_subscription(stored(tiered)).amount is None
    assert read_subscription(stored(metered)).amount == 1500


def test_a_canceled_subscription_carries_when() -> None:
    facts = read_subscription(stored(fixture("customer.subscription.deleted")))

    assert facts.status == "canceled"
    assert facts.canceled_at == facts.ended_at == at(PERIOD_END - 3600)


def test_an_expanded_customer_is_read_as_its_id() -> None:
    body = subscription_event(UPDATED, SUB, customer={"id": "cus_9", "object": "customer"})

    assert read_subscription(stored(body)).customer == "cus_9"


def test_what_is_only_nice_to_have_is_left_out_when_malformed() -> None:
    body = subscription_event(UPDATED, SUB, metadata=["not", "a", "map"])
    item(body)["price"].update(nickname=7, product=["x"])

    facts = read_subscription(stored(body))

    assert (facts.metadata, facts.description) == ((), None)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set ``value`` at a dotted path under data.object (``items.data.0.price``)."""
    def change(body: dict[str, Any]) -> None:
        target: Any = body["data"]["object"]
        *parents, last = path.split(".")
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return change


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda body: body["data"]["object"].pop(key)


BAD_SUBSCRIPTIONS = {
    "not a subscription": _set("object", "customer"),
    "id not sub_": _set("id", "si_123"),
    "id a number": _set("id", 123),
    "no customer": _drop("customer"),
    "customer a number": _set("customer", 42),
    "customer an object without id": _set("customer", {"object": "customer"}),
    "no status": _drop("status"),
    "status a list": _set("status", ["active"]),
    "items a list": _set("items", []),
    "items.data an object": _set("items.data", {}),
    "an item a string": _set("items.data.0", "si_1"),
    "price a string": _set("items.data.0.price", "price_1"),
    "period a string": _set("items.data.0.current_period_end", "2026-01-01"),
    "period a float": _set("items.data.0.current_period_start", 1764547200.5),
    "period a boolean": _set("items.data.0.current_period_start", True),
    "period negative": _set("items.data.0.current_period_end", -1),
    "cancel_at_period_end a string": _set("cancel_at_period_end", "yes"),
    "canceled_at a string": _set("canceled_at", "yesterday"),
    "quantity a string": _set("items.data.0.quantity", "2"),
    "quantity negative": _set("items.data.0.quantity", -2),
    "unit_amount a float": _set("items.data.0.price.unit_amount", 15.5),
    "unit_amount a string": _set("items.data.0.price.unit_amount", "1500"),
    "currency a number": _set("items.data.0.price.currency", 840),
    "recurring a list": _set("items.data.0.price.recurring", ["month"]),
    "interval unknown": _set("items.data.0.price.recurring.interval", "fortnight"),
    "interval_count a string": _set("items.data.0.price.recurring.interval_count", "1"),
    "latest_invoice a number": _set("latest_invoice", 5),
}


@pytest.mark.parametrize("change", BAD_SUBSCRIPTIONS.values(), ids=BAD_SUBSCRIPTIONS.keys())
def test_a_malformed_subscription_is_unreadable(change: Callable[[dict[str, Any]], None]
                                                ) -> None:
    body = subscription_event(UPDATED, SUB)
    change(body)

    with pytest.raises(UnreadableObject):
        read_subscription(stored(body))


@pytest.mark.parametrize("payload", ["not json", "[]", '{"data": {}}',
                                     '{"data": {"object": "sub_1"}}'])
def test_a_body_without_an_object_is_unreadable(payload: str) -> None:
    event = StripeEvent("evt_1", CREATED, at(0), False, None, payload)

    with pytest.raises(UnreadableObject):
        read_subscription(event)
    with pytest.raises(UnreadableObject):
        read_invoice(event)


# Invoices ------------------------------------------------------------------------------

def test_an_invoice_of_the_current_api_names_its_subscription_in_parent() -> None:
    facts = read_invoice(stored(fixture("invoice.paid")))

    assert (facts.invoice, facts.subscription, facts.customer) == (
        "in_1SZf0bB7WZ01zgkWrenew001", SUB, CUSTOMER)
    assert (facts.status, facts.amount_due, facts.amount_paid, facts.currency) == (
        "paid", 3000, 3000, "usd")
    assert (facts.billing_reason, facts.attempt_count, facts.next_payment_attempt) == (
        "subscription_cycle", 1, None)
    assert (facts.period_start, facts.period_end) == (at(PERIOD_START), at(PERIOD_END))
    assert facts.hosted_invoice_url and facts.hosted_invoice_url.startswith("https://")


def test_an_invoice_of_an_older_api_names_its_subscription_at_the_top() -> None:
    facts = read_invoice(stored(fixture("invoice.payment_failed.2024-06-20")))

    assert (facts.subscription, facts.status, facts.amount_paid, facts.attempt_count) == (
        SUB, "open", 0, 1)
    assert facts.next_payment_attempt == at(PERIOD_END + 3 * 86400)


def test_an_expanded_subscription_in_parent_is_read_as_its_id() -> None:
    body = invoice_event(PAID, SUB)
    body["data"]["object"]["parent"]["subscription_details"]["subscription"] = {
        "id": SUB, "object": "subscription"}

    assert read_invoice(stored(body)).subscription == SUB


def test_an_invoice_of_no_subscription_is_read_and_is_not_a_subscriptions() -> None:
    event = stored(fixture("invoice.paid.one_off"))

    assert read_invoice(event).subscription is None
    assert read_subscription_invoice(event) is None
    assert read_subscription_invoice(stored(invoice_event(PAID, SUB))) is not None


def test_an_invoice_with_both_places_empty_is_of_no_subscription() -> None:
    body = invoice_event(PAID, SUB)
    body["data"]["object"]["parent"] = {"type": "quote_details", "quote_details": {
        "quote": "qt_1"}, "subscription_details": None}

    assert read_subscription_invoice(stored(body)) is None


def test_on_an_invoice_only_the_nice_to_have_may_be_malformed() -> None:
    body = invoice_event(PAID, SUB, billing_reason=5, hosted_invoice_url=["x"])

    facts = read_invoice(stored(body))

    assert (facts.billing_reason, facts.hosted_invoice_url) == (None, None)


BAD_INVOICES = {
    "not an invoice": _set("object", "invoiceitem"),
    "id not in_": _set("id", "ii_123"),
    "no amount_due": _drop("amount_due"),
    "amount_due a string": _set("amount_due", "30.00"),
    "amount_paid a float": _set("amount_paid", 30.0),
    "amount_due a boolean": _set("amount_due", True),
    "parent a list": _set("parent", ["subscription_details"]),
    "subscription_details a string": _set("parent.subscription_details", SUB),
    "subscription a number": _set("parent.subscription_details.subscription", 7),
    "subscription not sub_": _set("parent.subscription_details.subscription", "cus_1"),
    "customer a number": _set("customer", 1),
    "status a number": _set("status", 3),
    "currency a list": _set("currency", ["usd"]),
    "attempt_count a string": _set("attempt_count", "1"),
    "attempt_count negative": _set("attempt_count", -1),
    "next_payment_attempt a string": _set("next_payment_attempt", "tomorrow"),
    "period_end huge": _set("period_end", 10**20),
}


@pytest.mark.parametrize("change", BAD_INVOICES.values(), ids=BAD_INVOICES.keys())
def test_a_malformed_invoice_is_unreadable(change: Callable[[dict[str, Any]], None]) -> None:
    body = invoice_event(FAILED, SUB)
    change(body)

    with pytest.raises(UnreadableObject):
        read_subscription_invoice(stored(body))


def test_an_older_invoice_naming_a_malformed_subscription_is_unreadable() -> None:
    body = invoice_event(FAILED, SUB, legacy=True)
    body["data"]["object"]["subscription"] = {"object": "subscription"}

    with pytest.raises(UnreadableObject):
        read_invoice(stored(body))
