from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.stripe_events import HANDLED
from domain.model.checkout_session import CheckoutSession, session_uuid
from domain.model.facts import (
    ASYNC_PAYMENT_FAILED,
    ASYNC_PAYMENT_SUCCEEDED,
    COMPLETED,
    EXPIRED,
    SessionFacts,
    StripeEvent,
)

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Delivery:
    """A Stripe event with the facts its object translates to."""

    event: StripeEvent
    facts: SessionFacts

    @property
    def name(self) -> str:
        return HANDLED[self.event.type].route.event


def stripe_event(kind: str, event_id: str, *, session_id: str = "cs_test_1", seconds: int = 0,
                 **facts: object) -> Delivery:
    defaults: dict[str, object] = {
        COMPLETED: {"status": "complete", "payment_status": "unpaid"},
        ASYNC_PAYMENT_SUCCEEDED: {"status": "complete", "payment_status": "paid"},
        ASYNC_PAYMENT_FAILED: {"status": "complete", "payment_status": "unpaid"},
        EXPIRED: {"status": "expired", "payment_status": "unpaid"},
    }[kind]
    fields = {"mode": "payment", "amount_total": 2500, "currency": "usd",
              "customer": "cus_1", **defaults, **facts}
    return Delivery(
        StripeEvent(id=event_id, type=kind, created=T0 + timedelta(seconds=seconds),
                    livemode=False, object_id=session_id, payload="{}"),
        SessionFacts(session_id=session_id, **fields),  # type: ignore[arg-type]
    )


def record(session: CheckoutSession, delivery: Delivery) -> bool:
    return session.record_stripe_event(delivery.name, delivery.event, delivery.facts)


def replay(*deliveries: Delivery) -> CheckoutSession:
    session = CheckoutSession.open("cs_test_1")
    for delivery in deliveries:
        record(session, delivery)
    return session


def test_aggregate_id_is_derived_from_the_checkout_session_id() -> None:
    session = CheckoutSession.open("cs_test_1")

    assert session.id == session_uuid("cs_test_1")
    assert session.id != session_uuid("cs_test_2")


def test_completed_paid_event_makes_the_session_paid_and_pending_fulfillment() -> None:
    session = replay(stripe_event(COMPLETED, "evt_1", payment_status="paid"))

    assert (session.state.status, session.state.payment_status) == ("complete", "paid")
    assert session.is_paid
    assert session.fulfillment_status == "pending"
    assert session.state.amount_total == 2500


def test_the_same_stripe_event_twice_records_nothing_new() -> None:
    session = replay(stripe_event(COMPLETED, "evt_1"))
    version = session.version

    recorded = record(session, stripe_event(COMPLETED, "evt_1"))

    assert recorded is False
    assert session.version == version
    assert [type(e).__name__ for e in session.collect_events()] == ["Completed"]


def test_async_success_before_completed_still_ends_paid() -> None:
    session = replay(
        stripe_event(ASYNC_PAYMENT_SUCCEEDED, "evt_2", seconds=60),
        stripe_event(COMPLETED, "evt_1"),
    )

    assert (session.state.status, session.state.payment_status) == ("complete", "paid")
    assert session.state.payment_outcome == "succeeded"


def test_expired_after_completed_does_not_undo_the_completion() -> None:
    session = replay(
        stripe_event(COMPLETED, "evt_1", payment_status="paid"),
        stripe_event(EXPIRED, "evt_2", seconds=90_000),
    )

    assert (session.state.status, session.state.payment_status) == ("complete", "paid")


def test_failed_delayed_payment_marks_fulfillment_failed() -> None:
    session = replay(stripe_event(COMPLETED, "evt_1"), stripe_event(ASYNC_PAYMENT_FAILED, "evt_2"))

    assert (session.state.status, session.state.payment_status) == ("complete", "unpaid")
    assert session.fulfillment_status == "failed"
    assert not session.is_paid


def test_setup_and_expired_sessions_need_no_fulfillment() -> None:
    setup = replay(stripe_event(COMPLETED, "evt_1", mode="setup",
                                payment_status="no_payment_required"))
    expired = replay(stripe_event(EXPIRED, "evt_2"))

    assert setup.fulfillment_status == "not_required"
    assert expired.fulfillment_status == "not_required"
    assert expired.state.status == "expired"


def test_an_event_of_another_session_is_refused() -> None:
    session = CheckoutSession.open("cs_test_1")

    with pytest.raises(ValueError, match="cs_test_other"):
        record(session, stripe_event(COMPLETED, "evt_1"))
        record(session, stripe_event(COMPLETED, "evt_2", session_id="cs_test_other"))


def test_replaying_the_stored_events_rebuilds_the_same_state() -> None:
    session = replay(stripe_event(COMPLETED, "evt_1"), stripe_event(ASYNC_PAYMENT_SUCCEEDED, "evt_2"))
    events = session.collect_events()

    rebuilt = None
    for e in events:
        rebuilt = e.mutate(rebuilt)

    assert isinstance(rebuilt, CheckoutSession)
    assert rebuilt.state == session.state
    assert rebuilt.version == session.version


