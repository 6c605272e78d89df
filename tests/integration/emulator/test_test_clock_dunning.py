"""A declined renewal: ``past_due``, retries 3, 5 and 7 days apart, then canceled; or recovered
with a new default card and ``POST /v1/invoices/{id}/pay``."""

from __future__ import annotations

import stripe

from tests.integration.emulator.billing_support import (
    advance,
    attach,
    clock,
    customer,
    events,
    invoices,
    price,
    subscribe,
    ts,
    types,
)


def _failing(client: stripe.StripeClient) -> tuple[str, str, str]:
    """A monthly subscription from 2027-01-01, paid, whose card then fails every charge:
    ``(clock id, customer id, subscription id)``."""
    made = clock(client, ts(2027, 1, 1))
    cus, pm = customer(client, made.id)
    sub = subscribe(client, cus, pm, price(client).id)
    bad = attach(client, cus, "pm_card_chargeCustomerFail")
    client.v1.subscriptions.update(sub.id, params={"default_payment_method": bad})
    return made.id, cus, sub.id


def _renewal(client: stripe.StripeClient, sub_id: str) -> dict[str, object]:
    return invoices(client, sub_id)[-1]


def test_a_declined_renewal_leaves_the_invoice_open_and_the_subscription_past_due(
    client: stripe.StripeClient,
) -> None:
    clock_id, _, sub_id = _failing(client)
    before = len(events(client))

    advance(client, clock_id, ts(2027, 2, 1, 1))

    invoice = _renewal(client, sub_id)
    assert (invoice["billing_reason"], invoice["status"], invoice["attempt_count"]) == (
        "subscription_cycle", "open", 1)
    assert invoice["next_payment_attempt"] == ts(2027, 2, 4)
    assert invoice["amount_remaining"] == 1500 and invoice["amount_paid"] == 0
    assert client.v1.subscriptions.retrieve(sub_id).status == "past_due"
    found = events(client)[before + 1:-1]  # between advancing and ready
    assert types(found) == [
        "customer.subscription.updated", "invoice.created", "invoice.finalized",
        "payment_intent.created", "charge.failed", "payment_intent.payment_failed",
        "invoice.payment_failed", "customer.subscription.updated"]
    assert found[-1]["data"]["previous_attributes"] == {"status": "active"}
    assert all(e["created"] == ts(2027, 2, 1) for e in found)


def test_retries_follow_the_schedule_and_the_last_failure_cancels(
    client: stripe.StripeClient,
) -> None:
    clock_id, _, sub_id = _failing(client)
    seen = []
    for moment in (ts(2027, 2, 1), ts(2027, 2, 4), ts(2027, 2, 9)):
        advance(client, clock_id, moment)
        invoice = _renewal(client, sub_id)
        seen.append((invoice["attempt_count"], invoice["next_payment_attempt"]))
        assert client.v1.subscriptions.retrieve(sub_id).status == "past_due"

    advance(client, clock_id, ts(2027, 2, 16))

    assert seen == [(1, ts(2027, 2, 4)), (2, ts(2027, 2, 9)), (3, ts(2027, 2, 16))]
    invoice = _renewal(client, sub_id)
    assert (invoice["status"], invoice["attempt_count"], invoice["next_payment_attempt"]) == (
        "open", 4, None)
    sub = client.v1.subscriptions.retrieve(sub_id)
    assert (sub.status, sub.ended_at) == ("canceled", ts(2027, 2, 16))
    assert sub.cancellation_details.reason == "payment_failed"  # type: ignore[union-attr]
    last = events(client, sub_id)[-1]
    assert (last["type"], last["created"]) == ("customer.subscription.deleted", ts(2027, 2, 16))
    failed = [e for e in events(client) if e["type"] == "invoice.payment_failed"]
    assert [e["created"] for e in failed] == [ts(2027, 2, 1), ts(2027, 2, 4), ts(2027, 2, 9),
                                              ts(2027, 2, 16)]


def test_one_long_advance_runs_the_whole_schedule_in_order(client: stripe.StripeClient) -> None:
    clock_id, _, sub_id = _failing(client)

    advance(client, clock_id, ts(2027, 4, 1))

    assert client.v1.subscriptions.retrieve(sub_id).status == "canceled"
    assert [i["billing_reason"] for i in invoices(client, sub_id)] == [
        "subscription_create", "subscription_cycle"]
    about = [e["type"] for e in events(client, sub_id)]
    assert about[-2:] == ["customer.subscription.updated", "customer.subscription.deleted"]
    found = events(client)
    start = types(found).index("test_helpers.test_clock.advancing")
    moments = [e["created"] for e in found[start + 1:-1]]
    assert moments == sorted(moments) and moments[0] == ts(2027, 2, 1)
    assert moments[-1] == ts(2027, 2, 16)


def test_a_new_default_card_and_paying_the_invoice_recover_a_past_due_subscription(
    client: stripe.StripeClient,
) -> None:
    clock_id, cus, sub_id = _failing(client)
    advance(client, clock_id, ts(2027, 2, 2))
    bad = client.v1.subscriptions.retrieve(sub_id).default_payment_method
    good = attach(client, cus, "pm_card_mastercard")

    client.v1.subscriptions.update(sub_id, params={"default_payment_method": good})
    paid = client.v1.invoices.pay(str(_renewal(client, sub_id)["id"]))

    assert (paid.status, paid.attempt_count, paid.next_payment_attempt) == ("paid", 2, None)
    assert paid.status_transitions.paid_at == ts(2027, 2, 2)
    assert client.v1.subscriptions.retrieve(sub_id).status == "active"
    updates = [e for e in events(client, sub_id) if e["type"] == "customer.subscription.updated"]
    assert updates[-2]["data"]["previous_attributes"] == {"default_payment_method": bad}
    assert updates[-1]["data"]["previous_attributes"] == {"status": "past_due"}
    assert "invoice.paid" in types(events(client, paid.id))

    advance(client, clock_id, ts(2027, 3, 2))

    assert [i["status"] for i in invoices(client, sub_id)] == ["paid", "paid", "paid"]
    assert _renewal(client, sub_id)["attempt_count"] == 1


def test_a_manual_attempt_that_fails_again_keeps_the_retry_schedule(
    client: stripe.StripeClient,
) -> None:
    clock_id, _, sub_id = _failing(client)
    advance(client, clock_id, ts(2027, 2, 2))
    invoice_id = str(_renewal(client, sub_id)["id"])

    try:
        client.v1.invoices.pay(invoice_id)
    except stripe.CardError as declined:
        assert declined.code == "card_declined"
    else:
        raise AssertionError("the card should have declined")

    invoice = client.v1.invoices.retrieve(invoice_id)
    assert (invoice.attempt_count, invoice.next_payment_attempt) == (2, ts(2027, 2, 4))
    assert client.v1.subscriptions.retrieve(sub_id).status == "past_due"
