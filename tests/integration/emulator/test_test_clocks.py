"""``/v1/test_helpers/test_clocks``: create, retrieve, list, delete, advance; customers on them."""

from __future__ import annotations

import httpx
import pytest
import stripe

from emulator.periods import add_months, boundary
from tests.integration.emulator.billing_support import (
    DAY,
    advance,
    clock,
    customer,
    events,
    price,
    subscribe,
    ts,
    types,
)

BASE = "/v1/test_helpers/test_clocks"


def test_a_clock_is_created_retrieved_listed_and_deleted(client: stripe.StripeClient) -> None:
    clocks = client.v1.test_helpers.test_clocks
    made = clock(client, ts(2027, 1, 31, 12), name="January")

    assert (made.object, made.status, made.name) == ("test_helpers.test_clock", "ready", "January")
    assert made.id.startswith("clock_") and made.frozen_time == ts(2027, 1, 31, 12)
    assert made.deletes_after > made.created
    assert clocks.retrieve(made.id).frozen_time == made.frozen_time
    assert [c.id for c in clocks.list().data] == [made.id]
    gone = clocks.delete(made.id)
    assert gone.deleted is True and gone.id == made.id
    assert clocks.list().data == []
    assert types(events(client))[:1] == ["test_helpers.test_clock.created"]


def test_a_customer_on_a_clock_shows_it_and_lives_in_its_time(
    client: stripe.StripeClient, api: httpx.Client
) -> None:
    made = clock(client, ts(2027, 3, 1))
    cus, pm = customer(client, made.id)

    served = api.get(f"/v1/customers/{cus}").json()
    sub = subscribe(client, cus, pm, price(client).id)

    assert served["test_clock"] == made.id and served["created"] == ts(2027, 3, 1)
    assert (sub.test_clock, sub.created, sub.start_date) == (made.id, ts(2027, 3, 1),
                                                             ts(2027, 3, 1))
    item = sub["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (ts(2027, 3, 1),
                                                                    ts(2027, 4, 1))
    invoice = client.v1.invoices.retrieve(sub.latest_invoice)  # type: ignore[arg-type]
    assert invoice.test_clock == made.id and invoice.created == ts(2027, 3, 1)
    assert all(e["created"] == ts(2027, 3, 1) for e in events(client, sub.id))
    listed = client.v1.customers.list(params={"test_clock": made.id})
    assert [c.id for c in listed.data] == [cus]
    expanded = api.get(f"/v1/customers/{cus}", params={"expand[]": "test_clock"}).json()
    assert expanded["test_clock"]["id"] == made.id


def test_advancing_answers_advancing_then_the_clock_is_ready(client: stripe.StripeClient
                                                             ) -> None:
    made = clock(client, ts(2027, 1, 1))

    answer = client.v1.test_helpers.test_clocks.advance(made.id, params={
        "frozen_time": ts(2027, 1, 2)})
    ready = advance(client, made.id, ts(2027, 1, 3))

    assert answer.status == "advancing" and answer.frozen_time == ts(2027, 1, 2)
    assert ready.status == "ready" and ready.frozen_time == ts(2027, 1, 3)
    clock_events = [e for e in events(client, made.id)]
    assert types(clock_events) == [
        "test_helpers.test_clock.created", "test_helpers.test_clock.advancing",
        "test_helpers.test_clock.ready", "test_helpers.test_clock.advancing",
        "test_helpers.test_clock.ready"]
    assert clock_events[-1]["created"] == ts(2027, 1, 3)


@pytest.mark.parametrize("to, reason", [(0, "earlier"), (None, "the same time")])
def test_a_clock_cannot_go_back_or_stand_still(api: httpx.Client, client: stripe.StripeClient,
                                              to: int | None, reason: str) -> None:
    made = clock(client, ts(2027, 1, 1))
    target = made.frozen_time if to is None else made.frozen_time - DAY

    response = api.post(f"{BASE}/{made.id}/advance", data={"frozen_time": target})

    assert response.status_code == 400, reason
    error = response.json()["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", "frozen_time")
    assert "must be after" in error["message"]
    assert client.v1.test_helpers.test_clocks.retrieve(made.id).frozen_time == made.frozen_time


