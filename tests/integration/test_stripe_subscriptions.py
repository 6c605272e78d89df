"""Stripe-managed subscriptions through ``POST /webhook`` on SQLite and PostgreSQL: the
ledger's state and history of each subscription, support's ``renewal_failed`` cases, odd
events parked (never stuck), and the events read back by another follower of the ledger."""

from __future__ import annotations

from typing import Any

from eventsourcing.application import ProcessingEvent
from starlette.testclient import TestClient

from adapters.runner import Follower
from adapters.stores import Store
from domain.apps.processing import BatchProcessor
from domain.model.stripe_subscription import StripeSubscription
from domain.model.subscription_facts import InvoiceFacts, SubscriptionFacts
from domain.model.subscription_state import Standing
from tests.conftest import STAFF
from tests.support.billing import (
    CUSTOMER,
    PERIOD_END,
    fixture,
    invoice_event,
    new_invoice_id,
    new_subscription_id,
    subscription_event,
)
from tests.support.webhooks import signed

CREATED, UPDATED, DELETED = (
    "customer.subscription.created", "customer.subscription.updated",
    "customer.subscription.deleted")
PAID, FAILED = "invoice.paid", "invoice.payment_failed"
MONTH_AGO = PERIOD_END - 30 * 86400


def post(client: TestClient, body: dict[str, Any] | bytes) -> dict[str, Any]:
    payload, headers = signed(body)
    response = client.post("/webhook", content=payload, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def settle(client: TestClient) -> None:
    services = client.app.state.services  # type: ignore[attr-defined]
    services.ledger_follower.catch_up()
    services.follower("Ledger", "Support").catch_up()


def ledger(client: TestClient) -> Any:
    return client.app.state.services.ledger  # type: ignore[attr-defined]


def failures(client: TestClient, kind: str, *ids: str) -> list[dict[str, Any]]:
    answer = client.get("/support/failures", headers=STAFF)
    assert answer.status_code == 200, answer.text
    return [f for f in answer.json()["failures"] if f["kind"] == kind and f["id"] in ids]


def test_a_subscriptions_life_is_applied_once_in_stripes_order_and_support_follows_it(
    client: TestClient,
) -> None:
    sub, invoice = new_subscription_id(), new_invoice_id()
    failed = invoice_event(FAILED, sub, invoice=invoice, created=PERIOD_END + 60, legacy=True)
    late_update = subscription_event(UPDATED, sub, created=MONTH_AGO + 10, status="active",
                                     cancel_at_period_end=True)
    post(client, subscription_event(CREATED, sub, created=MONTH_AGO))
    post(client, failed)
    post(client, subscription_event(UPDATED, sub, legacy=True, created=PERIOD_END + 61))
    duplicate = post(client, failed)
    settle(client)
    past_due = ledger(client).subscription(sub)
    [case] = failures(client, "renewal_failed", sub)

    post(client, late_update)  # older than what is known: recorded, changes nothing
    post(client, invoice_event(PAID, sub, invoice=invoice, created=PERIOD_END + 86400))
    settle(client)

    assert duplicate == {"received": True, "duplicate": True}
    view = past_due.view()
    assert (view.status, view.customer, view.kind, view.price, view.amount) == (
        "past_due", CUSTOMER, "stripe", "price_1SZc1rB7WZ01zgkW9dKueIc5", 1500)
    assert view.next_retry_at is not None and view.past_due_since is not None
    assert (case["customer"], case["amount"], case["currency"], case["attempts"]) == (
        CUSTOMER, 3000, "usd", 1)
    assert case["last_error"] == f"invoice {invoice} payment failed (attempt 1)"
    now = ledger(client).subscription(sub)
    assert (now.view().status, now.view().next_retry_at, now.state.cancel_at_period_end) == (
        "active", None, False)
    assert [type(e).__name__ for e in ledger(client).subscription_history(sub)] == [
        "Created", "InvoicePaymentFailed", "Updated", "Updated", "InvoicePaid"]
    assert ledger(client).subscription(sub, version=2).view().status == "past_due"
    assert failures(client, "renewal_failed", sub) == []


def test_deleted_is_final_and_closes_the_case(client: TestClient) -> None:
    sub = new_subscription_id()
    for body in (subscription_event(CREATED, sub, created=MONTH_AGO),
                 invoice_event(FAILED, sub, created=PERIOD_END + 60),
                 subscription_event(UPDATED, sub, created=PERIOD_END + 9 * 86400,
                                    status="active"),
                 subscription_event(DELETED, sub, created=PERIOD_END + 8 * 86400)):
        post(client, body)
    settle(client)

    view = ledger(client).subscription(sub).view()
    assert (view.status, view.canceled_at is not None, view.next_retry_at) == (
        "canceled", True, None)
    assert failures(client, "renewal_failed", sub) == []


def test_odd_billing_events_are_parked_listed_and_the_next_ones_go_on(
    client: TestClient,
) -> None:
    sub = new_subscription_id()
    odd_invoice = invoice_event(FAILED, sub, amount_due="30.00")
    odd_invoice["data"]["object"]["parent"] = "sub_as_a_string"
    odd_subscription = subscription_event(CREATED, sub)
    odd_subscription["data"]["object"]["items"]["data"][0]["current_period_end"] = "soon"
    after = invoice_event(PAID, sub, created=PERIOD_END)

    for body in (odd_invoice, odd_subscription, after):
        assert post(client, body) == {"received": True, "duplicate": False}
    settle(client)

    cases = {f["id"]: f for f in failures(client, "event_unprocessable", odd_invoice["id"],
                                          odd_subscription["id"])}
    assert (cases[odd_invoice["id"]]["type"], cases[odd_subscription["id"]]["type"]) == (
        FAILED, CREATED)
    assert "current_period_end" in cases[odd_subscription["id"]]["last_error"]
    assert [type(e).__name__ for e in ledger(client).subscription_history(sub)] == [
        "InvoicePaid"]
    assert client.app.state.services.ledger_follower.lag() == 0  # type: ignore[attr-defined]
    metrics = client.get("/metrics").text
    assert f'checkout_ledger_events_parked_total{{type="{FAILED}"}} 1.0' in metrics
    assert f'checkout_ledger_events_parked_total{{type="{CREATED}"}} 1.0' in metrics


def test_a_parked_subscription_event_is_applied_by_reprocessing_once_fixed(
    client: TestClient,
) -> None:
    sub = new_subscription_id()
    odd = subscription_event(CREATED, sub, cancel_at_period_end="no")
    post(client, odd)
    settle(client)

    answer = client.post(f"/support/events/{odd['id']}/reprocess", headers=STAFF)
    settle(client)

    assert answer.json()["status"] == "failed"
    assert failures(client, "event_unprocessable", odd["id"])[0]["attempts"] == 2


def test_events_about_the_wrong_object_are_refused_and_not_recorded(client: TestClient) -> None:
    wrong_object = invoice_event(PAID, new_subscription_id())
    wrong_object["data"]["object"]["object"] = "subscription"
    wrong_id = subscription_event(CREATED, "si_not_a_subscription")

    for body in (wrong_object, wrong_id):
        payload, headers = signed(body)
        response = client.post("/webhook", content=payload, headers=headers)
        assert response.status_code == 400
        assert "error" in response.json()


def test_an_invoice_of_no_subscription_is_acknowledged_and_applied_to_nothing(
    client: TestClient,
) -> None:
    one_off = fixture("invoice.paid.one_off")
    one_off["id"] = f"evt_oneoff_{new_invoice_id()}"

    assert post(client, one_off) == {"received": True, "duplicate": False}
    settle(client)

    assert client.app.state.services.ledger_follower.lag() == 0  # type: ignore[attr-defined]
    assert failures(client, "event_unprocessable", one_off["id"]) == []
    assert ledger(client).parked(one_off["id"]) is None


class Watcher(BatchProcessor):
    """Another application following the ledger's subscriptions (as entitlements will)."""

    name = "Watcher"
    interests = (StripeSubscription.Reported,)

    def __init__(self) -> None:
        super().__init__(Store.from_url("memory://").env_for(self.name))
        self.seen: list[Any] = []

    def policy(self, upstream_event: Any, processing: ProcessingEvent) -> None:
        self.seen.append(upstream_event)


def test_another_follower_reads_the_subscription_events_back_with_their_facts(
    client: TestClient,
) -> None:
    sub = new_subscription_id()
    metadata = {"_type_": "subscription_facts", "_data_": "{}", "plan": "pro"}
    for body in (subscription_event(CREATED, sub, created=MONTH_AGO, metadata=metadata),
                 invoice_event(FAILED, sub, created=PERIOD_END + 60),
                 invoice_event(PAID, sub, created=PERIOD_END + 120)):
        post(client, body)
    settle(client)
    watcher = Watcher()

    Follower(ledger(client), watcher).catch_up()

    mine = [e for e in watcher.seen if e.subscription_id == sub]
    assert [type(e).__name__ for e in mine] == ["Created", "InvoicePaymentFailed", "InvoicePaid"]
    assert isinstance(mine[0].facts, SubscriptionFacts)
    assert dict(mine[0].facts.metadata) == metadata
    assert all(isinstance(e.facts, InvoiceFacts) for e in mine[1:])
    assert all(isinstance(e.standing, Standing) for e in mine)
    assert [e.standing.status for e in mine] == ["active", "past_due", "active"]
    assert mine[1].standing.failure.attempt_count == 1