LIFECYCLES = [
    [stripe_event(COMPLETED, "evt_c", payment_status="unpaid"),
     stripe_event(ASYNC_PAYMENT_SUCCEEDED, "evt_s", seconds=100, customer="cus_2")],
    [stripe_event(COMPLETED, "evt_c", payment_status="unpaid"),
     stripe_event(ASYNC_PAYMENT_FAILED, "evt_f", seconds=100)],
    [stripe_event(COMPLETED, "evt_c", payment_status="paid"),
     stripe_event(EXPIRED, "evt_e", seconds=90_000)],
    [stripe_event(COMPLETED, "evt_c", payment_status="unpaid", amount_total=100),
     stripe_event(ASYNC_PAYMENT_SUCCEEDED, "evt_s", seconds=100, amount_total=200),
     stripe_event(EXPIRED, "evt_e", seconds=90_000),
     stripe_event(COMPLETED, "evt_c2", payment_status="unpaid", seconds=5)],
]


@given(lifecycle=st.sampled_from(LIFECYCLES), data=st.data())
def test_every_permutation_of_a_sessions_events_ends_in_the_same_state(
    lifecycle: list[Delivery], data: st.DataObject
) -> None:
    in_order = replay(*lifecycle)
    shuffled = data.draw(st.permutations(lifecycle))
    with_redeliveries = shuffled + data.draw(st.lists(st.sampled_from(lifecycle), max_size=3))

    assert replay(*with_redeliveries).state == in_order.state


def test_all_orders_of_a_full_lifecycle_agree_exhaustively() -> None:
    lifecycle = LIFECYCLES[3]

    states = {replay(*p).state for p in itertools.permutations(lifecycle)}

    assert len(states) == 1


def test_a_failure_after_the_session_was_fulfilled_is_not_recorded() -> None:
    from domain.ports import CheckoutSnapshot, LineItem

    session = replay(stripe_event(COMPLETED, "evt_1", payment_status="paid"))
    facts = session.latest_facts()
    assert facts is not None
    session.record_fulfillment(CheckoutSnapshot(facts, (LineItem("p", 1, "Mug", 5, "usd"),)),
                               ("1 x Mug",), "webhook", None, T0)
    version = session.version

    recorded = session.record_fulfillment_failure("cs_test_1", "timeout", 1, "success_page", None)

    assert recorded is False
    assert session.version == version
    assert session.fulfillment_status == "fulfilled"


def test_the_settlements_amount_wins_over_the_completions_in_any_order() -> None:
    completion = stripe_event(COMPLETED, "evt_c", payment_status="unpaid", amount_total=100)
    settlement = stripe_event(ASYNC_PAYMENT_SUCCEEDED, "evt_s", seconds=100, amount_total=200)

    states = [replay(completion, settlement).state, replay(settlement, completion).state]

    assert [state.amount_total for state in states] == [200, 200]
    assert [state.payment_status for state in states] == ["paid", "paid"]


def test_version_one_is_the_first_stripe_event_not_an_empty_placeholder() -> None:
    session = replay(stripe_event(EXPIRED, "evt_e"), stripe_event(COMPLETED, "evt_c", seconds=5))

    events = session.collect_events()

    assert [(type(e).__name__, e.originator_version) for e in events] == [
        ("Expired", 1), ("Completed", 2)]
    assert events[0].stripe_event_id == "evt_e"


def test_a_fulfillment_can_be_the_first_thing_recorded_about_a_session() -> None:
    from domain.ports import CheckoutSnapshot, LineItem

    session = CheckoutSession.open("cs_test_1")
    facts = stripe_event(COMPLETED, "evt_1", payment_status="paid").facts
    snapshot = CheckoutSnapshot(facts, (LineItem("price_1", 1, "Mug", 2500, "usd"),))

    session.record_fulfillment(snapshot, ("1 x Mug",), "success_page", None, T0)

    first = session.collect_events()[0]
    assert (type(first).__name__, first.originator_version) == ("Fulfilled", 1)
    assert session.fulfillment_status == "fulfilled"
    assert (session.state.status, session.state.amount_total) == ("complete", 2500)


def test_fulfilled_is_recorded_once_however_often_it_is_asked() -> None:
    from domain.ports import CheckoutSnapshot, LineItem

    session = replay(stripe_event(COMPLETED, "evt_1", payment_status="paid"))
    facts = session.latest_facts()
    assert facts is not None
    snapshot = CheckoutSnapshot(facts, (LineItem("price_1", 1, "Mug", 2500, "usd"),))

    outcomes = [session.record_fulfillment(snapshot, ("1 x Mug",), trigger, None, T0)
                for trigger in ("webhook", "success_page", "support")]

    assert outcomes == [True, False, False]
    assert [type(e).__name__ for e in session.collect_events()].count("Fulfilled") == 1