CASES: dict[str, tuple[str, str, dict[str, str], int, str | None]] = {
    "create without frozen_time": ("POST", BASE, {}, 400, "frozen_time"),
    "create with a word for a time": ("POST", BASE, {"frozen_time": "soon"}, 400, "frozen_time"),
    "create with an unknown parameter": ("POST", BASE, {"frozen_time": "1", "speed": "2"}, 400,
                                         "speed"),
    "advance without frozen_time": ("POST", BASE + "/{clock}/advance", {}, 400, "frozen_time"),
    "advance with an unknown parameter": ("POST", BASE + "/{clock}/advance",
                                          {"frozen_time": "9999999999", "x": "1"}, 400, "x"),
    "retrieve an unknown clock": ("GET", BASE + "/clock_missing", {}, 404, "id"),
    "advance an unknown clock": ("POST", BASE + "/clock_missing/advance",
                                 {"frozen_time": "9999999999"}, 404, "id"),
    "delete an unknown clock": ("DELETE", BASE + "/clock_missing", {}, 404, "id"),
    "customer on an unknown clock": ("POST", "/v1/customers", {"test_clock": "clock_missing"},
                                     400, "test_clock"),
    "moving a customer to a clock": ("POST", "/v1/customers/{customer}",
                                     {"test_clock": "{clock}"}, 400, "test_clock"),
    "list with a bad limit": ("GET", BASE, {"limit": "101"}, 400, "limit"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_clock_requests_refused(case: str, api: httpx.Client, client: stripe.StripeClient
                                ) -> None:
    method, path, body, status, param = CASES[case]
    made = clock(client, ts(2027, 1, 1))
    cus = client.v1.customers.create().id
    names = {"clock": made.id, "customer": cus}
    body = {k: v.format(**names) for k, v in body.items()}
    url = path.format(**names)

    response = (api.get(url, params=body) if method == "GET" else
                api.request(method, url, data=body or None))

    assert response.status_code == status, response.text
    assert response.json()["error"]["param"] == param


def test_deleting_a_clock_deletes_its_customers_and_subscriptions(
    client: stripe.StripeClient, api: httpx.Client
) -> None:
    made = clock(client, ts(2027, 1, 1))
    cus, pm = customer(client, made.id)
    sub = subscribe(client, cus, pm, price(client).id)

    client.v1.test_helpers.test_clocks.delete(made.id)

    assert api.get(f"/v1/customers/{cus}").json() == {"id": cus, "object": "customer",
                                                      "deleted": True}
    assert api.get(f"/v1/subscriptions/{sub.id}").status_code == 404
    assert api.get(f"{BASE}/{made.id}").status_code == 404


@pytest.mark.parametrize("anchor, months, expected", [
    (ts(2027, 1, 31, 12), 1, ts(2027, 2, 28, 12)),
    (ts(2028, 1, 31, 12), 1, ts(2028, 2, 29, 12)),
    (ts(2027, 1, 31, 12), 2, ts(2027, 3, 31, 12)),
    (ts(2027, 1, 31, 12), 3, ts(2027, 4, 30, 12)),
    (ts(2027, 12, 15), 1, ts(2028, 1, 15)),
    (ts(2028, 2, 29), 12, ts(2029, 2, 28)),
    (ts(2028, 2, 29), 48, ts(2032, 2, 29)),
])
def test_calendar_months_keep_the_anchor_day(anchor: int, months: int, expected: int) -> None:
    assert add_months(anchor, months) == expected


@pytest.mark.parametrize("interval, count, n, expected", [
    ("day", 1, 3, ts(2027, 1, 4)), ("week", 2, 1, ts(2027, 1, 15)),
    ("month", 3, 1, ts(2027, 4, 1)), ("year", 1, 2, ts(2029, 1, 1)),
])
def test_period_boundaries_of_each_interval(interval: str, count: int, n: int, expected: int
                                            ) -> None:
    assert boundary(ts(2027, 1, 1), interval, count, n) == expected

