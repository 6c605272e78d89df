"""Billing events reach webhook endpoints like every other event; ``flush`` waits for clocks."""

from __future__ import annotations

import json
from typing import Any

import stripe

from tests.integration.emulator.billing_support import clock, customer, price, subscribe, ts


def test_a_renewal_is_delivered_to_the_endpoint_after_flush(
    client: stripe.StripeClient, shop: Any, receiver: Any
) -> None:
    shop.endpoint(receiver.url, ["invoice.paid", "customer.subscription.updated"])
    made = clock(client, ts(2027, 1, 1))
    cus, pm = customer(client, made.id)
    sub = subscribe(client, cus, pm, price(client).id)

    client.v1.test_helpers.test_clocks.advance(made.id, params={"frozen_time": ts(2027, 2, 2)})
    shop.flush()

    bodies = [json.loads(r["body"]) for r in receiver.accepted()]
    assert [b["type"] for b in bodies] == [
        "invoice.paid", "customer.subscription.updated",  # the first invoice
        "customer.subscription.updated", "invoice.paid"]  # the renewal
    renewal = bodies[-1]["data"]["object"]
    assert renewal["billing_reason"] == "subscription_cycle"
    assert renewal["parent"]["subscription_details"]["subscription"] == sub.id
    assert bodies[-1]["created"] == ts(2027, 2, 1)
    assert client.v1.test_helpers.test_clocks.retrieve(made.id).status == "ready"
