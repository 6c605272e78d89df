"""The StripeSubscription aggregate: each Stripe event once, any delivery order to the same
state, Stripe's ``created`` deciding what is newest, ``.deleted`` final."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eventsourcing.persistence import JSONTranscoder

from adapters.fast_json import Transcoder
from adapters.stores import Store
from adapters.stripe_billing_objects import read_invoice, read_subscription
from adapters.stripe_events import HANDLED, ROUTES
from domain.apps.ledger import Ledger
from domain.apps.processing import BatchProcessing
from domain.errors import SubscriptionNotFound
from domain.model.checkout_session import session_uuid
from domain.model.facts import StripeEvent
from domain.model.received_event import ReceivedEvent
from domain.model.stripe_subscription import StripeSubscription, subscription_uuid
from domain.model.subscription_facts import InvoiceFacts, SubscriptionFacts
from domain.model.subscription_state import contract_status, fold
from tests.support.billing import fixture, invoice_event, stored, subscription_event
from tests.unit.test_fast_json import with_transcodings

T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SUB = "sub_test_1"
CREATED, UPDATED, DELETED = (
    "customer.subscription.created", "customer.subscription.updated",
    "customer.subscription.deleted")
PAID, FAILED, ACTION = (
    "invoice.paid", "invoice.payment_failed", "invoice.payment_action_required")
Delivery = tuple[StripeEvent, Any]


def sub_event(kind: str, event_id: str, *, seconds: int = 0, status: str = "active",
              **fields: Any) -> Delivery:
    facts = SubscriptionFacts(**{
        "subscription": SUB, "customer": "cus_1", "status": status,
        "current_period_start": T0, "current_period_end": T0 + 30 * DAY, "price": "price_1",
        "amount": 1500, "currency": "usd", "interval": "month", "interval_count": 1,
        "started_at": T0, **fields})
    return (StripeEvent(event_id, kind, T0 + timedelta(seconds=seconds), False, SUB, "{}"),
            facts)


def invoice(kind: str, event_id: str, *, seconds: int = 0, invoice_id: str = "in_1",
            **fields: Any) -> Delivery:
    facts = InvoiceFacts(**{
        "invoice": invoice_id, "subscription": SUB, "customer": "cus_1",
        "status": "paid" if kind == PAID else "open", "amount_due": 1500,
        "amount_paid": 1500 if kind == PAID else 0, "currency": "usd",
        "attempt_count": 1, "hosted_invoice_url": f"https://invoice.example/{invoice_id}",
        "next_payment_attempt": T0 + 3 * DAY if kind == FAILED else None, **fields})
    return (StripeEvent(event_id, kind, T0 + timedelta(seconds=seconds), False, invoice_id,
                        "{}"), facts)


def record(subscription: StripeSubscription, delivery: Delivery) -> bool:
    event, facts = delivery
    return subscription.record_stripe_event(HANDLED[event.type].route.event, event, facts)


def replay(*deliveries: Delivery) -> StripeSubscription:
    subscription = StripeSubscription.blank(subscription_uuid(SUB))
    for delivery in deliveries:
        record(subscription, delivery)
    return subscription


def test_the_aggregate_id_is_derived_from_the_subscription_id() -> None:
    subscription = replay(sub_event(CREATED, "evt_1"))

    assert subscription.id == subscription_uuid(SUB) != subscription_uuid("sub_test_2")
    assert subscription.subscription_id == SUB
    assert StripeSubscription.id_for(sub_event(CREATED, "evt_1")[1]) == subscription.id


def test_the_same_stripe_event_twice_records_nothing_the_second_time() -> None:
    subscription = replay(sub_event(CREATED, "evt_1"), invoice(FAILED, "evt_2", seconds=5))

    again = [record(subscription, sub_event(CREATED, "evt_1")),
             record(subscription, invoice(FAILED, "evt_2", seconds=5))]

    assert again == [False, False]
    assert subscription.version == 2
    assert subscription.stripe_event_ids == ["evt_1", "evt_2"]


def test_an_older_update_delivered_late_is_recorded_and_changes_nothing() -> None:
    newer = sub_event(UPDATED, "evt_new", seconds=20, status="past_due",
                      current_period_end=T0 + 31 * DAY, price="price_2", amount=2500)
    older = sub_event(UPDATED, "evt_old", seconds=10, status="active", cancel_at_period_end=True)
    subscription = replay(sub_event(CREATED, "evt_1"), newer)
    before = subscription.state

    recorded = record(subscription, older)

    assert recorded and subscription.version == 3
    assert subscription.state == before
    assert (before.status, before.price, before.amount, before.cancel_at_period_end) == (
        "past_due", "price_2", 2500, False)


def test_created_and_updated_in_the_same_second_the_update_wins() -> None:
    subscription = replay(sub_event(UPDATED, "evt_a", status="active"),
                          sub_event(CREATED, "evt_z", status="incomplete"))

    assert subscription.state.status == "active"


def test_any_delivery_order_ends_in_the_same_state() -> None:
    deliveries = [sub_event(CREATED, "evt_1", status="incomplete"),
                  invoice(PAID, "evt_2", seconds=1, invoice_id="in_first"),
                  sub_event(UPDATED, "evt_3", seconds=1, status="active"),
                  invoice(FAILED, "evt_4", seconds=30 * 86400, invoice_id="in_renew"),
                  sub_event(UPDATED, "evt_5", seconds=30 * 86400, status="past_due",
                            current_period_start=T0 + 30 * DAY,
                            current_period_end=T0 + 60 * DAY)]
    states = {replay(*order).state for order in itertools.permutations(deliveries)}

    [state] = states
    assert (state.status, state.stripe_status) == ("past_due", "past_due")
    assert state.current_period_end == T0 + 60 * DAY
    assert state.last_failure is not None and state.last_failure.invoice == "in_renew"
    assert state.past_due_since == T0 + 30 * DAY


def test_deleted_is_final_whatever_arrives_after() -> None:
    deleted = sub_event(DELETED, "evt_del", seconds=100, status="canceled",
                        canceled_at=T0 + 100 * timedelta(seconds=1))
    later = [sub_event(UPDATED, "evt_upd", seconds=200, status="active"),
             invoice(PAID, "evt_paid", seconds=300), invoice(FAILED, "evt_fail", seconds=400)]

    for order in itertools.permutations([deleted, *later]):
        subscription = replay(sub_event(CREATED, "evt_1"), *order)
        state = subscription.state
        assert (state.status, state.deleted, state.stripe_status) == (
            "canceled", True, "canceled")
        assert state.canceled_at == T0 + timedelta(seconds=100)
        assert state.last_failure is None and state.past_due_since is None
        assert subscription.view().next_retry_at is None


def test_a_failed_renewal_makes_it_past_due_until_the_invoice_is_paid() -> None:
    failed = replay(sub_event(CREATED, "evt_1"),
                    invoice(FAILED, "evt_2", seconds=60, attempt_count=2))
    view = failed.view()

    assert (view.status, view.kind, view.customer) == ("past_due", "stripe", "cus_1")
    assert view.next_retry_at == T0 + 3 * DAY
    assert view.past_due_since == T0 + timedelta(seconds=60)
    assert view.recovery_url == "https://invoice.example/in_1"
    failure = failed.state.last_failure
    assert failure is not None
    assert (failure.invoice, failure.attempt_count, failure.amount_due) == ("in_1", 2, 1500)

    record(failed, invoice(PAID, "evt_3", seconds=120))

    paid = failed.view()
    assert (paid.status, paid.next_retry_at, paid.past_due_since, paid.recovery_url) == (
        "active", None, None, None)
    assert failed.state.last_paid_invoice == "in_1"


def test_a_failure_delivered_after_the_payment_that_settled_it_changes_nothing() -> None:
    subscription = replay(sub_event(CREATED, "evt_1"), invoice(PAID, "evt_3", seconds=120))

    record(subscription, invoice(FAILED, "evt_2", seconds=60))

    assert subscription.state.status == "active"
    assert subscription.state.last_failure is None
    assert subscription.version == 3


def test_a_paid_invoice_stays_paid_whatever_the_times_of_its_failures() -> None:
    subscription = replay(sub_event(CREATED, "evt_1"), invoice(PAID, "evt_2", seconds=60),
                          invoice(FAILED, "evt_3", seconds=90))  # same invoice, a later time

    assert subscription.state.status == "active"
    assert subscription.state.last_failure is None


def test_a_payment_clears_the_failures_before_it_not_those_after() -> None:
    subscription = replay(sub_event(CREATED, "evt_1"),
                          invoice(FAILED, "evt_2", seconds=60, invoice_id="in_old"),
                          invoice(PAID, "evt_3", seconds=90, invoice_id="in_other"))
    assert (subscription.state.status, subscription.state.last_failure) == ("active", None)

    record(subscription, invoice(FAILED, "evt_4", seconds=120, invoice_id="in_next"))

    failure = subscription.state.last_failure
    assert failure is not None and failure.invoice == "in_next"
    assert subscription.state.past_due_since == T0 + timedelta(seconds=120)


def test_stripe_saying_past_due_starts_the_clock_and_active_stops_it() -> None:
    subscription = replay(sub_event(CREATED, "evt_1"),
                          sub_event(UPDATED, "evt_2", seconds=50, status="past_due"),
                          invoice(FAILED, "evt_3", seconds=60))

    assert subscription.state.past_due_since == T0 + timedelta(seconds=50)

    record(subscription, sub_event(UPDATED, "evt_4", seconds=90, status="active"))

    assert (subscription.state.status, subscription.state.past_due_since) == ("active", None)
    assert subscription.state.last_failure is None


def test_a_payment_waiting_for_authentication_is_past_due_with_no_retry() -> None:
    subscription = replay(sub_event(CREATED, "evt_1"), invoice(ACTION, "evt_2", seconds=60))

    failure = subscription.state.last_failure
    assert subscription.state.status == "past_due"
    assert failure is not None and failure.action_required
    assert subscription.view().next_retry_at is None


def test_invoices_before_any_news_of_the_subscription_still_tell_its_status() -> None:
    failed = replay(invoice(FAILED, "evt_1", seconds=10))
    paid = replay(invoice(FAILED, "evt_1", seconds=10), invoice(PAID, "evt_2", seconds=20))

    assert (failed.state.status, failed.state.customer, failed.subscription_id) == (
        "past_due", "cus_1", SUB)
    assert paid.state.status == "active"


@pytest.mark.parametrize(("stripe_status", "status"), [
    ("active", "active"), ("trialing", "active"), ("past_due", "past_due"),
    ("unpaid", "unpaid"), ("incomplete", "unpaid"), ("paused", "unpaid"),
    ("canceled", "canceled"), ("incomplete_expired", "canceled"), ("something_new", "unpaid"),
])
def test_stripes_statuses_map_onto_the_contracts_four(stripe_status: str, status: str) -> None:
    subscription = replay(sub_event(CREATED, "evt_1", status=stripe_status))

    assert contract_status(stripe_status) == status
    assert subscription.view().status == status


def test_a_later_event_without_the_description_keeps_the_one_given_for_that_price() -> None:
    subscription = replay(sub_event(CREATED, "evt_1", description="Pro"),
                          sub_event(UPDATED, "evt_2", seconds=5),
                          sub_event(UPDATED, "evt_3", seconds=9, price="price_2"))

    assert subscription.state.description is None  # another price now
    assert replay(sub_event(CREATED, "evt_1", description="Pro"),
                  sub_event(UPDATED, "evt_2", seconds=5)).state.description == "Pro"


def test_each_event_carries_how_the_subscription_stood_after_it() -> None:
    deliveries = [sub_event(CREATED, "evt_1"), invoice(FAILED, "evt_2", seconds=60),
                  invoice(PAID, "evt_3", seconds=30, invoice_id="in_0")]  # older, late
    subscription = replay(*deliveries)

    standings = [event.standing for event in subscription.collect_events()]  # type: ignore[attr-defined]

    assert [s.status for s in standings] == ["active", "past_due", "past_due"]
    assert standings[-1] == fold(subscription.applied.values()).standing


def test_events_of_another_subscription_or_of_the_wrong_kind_are_refused() -> None:
    subscription = replay(sub_event(CREATED, "evt_1"))
    other_event, other = invoice(FAILED, "evt_2")

    with pytest.raises(ValueError, match="not sub_test_1"):
        subscription.record_stripe_event("InvoicePaymentFailed", other_event,
                                         replace(other, subscription="sub_other"))
    with pytest.raises(ValueError, match="no subscription"):
        subscription.record_stripe_event("InvoicePaid", other_event,
                                         replace(other, subscription=None))
    with pytest.raises(TypeError):
        subscription.record_stripe_event("Updated", other_event, other)
    assert subscription.version == 1


# Through the translators and the ledger (in memory) --------------------------------------

def ledger() -> Ledger:
    return Ledger(Store.from_url("memory://").env_for("Ledger"), routes=ROUTES)


def test_older_and_current_api_shapes_of_one_subscription_add_up() -> None:
    subscription = StripeSubscription.blank(subscription_uuid(SUB))
    bodies = [subscription_event(CREATED, SUB, created=1_764_547_195),
              invoice_event(FAILED, SUB, legacy=True, invoice="in_x", created=1_767_225_630),
              subscription_event(UPDATED, SUB, legacy=True, created=1_767_225_640),
              invoice_event(PAID, SUB, invoice="in_x", created=1_767_300_000)]
    for body in bodies:
        event = stored(body)
        route = HANDLED[event.type].route
        assert subscription.record_stripe_event(route.event, event, route.translate(event))

    state = subscription.state
    assert (state.status, state.stripe_status, state.description) == (
        "active", "past_due", "Pro monthly")
    assert state.current_period_end == datetime.fromtimestamp(1_767_225_600, tz=UTC)
    assert state.last_paid_invoice == "in_x" and state.last_failure is None


def test_an_invoice_of_no_subscription_is_ignored_and_recorded_nowhere() -> None:
    app = ledger()
    one_off = stored(fixture("invoice.paid.one_off"))

    outcome = app.reprocess(one_off, "alice", None)

    assert outcome == ("ignored", None)
    assert [type(e).__name__ for _, e in app.entries(0, 10)] == ["Reprocessed"]


def test_the_ledger_answers_a_subscription_its_versions_and_its_history() -> None:
    app = ledger()
    for body in (subscription_event(CREATED, SUB, created=1_764_547_195),
                 invoice_event(FAILED, SUB, created=1_767_225_630),
                 invoice_event(FAILED, SUB, created=1_767_225_630)):
        assert app.reprocess(stored(body), "alice", None)[0] == "applied"

    first = app.subscription(SUB, version=1)
    history = app.subscription_history(SUB)

    assert (app.subscription(SUB).state.status, first.state.status) == ("past_due", "active")
    assert [type(e).__name__ for e in history] == [
        "Created", "InvoicePaymentFailed", "InvoicePaymentFailed"]
    assert isinstance(history[0].facts, SubscriptionFacts)
    assert isinstance(history[1].facts, InvoiceFacts)
    for unknown in (lambda: app.subscription("sub_never"),
                    lambda: app.subscription(SUB, version=4),
                    lambda: app.subscription_history("sub_never")):
        with pytest.raises(SubscriptionNotFound):
            unknown()


def test_facts_and_standing_are_stored_and_read_back_exactly() -> None:
    subscription = replay(sub_event(CREATED, "evt_1", metadata=(("_type_", "x"), ("k", "v"))),
                          invoice(FAILED, "evt_2", seconds=60))
    events = subscription.collect_events()
    fast, standard = with_transcodings(Transcoder()), with_transcodings(JSONTranscoder())

    for event in events:
        data = {"facts": event.facts, "standing": event.standing}  # type: ignore[attr-defined]
        assert fast.decode(fast.encode(data)) == data
        assert standard.decode(fast.encode(data)) == data
        assert fast.decode(standard.encode(data)) == data


def test_the_translators_read_what_the_routes_name() -> None:
    assert HANDLED[CREATED].route.translate is read_subscription
    assert HANDLED[PAID].object == "invoice" and HANDLED[PAID].id_prefix == "in_"
    assert HANDLED[DELETED].object == "subscription" and HANDLED[DELETED].id_prefix == "sub_"
    assert read_invoice(stored(invoice_event(ACTION, SUB))).subscription == SUB


def test_the_ledger_reads_ahead_the_subscription_an_event_names_not_an_invoices() -> None:
    app = ledger()
    asked: list[Any] = []
    app.load_many = lambda ids: asked.extend(ids) or None  # type: ignore[method-assign]
    bodies = [subscription_event(UPDATED, SUB), invoice_event(PAID, "sub_test_2"),
              fixture("invoice.paid.one_off")]
    received = [ReceivedEvent.receive(stored(body)).collect_events()[0] for body in bodies]
    session = ReceivedEvent.receive(StripeEvent("evt_cs", "checkout.session.completed", T0,
                                                False, "cs_test_1", "{}"))
    other = ReceivedEvent.receive(StripeEvent("evt_pi", "payment_intent.succeeded", T0,
                                              False, "pi_1", "{}"))

    app.prefetch([*received, session.collect_events()[0], other.collect_events()[0]],
                 BatchProcessing())

    assert sorted(asked, key=str) == sorted([subscription_uuid(SUB), session_uuid("cs_test_1")],
                                            key=str)
