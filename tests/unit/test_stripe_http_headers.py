"""The curl client's reading of an answer's headers (``CurlClient.parse_headers``) gives what
the SDK's own ``PycurlClient`` gives, without the stdlib's email parser; where they differ,
it reads the answer as HTTP means it."""

from __future__ import annotations

import stripe
from hypothesis import given
from hypothesis import strategies as st

from adapters.stripe_http import CurlClient

OURS = CurlClient(timeout=1)
SDKS = stripe.PycurlClient()

names = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1,
                max_size=20)
values = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40).map(
    lambda v: v.strip())


def block(status: str, headers: list[tuple[str, str]]) -> str:
    return status + "\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n"


@given(st.lists(st.tuples(names, values), max_size=12))
def test_the_same_headers_as_the_sdks_client(headers: list[tuple[str, str]]) -> None:
    data = block("HTTP/1.1 200 OK", headers)

    assert OURS.parse_headers(data) == SDKS.parse_headers(data)


def test_a_repeated_header_keeps_its_first_value_and_names_are_lowercased() -> None:
    data = block("HTTP/1.1 200 OK", [("Request-Id", "req_1"), ("Set-Cookie", "a=1"),
                                     ("Set-Cookie", "b=2"), ("Stripe-Should-Retry", "true")])

    assert OURS.parse_headers(data) == {"request-id": "req_1", "set-cookie": "a=1",
                                        "stripe-should-retry": "true"}


def test_nothing_received_is_no_headers() -> None:
    assert OURS.parse_headers("") == {}
    assert OURS.parse_headers("HTTP/1.1 204 No Content\r\n\r\n") == {}


def test_the_answer_after_an_interim_continue_is_read() -> None:
    data = "HTTP/1.1 100 Continue\r\n\r\n" + block(
        "HTTP/1.1 402 Payment Required", [("Request-Id", "req_2"), ("Idempotency-Key", "k1")])

    assert OURS.parse_headers(data) == {"request-id": "req_2", "idempotency-key": "k1"}
    assert SDKS.parse_headers(data) == {}  # the SDK's reads the interim block's (none)


def test_spaces_around_a_value_are_not_part_of_it() -> None:
    data = block("HTTP/2 200", [("retry-after", "  2 ")])

    assert OURS.parse_headers(data) == {"retry-after": "2"}
