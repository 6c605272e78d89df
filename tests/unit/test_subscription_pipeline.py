"""Stripe-managed subscriptions through the whole pipeline on the in-memory store: the
ledger applies the events, support opens and closes ``renewal_failed`` in any delivery
order, one-off invoices are acknowledged and applied to nothing, odd events are parked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from api.settings import Settings
from api.system import Seams, Services, build
from domain.apps.support import FAILURE_KINDS, RENEWAL_FAILED
from domain.model.failure_board import Case
from tests.support.billing import (
    CUSTOMER,
    PERIOD_END,
    fixture,
    invoice_event,
    new_subscription_id,
    stored,
    subscription_event,
)

SETTINGS = {"DATABASE_URL": "memory://", "STRIPE_API_KEY": "sk_test_unit",
            "STRIPE_WEBHOOK_SECRET": "whsec_unit"}
CREATED, DELETED = "customer.subscription.created", "customer.subscription.deleted"
PAID, FAILED, ACTION = (
    "invoice.paid", "invoice.payment_failed", "invoice.payment_action_required")


@pytest.fixture
def services() -> Iterator[Services]:
    built = build(Settings.from_env(SETTINGS), seams=Seams(retry_delays=()))
    yield built
    built.stop()


def deliver(services: Services, *bodies: dict[str, Any]) -> None:
    services.inbox.record([stored(body) for body in bodies])
    services.settle()


def renewal_cases(services: Services) -> list[Case]:
    return [case for case in services.support.failures() if case.kind == RENEWAL_FAILED]


def test_renewal_failed_is_a_support_kind() -> None:
    assert RENEWAL_FAILED in FAILURE_KINDS


def test_a_failed_renewal_opens_a_case_each_retry_updates_it_and_the_payment_closes_it(
        services: Services) -> None:
    sub, invoice = new_subscription_id(), "in_test_renewal"
    deliver(services, subscription_event(CREATED, sub, created=PERIOD_END - 30 * 86400),
            invoice_event(FAILED, sub, invoice=invoice, created=PERIOD_END + 60,
                          attempt_count=1))

    [opened] = renewal_cases(services)
    deliver(services, invoice_event(FAILED, sub, invoice=invoice, created=PERIOD_END + 86400,
                                    attempt_count=2, legacy=True))
    [retried] = renewal_cases(services)
    deliver(services, invoice_event(PAID, sub, invoice=invoice, created=PERIOD_END + 2 * 86400))

    assert (opened.id, opened.customer, opened.amount, opened.currency, opened.attempts) == (
        sub, CUSTOMER, 3000, "usd", 1)
    assert opened.last_error == f"invoice {invoice} payment failed (attempt 1)"
    assert (retried.attempts, retried.since) == (2, opened.since)
    assert retried.last_error == f"invoice {invoice} payment failed (attempt 2)"
    assert renewal_cases(services) == []
    assert services.ledger.subscription(sub).view().status == "active"


def test_a_canceled_subscription_closes_its_case(services: Services) -> None:
    sub = new_subscription_id()
    deliver(services, subscription_event(CREATED, sub, created=PERIOD_END - 30 * 86400),
            invoice_event(FAILED, sub, created=PERIOD_END + 60))
    assert len(renewal_cases(services)) == 1

    deliver(services, subscription_event(DELETED, sub, created=PERIOD_END + 20 * 86400))

    assert renewal_cases(services) == []
    assert services.ledger.subscription(sub).view().status == "canceled"


def test_a_failure_delivered_after_its_payment_opens_nothing(services: Services) -> None:
    sub, invoice = new_subscription_id(), "in_test_late"
    deliver(services, subscription_event(CREATED, sub, created=PERIOD_END - 30 * 86400),
            invoice_event(PAID, sub, invoice=invoice, created=PERIOD_END + 86400))

    deliver(services, invoice_event(FAILED, sub, invoice=invoice, created=PERIOD_END + 60))

    assert renewal_cases(services) == []
    assert [type(e).__name__ for e in services.ledger.subscription_history(sub)] == [
        "Created", "InvoicePaid", "InvoicePaymentFailed"]


def test_a_failure_after_the_subscription_ended_opens_nothing(services: Services) -> None:
    sub = new_subscription_id()
    deliver(services, subscription_event(DELETED, sub, created=PERIOD_END),
            invoice_event(FAILED, sub, created=PERIOD_END + 60))

    assert renewal_cases(services) == []


def test_a_payment_waiting_for_authentication_is_no_case(services: Services) -> None:
    sub = new_subscription_id()
    deliver(services, subscription_event(CREATED, sub, created=PERIOD_END - 30 * 86400),
            invoice_event(ACTION, sub, created=PERIOD_END + 60))

    assert renewal_cases(services) == []
    assert services.ledger.subscription(sub).view().status == "past_due"


def test_the_same_failure_delivered_twice_is_recorded_and_counted_once(
        services: Services) -> None:
    sub = new_subscription_id()
    failure = invoice_event(FAILED, sub, created=PERIOD_END + 60)
    deliver(services, subscription_event(CREATED, sub, created=PERIOD_END - 30 * 86400),
            failure)

    services.ledger.reprocess(stored(failure), "alice", None)
    services.settle()

    assert len(services.ledger.subscription_history(sub)) == 2
    [case] = renewal_cases(services)
    assert case.attempts == 1


def test_a_one_off_invoice_is_acknowledged_and_applied_to_nothing(services: Services) -> None:
    one_off = fixture("invoice.paid.one_off")
    sub = new_subscription_id()

    deliver(services, one_off, subscription_event(CREATED, sub))

    assert services.ledger_follower.lag() == 0
    assert services.support.failures() == []
    assert services.ledger.parked(one_off["id"]) is None
    assert services.ledger.subscription(sub).version == 1


def test_odd_billing_events_are_parked_and_the_next_ones_go_on(services: Services) -> None:
    sub = new_subscription_id()
    odd_invoice = invoice_event(FAILED, sub, amount_due="30.00")
    odd_subscription = subscription_event(CREATED, sub, status=None)

    deliver(services, odd_invoice, odd_subscription,
            invoice_event(PAID, sub, created=PERIOD_END))

    parked = {case.id: case for case in services.support.failures()
              if case.kind == "event_unprocessable"}
    assert set(parked) == {odd_invoice["id"], odd_subscription["id"]}
    assert "amount_due" in parked[odd_invoice["id"]].last_error
    assert parked[odd_invoice["id"]].event_type == FAILED
    assert services.ledger.subscription(sub).version == 1
    assert services.ledger_follower.lag() == 0
