"""Hostile input at the HTTP edge (hypothesis, derandomized): never a 5xx, and a refused
request records nothing.

One service on a temporary SQLite store, its SDK pointed at the project's Stripe emulator.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from emulator.server import EmulatorServer
from tests.conftest import STAFF, service_env, settle
from tests.support.webhooks import SECRET, new_session_id, session_event, sign, signed

FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=80,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
_ids = itertools.count()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, emulator: EmulatorServer
            ) -> Iterator[TestClient]:
    store = tmp_path_factory.mktemp("fuzz") / "ledger.sqlite3"
    env = service_env(f"sqlite:///{store}", STRIPE_API_BASE=emulator.url)
    with TestClient(create_app(Settings.from_env(env), follow=False)) as client:
        yield client


@pytest.fixture(scope="module")
def known_session(service: TestClient) -> str:
    """A session the ledger holds, so version/at queries reach the store."""
    session_id = new_session_id()
    payload, headers = signed(session_event("checkout.session.completed", session_id))
    assert service.post("/webhook", content=payload, headers=headers).status_code == 200
    settle(service)
    return session_id


def log_sizes(client: TestClient) -> tuple[int, int]:
    services = client.app.state.services  # type: ignore[attr-defined]
    return (services.inbox.recorder.max_notification_id() or 0,
            services.ledger.recorder.max_notification_id() or 0)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=8,
)
latin1 = st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=80)


def post_signed(client: TestClient, body: Any) -> tuple[int, dict[str, Any], int]:
    """POST ``body`` correctly signed; the status, the JSON answer and how much the raw log grew."""
    before = log_sizes(client)[0]
    payload, headers = signed(json.dumps(body).encode())
    response = client.post("/webhook", content=payload, headers=headers)
    return response.status_code, response.json(), log_sizes(client)[0] - before


def assert_answered_without_a_5xx(status: int, answer: dict[str, Any], grew: int) -> None:
    assert status in (200, 400), (status, answer)
    if status == 400:
        assert answer["error"] and grew == 0
    else:
        assert grew == (0 if answer["duplicate"] else 1)


# POST /webhook -----------------------------------------------------------------------------


@FUZZ
@given(signature=st.one_of(latin1, st.builds(lambda t, v: f"t={t},v1={v}", latin1, latin1),
                           st.builds(lambda junk: f"t=1,v1={junk},v1=0", latin1)),
       body=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()),
       length=st.none() | st.text("0123456789-+ x", max_size=8))
def test_unsigned_or_badly_signed_requests_get_a_4xx_and_record_nothing(
    service: TestClient, signature: str, body: bytes, length: str | None
) -> None:
    headers = [(b"stripe-signature", signature.encode("latin-1"))]
    if length is not None:
        headers.append((b"content-length", length.encode()))
    before = log_sizes(service)

    response = service.post("/webhook", content=body, headers=headers)

    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]
    assert log_sizes(service) == before


@FUZZ
@given(body=json_values)
def test_any_signed_json_gets_200_or_400_and_only_a_200_records(service: TestClient, body: Any) -> None:
    assert_answered_without_a_5xx(*post_signed(service, body))


ENVELOPE_FIELDS = ["id", "type", "created", "data", "livemode", "object"]


@FUZZ
@given(replaced=st.dictionaries(st.sampled_from(ENVELOPE_FIELDS), json_values, max_size=3),
       removed=st.sets(st.sampled_from(ENVELOPE_FIELDS), max_size=2),
       event_type=st.sampled_from(["checkout.session.completed", "checkout.session.expired"]))
def test_signed_events_with_wrong_envelopes_get_200_or_400(
    service: TestClient, replaced: dict[str, Any], removed: set[str], event_type: str
) -> None:
    body = session_event(event_type, new_session_id(), event_id=f"evt_fuzz_{next(_ids)}")
    body.update(copy.deepcopy(replaced))
    for name in removed:
        body.pop(name, None)

    assert_answered_without_a_5xx(*post_signed(service, body))


SESSION_FIELDS = ["id", "object", "mode", "status", "payment_status", "amount_total", "currency",
                  "amount_subtotal", "client_reference_id"]
# Nested fields whose wrong JSON types the event translation does not check yet (the lead's
# rewrite of translate/session_facts fixes them): a dict where text is expected, a list...
NESTED_FIELDS = ["customer", "customer_details", "metadata", "payment_intent", "customer_email",
                 "setup_intent", "subscription"]


@FUZZ
@given(replaced=st.dictionaries(st.sampled_from(SESSION_FIELDS), json_values, max_size=3))
def test_signed_session_events_with_wrong_top_level_session_fields_get_200_or_400(
    service: TestClient, replaced: dict[str, Any]
) -> None:
    body = session_event("checkout.session.completed", new_session_id(),
                         event_id=f"evt_fuzz_{next(_ids)}")
    body["data"]["object"].update(copy.deepcopy(replaced))

    assert_answered_without_a_5xx(*post_signed(service, body))


@FUZZ
@given(replaced=st.dictionaries(st.sampled_from(NESTED_FIELDS), json_values, min_size=1,
                                max_size=3))
def test_signed_session_events_with_wrong_nested_fields_are_applied_or_parked_never_stuck(
    service: TestClient, replaced: dict[str, Any]
) -> None:
    body = session_event("checkout.session.completed", new_session_id(),
                         event_id=f"evt_fuzz_{next(_ids)}", payment_status="unpaid")
    body["data"]["object"].update(copy.deepcopy(replaced))

    assert_answered_without_a_5xx(*post_signed(service, body))
    services = service.app.state.services  # type: ignore[attr-defined]
    services.ledger_follower.catch_up()  # applies or parks it; never raises, never stalls
    assert services.ledger_follower.lag() == 0


# Staff query parameters ----------------------------------------------------------------------

hostile_text = st.text(max_size=40) | st.sampled_from(
    ["", "0", "-1", "1e9", "\u0661", "\uff12", "9" * 40, "2026-11-22T15:00:00Z", "0001-01-01",
     "9999-12-31T23:59:59.999999+14:00", "0001-01-01T00:00:00-23:59", "NaN", "1 "])


@FUZZ
@given(session=st.one_of(st.just("known"), st.text(max_size=30)),
       query=st.dictionaries(st.sampled_from(["version", "at"]), hostile_text, max_size=2))
def test_session_queries_answer_200_400_or_404_and_record_nothing(
    service: TestClient, known_session: str, session: str, query: dict[str, str]
) -> None:
    session_id = known_session if session == "known" else session
    before = log_sizes(service)

    response = service.get(f"/sessions/{_quote(session_id)}", params=query, headers=STAFF)

    assert response.status_code in (200, 400, 404), response.text
    assert log_sizes(service) == before


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["after", "limit"]), hostile_text, max_size=2))
def test_log_queries_answer_200_or_400(service: TestClient, query: dict[str, str]) -> None:
    response = service.get("/events", params=query, headers=STAFF)

    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        assert isinstance(response.json()["events"], list)


# The success page --------------------------------------------------------------------------


@FUZZ
@given(session_id=st.text(max_size=40) | st.text("abcXYZ019_", min_size=1, max_size=20)
       .map(lambda tail: f"cs_test_{tail}"))
def test_the_success_page_answers_400_or_404_for_sessions_it_cannot_show(
    service: TestClient, session_id: str
) -> None:
    before = log_sizes(service)

    response = service.get("/success", params={"session_id": session_id})

    assert response.status_code in (400, 404), response.text
    assert log_sizes(service) == before


def _quote(text: str) -> str:
    return quote(text, safe="")


def test_the_signature_helper_signs_what_the_verifier_checks(service: TestClient) -> None:
    payload = json.dumps(session_event("checkout.session.expired", new_session_id())).encode()

    response = service.post("/webhook", content=payload,
                            headers={"Stripe-Signature": sign(payload, SECRET)})

    assert response.status_code == 200
