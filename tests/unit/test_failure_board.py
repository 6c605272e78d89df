"""The failure board: open cases only, in the order they opened, the same after a replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from eventsourcing.domain import Aggregate

from domain.model.failure_board import FailureBoard

T0 = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)


def replayed(board: FailureBoard) -> Aggregate | None:
    events = board.collect_events()
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)  # type: ignore[arg-type]
    return aggregate


def test_a_second_failure_of_the_same_case_updates_it_and_keeps_its_start() -> None:
    board = FailureBoard.start()
    board.report("fulfillment_failed", "cs_1", since=T0, attempts=1, last_error="boom")

    board.report("fulfillment_failed", "cs_1", since=T0 + timedelta(minutes=5), attempts=2,
                 last_error="boom again")

    [case] = board.open_cases()
    assert (case.since, case.attempts, case.last_error) == (
        T0.isoformat(), 2, "boom again")


def test_cases_are_listed_oldest_first_and_a_resolved_one_drops_out() -> None:
    board = FailureBoard.start()
    board.report("async_payment_failed", "cs_late", since=T0 + timedelta(seconds=9),
                 attempts=1, last_error="bank said no", customer="cus_1", amount=1200,
                 currency="usd")
    board.report("fulfillment_failed", "cs_early", since=T0, attempts=1, last_error="boom")
    board.report("fulfillment_failed", "cs_mended", since=T0, attempts=1, last_error="boom")

    resolved = board.resolve("fulfillment_failed", "cs_mended", "fulfilled")

    assert resolved
    assert [c.id for c in board.open_cases()] == ["cs_early", "cs_late"]
    assert not board.resolve("fulfillment_failed", "cs_mended", "fulfilled")


def test_replaying_the_board_gives_the_same_open_cases() -> None:
    board = FailureBoard.start()
    board.report("fulfillment_failed", "cs_1", since=T0, attempts=1, last_error="boom")
    board.report("async_payment_failed", "cs_2", since=T0, attempts=1, last_error="no")
    board.resolve("fulfillment_failed", "cs_1", "fulfilled")

    copy = replayed(board)

    assert isinstance(copy, FailureBoard)
    assert copy.open_cases() == board.open_cases()
