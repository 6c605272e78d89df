"""``/v1/events``: newest first, filtered by type(s) and time, paginated, one per state change."""

from __future__ import annotations

from typing import Any

import httpx
import stripe

CARD = "4242424242424242"


def test_events_are_listed_newest_first_with_the_session_snapshot_of_their_time(
    client: stripe.StripeClient, control: httpx.Client, shop: Any
) -> None:
    session = shop.session(shop.price())
    shop.pay(session.id, method="bank_debit_succeeds")
    control.post(f"/_emulator/checkout/sessions/{session.id}/settle")

    listed = client.v1.events.list(params={"type": "checkout.session.*"}).data

    assert [e.type for e in listed] == ["checkout.session.async_payment_succeeded",
                                        "checkout.session.completed"]
    assert [e.data.object.payment_status for e in listed] == ["paid", "unpaid"]
    assert listed[0].created >= listed[1].created


def test_types_filter_takes_several_types(client: stripe.StripeClient, shop: Any) -> None:
    session = shop.session(shop.price())
    shop.pay(session.id, card=CARD)

    listed = client.v1.events.list(params={"types": ["checkout.session.completed",
                                                     "payment_intent.succeeded"]}).data

    assert sorted(e.type for e in listed) == ["checkout.session.completed",
                                              "payment_intent.succeeded"]


def test_created_filters_select_by_time(client: stripe.StripeClient, shop: Any) -> None:
    shop.price()
    newest = client.v1.events.list(params={"limit": 1}).data[0]

    after = client.v1.events.list(params={"created": {"gt": newest.created}}).data
    up_to = client.v1.events.list(params={"created": {"lte": newest.created}}).data

    assert after == []
    assert newest.id in [e.id for e in up_to]


def test_events_paginate_with_starting_after(client: stripe.StripeClient) -> None:
    for i in range(7):
        client.v1.customers.create(params={"email": f"c{i}@example.com"})

    first = client.v1.events.list(params={"limit": 3})
    walked = list(client.v1.events.list(params={"limit": 3}).auto_paging_iter())

    assert first.has_more is True
    assert len(walked) == 7
    emails = [e.data.object.email for e in walked]
    assert emails == [f"c{i}@example.com" for i in reversed(range(7))]


def test_an_event_can_be_retrieved_by_id(client: stripe.StripeClient, shop: Any) -> None:
    session = shop.session(shop.price())
    shop.pay(session.id, card=CARD)
    listed = client.v1.events.list(params={"type": "checkout.session.completed"}).data[0]

    event = client.v1.events.retrieve(listed.id)

    assert event.id.startswith("evt_")
    assert event.to_dict() == listed.to_dict()
    assert event.livemode is False
    assert event.api_version


def test_events_caused_by_an_api_request_name_it(api: httpx.Client) -> None:
    response = api.post("/v1/customers", data={"email": "r@example.com"},
                        headers={"Idempotency-Key": "key-r"})

    event = api.get("/v1/events", params={"type": "customer.created"}).json()["data"][0]

    assert event["request"] == {"id": response.headers["Request-Id"],
                                "idempotency_key": "key-r"}


def test_a_session_can_expire(client: stripe.StripeClient, shop: Any) -> None:
    session = shop.session(shop.price())

    client.v1.checkout.sessions.expire(session.id)

    assert shop.event_types(type="checkout.session.expired") == ["checkout.session.expired"]
    assert client.v1.checkout.sessions.retrieve(session.id).url is None
