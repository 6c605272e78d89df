"""The shared parameter parsers (routes and CLI): values in, BadParameter out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.params import (
    BadParameter,
    parse_after,
    parse_limit,
    parse_session_id,
    parse_time,
    parse_version,
)


def test_a_time_without_an_offset_is_taken_as_utc() -> None:
    assert parse_time("2026-11-22T15:00:00") == datetime(2026, 11, 22, 15, tzinfo=UTC)


def test_a_time_keeps_its_offset_and_z_means_utc() -> None:
    assert parse_time("2026-11-22T15:00:00Z") == datetime(2026, 11, 22, 15, tzinfo=UTC)
    assert parse_time("2026-11-22T16:00:00+01:00").utcoffset() == timedelta(hours=1)
    assert parse_time("2026-11-22T16:00:00+01:00") == datetime(2026, 11, 22, 15, tzinfo=UTC)
    assert parse_time("2026-11-22").tzinfo is UTC


@pytest.mark.parametrize("raw", ["", "yesterday", "2026-13-01", "2026-11-22T25:00",
                                 "2026-11-22T15:00:00Zjunk", "9" * 5000])
def test_a_malformed_time_is_a_bad_parameter_that_says_what_to_send(raw: str) -> None:
    with pytest.raises(BadParameter, match="ISO-8601"):
        parse_time(raw)


def test_bad_parameters_are_value_errors() -> None:
    assert issubclass(BadParameter, ValueError)


@pytest.mark.parametrize(("parse", "raw", "value"), [
    (parse_version, "1", 1), (parse_version, "1000000000", 10**9),
    (parse_after, "0", 0), (parse_limit, "1000", 1000), (parse_limit, "007", 7),
])
def test_integers_within_their_range_are_accepted(parse, raw: str, value: int) -> None:  # type: ignore[no-untyped-def]
    assert parse(raw) == value


@pytest.mark.parametrize(("parse", "raw"), [
    (parse_version, "0"), (parse_version, "-1"), (parse_version, "1000000001"),
    (parse_version, "\u0661"), (parse_version, " 1"), (parse_version, "1.0"),
    (parse_after, "-1"), (parse_after, "9" * 17), (parse_limit, "0"), (parse_limit, "1001"),
    (parse_limit, "+5"), (parse_limit, ""),
])
def test_integers_out_of_range_or_not_plain_digits_are_refused(parse, raw: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadParameter):
        parse(raw)


@pytest.mark.parametrize("raw", ["cs_test_a1", "cs_" + "x" * 250])
def test_checkout_session_ids_are_accepted(raw: str) -> None:
    assert parse_session_id(raw) == raw


@pytest.mark.parametrize("raw", ["", "cs_", "pi_123", "cs_test-1", "cs_" + "x" * 251, "cs_test\n"])
def test_anything_else_is_not_a_checkout_session_id(raw: str) -> None:
    with pytest.raises(BadParameter, match="cs_"):
        parse_session_id(raw)
