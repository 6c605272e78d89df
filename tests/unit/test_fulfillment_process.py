"""The fulfillment follower's batches, on the in-memory store with a hand-written Stripe."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from adapters.runner import Follower
from domain.facts import COMPLETED, SessionFacts, StripeEvent
from domain.fulfillment import FulfillmentService
from domain.fulfillment_process import FulfillmentProcess
from domain.inbox import Inbox
from domain.ledger import Ledger
from domain.ports import CheckoutSnapshot, LineItem, StripeRefused, StripeUnavailable

MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def paid(session_id: str) -> SessionFacts:
    return SessionFacts(session_id=session_id, mode="payment", status="complete",
                        payment_status="paid", amount_total=500, currency="usd")


class FakeStripe:
    """Knows every session as paid, except those it is told to refuse or be down for."""

    def __init__(self) -> None:
        self.refuse: set[str] = set()
        self.down = False

    def retrieve_checkout(self, session_id: str) -> CheckoutSnapshot:
        if self.down:
            raise StripeUnavailable("connection refused")
        if session_id in self.refuse:
            raise StripeRefused("InvalidRequestError: parameter_unknown")
        return CheckoutSnapshot(paid(session_id), (LineItem("price_1", 1, "Mug", 500, "usd"),))


class CountingFulfiller:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, session_id: str, line_items: Sequence[LineItem],
                 idempotency_key: str) -> list[str]:
        self.calls.append(session_id)
        return ["granted"]


class Notifier:
    def payment_failed(self, facts: SessionFacts) -> None:
        pass


@pytest.fixture
def pipeline() -> tuple[Inbox, Ledger, Follower, Follower, FakeStripe, CountingFulfiller]:
    inbox, ledger = Inbox(env=MEMORY), Ledger(env=MEMORY)
    stripe, fulfiller = FakeStripe(), CountingFulfiller()
    process = FulfillmentProcess(env=MEMORY)
    process.service = FulfillmentService(ledger, stripe, fulfiller, Notifier(), retry_delays=())
    return (inbox, ledger, Follower(inbox, ledger), Follower(ledger, process), stripe,
            fulfiller)


def completed(session_id: str) -> StripeEvent:
    return StripeEvent(id=f"evt_{session_id}", type=COMPLETED, created=datetime.now(UTC),
                       livemode=False, object_id=session_id, payload="{}", session=paid(session_id))


def test_a_session_stripe_refuses_is_recorded_and_the_others_are_fulfilled_once(pipeline) -> None:  # type: ignore[no-untyped-def]
    inbox, ledger, to_ledger, to_fulfillment, stripe, fulfiller = pipeline
    ids = [f"cs_test_{i}" for i in range(6)]
    stripe.refuse.add(ids[2])
    inbox.record([completed(i) for i in ids])
    to_ledger.catch_up()

    to_fulfillment.catch_up()
    to_fulfillment.catch_up()

    assert sorted(fulfiller.calls) == sorted(set(ids) - {ids[2]})
    assert ledger.session(ids[2]).fulfillment_status == "failed"
    assert "parameter_unknown" in ledger.session(ids[2]).fulfillment["last_error"]
    assert all(ledger.session(i).fulfillment_status == "fulfilled" for i in ids if i != ids[2])
    assert to_fulfillment.lag() == 0


def test_an_outage_keeps_the_batch_for_later_and_nothing_is_fulfilled_twice(pipeline) -> None:  # type: ignore[no-untyped-def]
    inbox, ledger, to_ledger, to_fulfillment, stripe, fulfiller = pipeline
    ids = [f"cs_test_{i}" for i in range(4)]
    inbox.record([completed(i) for i in ids])
    to_ledger.catch_up()
    stripe.down = True

    with pytest.raises(StripeUnavailable):
        to_fulfillment.catch_up()
    stripe.down = False
    to_fulfillment.catch_up()

    assert sorted(fulfiller.calls) == sorted(ids)
    assert [e.__class__.__name__ for e in ledger.history(ids[0])] == [
        "Created", "Completed", "Fulfilled"]
