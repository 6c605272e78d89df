"""The whole pipeline as composed by ``api.system.build``, on the in-memory store, with
hand-written Stripe, fulfiller and notifier: parking, outages, exactly-once effects."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.settings import Settings
from api.system import Seams, Services, build
from domain.model.facts import (
    ASYNC_PAYMENT_FAILED,
    COMPLETED,
    CheckoutSnapshot,
    LineItem,
    SessionFacts,
    StripeEvent,
)
from domain.ports import NotifierUnavailable, StripeRefused, StripeUnavailable

SETTINGS = {"DATABASE_URL": "memory://", "STRIPE_API_KEY": "sk_test_unit",
            "STRIPE_WEBHOOK_SECRET": "whsec_unit"}


class FakeStripe:
    """Knows every session as paid, except those it is told to refuse; can be down."""

    def __init__(self) -> None:
        self.refuse: set[str] = set()
        self.down = False

    def retrieve_checkout(self, session_id: str) -> CheckoutSnapshot:
        if self.down:
            raise StripeUnavailable("503 from Stripe")
        if session_id in self.refuse:
            raise StripeRefused("InvalidRequestError: parameter_unknown")
        facts = SessionFacts(session_id=session_id, mode="payment", status="complete",
                             payment_status="paid", amount_total=500, currency="usd")
        return CheckoutSnapshot(facts, (LineItem("price_1", 1, "Mug", 500, "usd"),))


class CountingFulfiller:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, session_id: str, line_items: Sequence[LineItem],
                 idempotency_key: str) -> list[str]:
        with self._lock:
            self.calls.append(session_id)
        return ["1 x Mug"]


class RecordingNotifier:
    def __init__(self) -> None:
        self.sent: list[str | None] = []
        self.down_after: int | None = None  # down once this many were sent

    def payment_failed(self, facts: SessionFacts) -> None:
        if self.down_after is not None and len(self.sent) >= self.down_after:
            raise NotifierUnavailable("SMTP connection refused")
        self.sent.append(facts.customer_email)


@pytest.fixture
def stripe() -> FakeStripe:
    return FakeStripe()


@pytest.fixture
def fulfiller() -> CountingFulfiller:
    return CountingFulfiller()


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def services(stripe: FakeStripe, fulfiller: CountingFulfiller,
             notifier: RecordingNotifier) -> Iterator[Services]:
    built = build(Settings.from_env(SETTINGS),
                  seams=Seams(stripe=stripe, fulfiller=fulfiller, notifier=notifier,
                              retry_delays=()))
    yield built
    built.stop()


def event(session_id: str, *, kind: str = COMPLETED, event_id: str | None = None,
          **fields: object) -> StripeEvent:
    obj = {"id": session_id, "object": "checkout.session", "mode": "payment",
           "status": "complete", "payment_status": "paid", "amount_total": 500,
           "currency": "usd", "customer_email": "ada@example.com", **fields}
    event_id = event_id or f"evt_{kind[17:]}_{session_id}"
    body = {"id": event_id, "type": kind, "created": 1_790_000_000, "data": {"object": obj}}
    return StripeEvent(id=event_id, type=kind, created=datetime.now(UTC), livemode=False,
                       object_id=session_id, payload=json.dumps(body))


def test_metadata_shaped_like_a_stored_type_is_applied_and_given_back_as_sent(
        services: Services) -> None:
    hostile = {"_type_": "x", "_data_": "y"}
    services.inbox.record([event("cs_1", metadata=hostile), event("cs_2")])

    services.settle()

    assert dict(services.ledger.session("cs_1").state.metadata) == hostile
    assert services.ledger.session("cs_2").fulfillment_status == "fulfilled"
    assert services.support.failures() == []


def test_an_event_that_cannot_be_applied_is_parked_and_the_next_ones_go_on(
        services: Services, fulfiller: CountingFulfiller) -> None:
    services.inbox.record([event("cs_1"), event("cs_bad", amount_total="lots"), event("cs_3")])

    services.settle()

    assert sorted(fulfiller.calls) == ["cs_1", "cs_3"]
    [case] = services.support.failures()
    assert (case.kind, case.id, case.event_type) == (
        "event_unprocessable", "evt_completed_cs_bad", COMPLETED)
    assert "amount_total" in case.last_error
    assert services.ledger_follower.lag() == 0
    assert services.ledger.find("cs_bad") is None


def test_a_parked_event_is_applied_by_reprocessing_once_its_cause_is_fixed(
        services: Services, fulfiller: CountingFulfiller) -> None:
    broken = event("cs_1", customer={"name": "no id"})
    services.inbox.record([broken])
    services.settle()
    assert [c.kind for c in services.support.failures()] == ["event_unprocessable"]
    fixed = event("cs_1")  # the same stored event, as a fixed translator would read it

    first = services.ledger.reprocess(fixed, actor="alice", reason="translator fixed")
    again = services.ledger.reprocess(fixed, actor="alice", reason="once more")
    services.settle()

    assert (first, again) == (("applied", None), ("already_applied", None))
    assert services.support.failures() == []
    assert fulfiller.calls == ["cs_1"]
    parked = services.ledger.parked(broken.id)
    assert parked is not None and not parked.parked


def test_reprocessing_that_fails_again_keeps_the_case_open_and_counts_it(
        services: Services) -> None:
    broken = event("cs_1", status=7)
    services.inbox.record([broken])
    services.settle()

    outcome, error = services.ledger.reprocess(broken, actor="bob", reason=None)
    services.settle()

    assert outcome == "failed" and error is not None and "status" in error
    [case] = services.support.failures()
    assert case.attempts == 2


def test_a_stripe_outage_keeps_the_position_and_nothing_is_failed_or_fulfilled_twice(
        services: Services, stripe: FakeStripe, fulfiller: CountingFulfiller) -> None:
    ids = [f"cs_{i}" for i in range(4)]
    services.inbox.record([event(i) for i in ids])
    services.ledger_follower.catch_up()
    to_fulfillment = services.follower("Ledger", "Fulfillment")
    stripe.down = True

    with pytest.raises(StripeUnavailable):
        to_fulfillment.catch_up()

    assert to_fulfillment.position() == 0
    assert fulfiller.calls == []
    assert services.fulfillment.fulfillment(ids[0]).attempts == 0
    stripe.down = False
    services.settle()
    assert sorted(fulfiller.calls) == ids
    assert [type(e).__name__ for e in services.ledger.history(ids[0])] == [
        "Completed", "Fulfilled"]


def test_a_session_stripe_refuses_is_recorded_and_the_others_are_fulfilled_once(
        services: Services, stripe: FakeStripe, fulfiller: CountingFulfiller) -> None:
    ids = [f"cs_{i}" for i in range(6)]
    stripe.refuse.add(ids[2])
    services.inbox.record([event(i) for i in ids])

    services.settle()
    services.settle()

    assert sorted(fulfiller.calls) == sorted(set(ids) - {ids[2]})
    refused = services.ledger.session(ids[2])
    assert refused.fulfillment_status == "failed"
    assert refused.failure is not None and "parameter_unknown" in refused.failure.error
    [case] = services.support.failures()
    assert (case.kind, case.id, case.amount, case.customer) == (
        "fulfillment_failed", ids[2], 500, "ada@example.com")


def test_racing_triggers_record_one_fulfilled(services: Services) -> None:
    services.inbox.record([event("cs_1")])
    services.ledger_follower.catch_up()
    outcomes = []

    def page() -> None:
        outcomes.append(services.fulfillment.fulfill_checkout("cs_1", "success_page"))

    threads = [threading.Thread(target=page) for _ in range(4)]
    for thread in threads:
        thread.start()
    services.settle()
    for thread in threads:
        thread.join()
    services.settle()

    assert sum(o.newly_fulfilled for o in outcomes) <= 1
    history = [type(e).__name__ for e in services.ledger.history("cs_1")]
    assert history.count("Fulfilled") == 1


def test_a_customer_is_told_of_a_failed_payment_once_even_across_a_mail_outage(
        services: Services, notifier: RecordingNotifier) -> None:
    unpaid = {"payment_status": "unpaid"}
    services.inbox.record([event("cs_1", **unpaid), event("cs_2", **unpaid)])
    services.inbox.record([event(i, kind=ASYNC_PAYMENT_FAILED, **unpaid) for i in ("cs_1", "cs_2")])
    services.ledger_follower.catch_up()
    notifier.down_after = 1
    to_notices = services.follower("Ledger", "Notices")

    with pytest.raises(NotifierUnavailable):
        to_notices.catch_up()
    notifier.down_after = None
    services.settle()
    services.settle()

    assert notifier.sent == ["ada@example.com", "ada@example.com"]
    assert [type(e).__name__ for e in services.ledger.history("cs_1")] == [
        "Completed", "AsyncPaymentFailed", "CustomerNotified"]


def test_the_email_typed_on_the_checkout_page_reaches_the_customer(
        services: Services, notifier: RecordingNotifier) -> None:
    typed = {"customer_email": None, "customer_details": {"email": "typed@example.com"},
             "payment_status": "unpaid"}
    services.inbox.record([event("cs_1", kind=ASYNC_PAYMENT_FAILED, **typed)])

    services.settle()

    assert notifier.sent == ["typed@example.com"]
    assert services.ledger.session("cs_1").state.customer_email == "typed@example.com"


def test_an_event_stored_before_the_reshaping_is_still_read_and_applied(
        services: Services) -> None:
    from eventsourcing.persistence import StoredEvent

    from domain.model.received_event import received_event_uuid

    body = event("cs_old", metadata={"_type_": "x", "_data_": "y"})
    facts = {"_type_": "session_facts", "_data_": {
        "session_id": "cs_old", "mode": "payment", "status": "complete",
        "payment_status": "paid", "metadata": {"_type_": "x", "_data_": "y"}}}
    state = {"originator_topic": "domain.received_event:ReceivedEvent",
             "timestamp": {"_type_": "datetime_iso", "_data_": "2026-11-20T10:00:00+00:00"},
             "stripe_event_id": body.id, "type": body.type,
             "stripe_created": {"_type_": "datetime_iso", "_data_": "2026-11-20T10:00:00+00:00"},
             "livemode": False, "object_id": "cs_old", "payload": body.payload, "session": facts}
    services.inbox.recorder.insert_events([StoredEvent(
        originator_id=received_event_uuid(body.id), originator_version=1,
        topic="domain.received_event:ReceivedEvent.Received",
        state=json.dumps(state).encode())])

    services.settle()

    assert services.inbox.get(body.id) == replace(body, created=datetime(2026, 11, 20, 10, tzinfo=UTC))
    assert dict(services.ledger.session("cs_old").state.metadata) == {"_type_": "x", "_data_": "y"}


def test_one_notice_when_a_batch_calls_for_it_twice(
        tmp_path: Path, stripe: FakeStripe, fulfiller: CountingFulfiller,
        notifier: RecordingNotifier) -> None:
    """On SQLite, which reads a batch's notices ahead in one query."""
    settings = Settings.from_env({**SETTINGS, "DATABASE_URL": f"sqlite:///{tmp_path}/n.sqlite3"})
    services = build(settings, seams=Seams(stripe=stripe, fulfiller=fulfiller,
                                           notifier=notifier, retry_delays=()))
    unpaid = {"payment_status": "unpaid"}
    services.inbox.record([event("cs_1", **unpaid)])
    failure = next(e for e in _failures(services, "cs_1", unpaid))

    try:
        services.notices.process_batch("Ledger", [(1_000_001, failure), (1_000_002, failure)])
    finally:
        services.stop()

    assert notifier.sent == ["ada@example.com"]


def _failures(services: Services, session_id: str, fields: dict[str, str]) -> Iterator[object]:
    """The ledger's AsyncPaymentFailed for the session, after the webhook that says so."""
    services.inbox.record([event(session_id, kind=ASYNC_PAYMENT_FAILED, **fields)])
    services.ledger_follower.catch_up()
    return (e for e in services.ledger.history(session_id)
            if type(e).__name__ == "AsyncPaymentFailed")
