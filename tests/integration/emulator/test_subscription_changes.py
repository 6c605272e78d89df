"""Changing a subscription (update, cancel), listing invoices, idempotency and expansion."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from tests.integration.emulator.billing_support import (
    clock,
    customer,
    events,
    price,
    subscribe,
    ts,
)


def test_update_cancel_at_period_end_and_metadata_report_previous_attributes(
    client: stripe.StripeClient,
) -> None:
    cus, pm = customer(client)
    sub = subscribe(client, cus, pm, price(client).id, metadata={"a": "1"})

    updated = client.v1.subscriptions.update(sub.id, params={
        "cancel_at_period_end": True, "metadata": {"b": "2"}})

    assert updated.cancel_at == sub["items"].data[0].current_period_end
    assert updated.to_dict()["metadata"] == {"a": "1", "b": "2"}
    assert updated.status == "active"
    last = events(client, sub.id)[-1]
    assert last["type"] == "customer.subscription.updated"
    previous = last["data"]["previous_attributes"]
    assert previous["cancel_at_period_end"] is False and previous["cancel_at"] is None
    assert previous["metadata"] == {"b": None} and previous["canceled_at"] is None


def test_an_update_that_changes_nothing_emits_nothing(client: stripe.StripeClient) -> None:
    cus, pm = customer(client)
    sub = subscribe(client, cus, pm, price(client).id)
    before = len(events(client))

    client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": False})

    assert len(events(client)) == before


def test_deleting_cancels_now(client: stripe.StripeClient) -> None:
    cus, pm = customer(client)
    sub = subscribe(client, cus, pm, price(client).id)

    canceled = client.v1.subscriptions.cancel(sub.id)

    assert canceled.status == "canceled"
    assert canceled.canceled_at and canceled.ended_at == canceled.canceled_at
    assert canceled.cancellation_details.reason == "cancellation_requested"  # type: ignore
    assert events(client, sub.id)[-1]["type"] == "customer.subscription.deleted"
    assert client.v1.subscriptions.list(params={"customer": cus}).data == []
    listed = client.v1.subscriptions.list(params={"customer": cus, "status": "canceled"})
    assert [s.id for s in listed.data] == [sub.id]


def test_invoices_list_by_subscription_and_customer_and_paginate(
    client: stripe.StripeClient,
) -> None:
    cus, pm = customer(client)
    first = subscribe(client, cus, pm, price(client).id)
    second = subscribe(client, cus, pm, price(client).id)
    other, other_pm = customer(client)
    subscribe(client, other, other_pm, price(client).id)

    by_sub = client.v1.invoices.list(params={"subscription": first.id})
    by_customer = client.v1.invoices.list(params={"customer": cus, "limit": 1})
    rest = client.v1.invoices.list(params={"customer": cus, "starting_after":
                                           by_customer.data[0].id})

    assert [i.id for i in by_sub.data] == [first.latest_invoice]
    assert by_customer.has_more and [by_customer.data[0].id] == [second.latest_invoice]
    assert [i.id for i in rest.data] == [first.latest_invoice] and not rest.has_more
    assert len(client.v1.invoices.list(params={"status": "paid"}).data) == 3


def test_the_same_idempotency_key_creates_one_subscription(
    client: stripe.StripeClient, api: httpx.Client
) -> None:
    cus, pm = customer(client)
    body: dict[str, Any] = {"customer": cus, "items[0][price]": price(client).id,
                            "default_payment_method": pm}

    first = api.post("/v1/subscriptions", data=body, headers={"Idempotency-Key": "sub-1"})
    again = api.post("/v1/subscriptions", data=body, headers={"Idempotency-Key": "sub-1"})

    assert first.json()["id"] == again.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(client.v1.subscriptions.list().data) == 1


@pytest.mark.parametrize("expand", ["latest_invoice", "customer", "default_payment_method"])
def test_subscription_fields_expand(client: stripe.StripeClient, api: httpx.Client,
                                    expand: str) -> None:
    cus, pm = customer(client)
    sub = subscribe(client, cus, pm, price(client).id)

    served = api.get(f"/v1/subscriptions/{sub.id}", params={"expand[]": expand}).json()

    assert served[expand]["id"] == sub[expand]


def test_deleting_a_customer_on_a_clock_cancels_its_subscriptions_in_the_clocks_time(
    client: stripe.StripeClient,
) -> None:
    made = clock(client, ts(2027, 6, 1))
    cus, pm = customer(client, made.id)
    sub = subscribe(client, cus, pm, price(client).id)

    client.v1.customers.delete(cus)

    ended = events(client, sub.id)[-1]
    assert ended["type"] == "customer.subscription.deleted"
    assert ended["data"]["object"]["ended_at"] == ended["created"] == ts(2027, 6, 1)
