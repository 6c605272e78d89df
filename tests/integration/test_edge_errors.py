"""The declarative HTTP edge: one error table, staff auth on the routes, shared parameters,
and public pages that never show what Stripe said about the API key."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from eventsourcing.persistence import OperationalError
from starlette.testclient import TestClient

from adapters.stripe_gateway import CheckoutRefused
from api.app import create_app
from api.errors import answer_for
from api.params import BadParameter
from api.settings import Settings
from domain.errors import SessionNotFound
from domain.ports import StripeRefused, StripeUnavailable, UnknownAtStripe
from emulator.server import EmulatorServer
from tests.conftest import STAFF, service_env
from tests.support.emulator import EmulatorControl

WRONG_KEY = "sk_live_not_a_key_this_account_has_9Zq4"


@pytest.fixture
def client(tmp_path: Path, emulator: EmulatorServer) -> Iterator[TestClient]:
    env = service_env(f"sqlite:///{tmp_path}/ledger.sqlite3", STRIPE_API_BASE=emulator.url)
    with TestClient(create_app(Settings.from_env(env), follow=False)) as test_client:
        yield test_client


@pytest.fixture
def wrong_key_client(tmp_path: Path, emulator: EmulatorServer) -> Iterator[TestClient]:
    """The service with a key the emulator refuses, as Stripe refuses an unknown key (401)."""
    env = service_env(f"sqlite:///{tmp_path}/ledger.sqlite3", STRIPE_API_BASE=emulator.url,
                      STRIPE_API_KEY=WRONG_KEY)
    with TestClient(create_app(Settings.from_env(env), follow=False)) as test_client:
        yield test_client


# A key Stripe refuses ----------------------------------------------------------------------


def assert_no_key_shown(text: str) -> None:
    assert "sk_live" not in text and "9Zq4" not in text and "****" not in text
    assert "API Key" not in text


def test_the_storefront_says_payments_are_unavailable_when_stripe_refuses_the_key(
    wrong_key_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="api.pages"):
        response = wrong_key_client.get("/")

    assert response.status_code == 503
    assert "Payments are unavailable" in response.text
    assert_no_key_shown(response.text)
    assert "Invalid API Key provided: sk_live_****9Zq4" in caplog.text


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_checkout_creation_says_payments_are_unavailable_when_stripe_refuses_the_key(
    wrong_key_client: TestClient, caplog: pytest.LogCaptureFixture, accept: str
) -> None:
    with caplog.at_level(logging.ERROR, logger="api.pages"):
        response = wrong_key_client.post(
            "/create-checkout-session", data={"mode": "payment", "price": "price_123"},
            headers={"Accept": accept}, follow_redirects=False)

    assert response.status_code == 503
    assert "Payments are unavailable" in response.text
    assert_no_key_shown(response.text)
    assert "Invalid API Key provided" in caplog.text


def test_a_checkout_request_stripe_finds_invalid_answers_400_with_stripes_reason(
    client: TestClient, stripe_emulator: EmulatorControl
) -> None:
    monthly = stripe_emulator.seed()["pro_plan_monthly"]["id"]

    response = client.post("/create-checkout-session", data={"mode": "payment", "price": monthly},
                           follow_redirects=False)

    assert response.status_code == 400
    assert "recurring price" in response.json()["error"]


# Staff auth on the routes ------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/sessions/cs_test_1"), ("GET", "/sessions/cs_test_1/history"), ("GET", "/events"),
    ("GET", "/support/failures"), ("POST", "/support/sessions/cs_test_1/fulfill"),
])
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token-0123456789", "Basic abc",
                                           "Bearer", "Bearer alice-token-0123456789\xe9"])
def test_every_staff_route_answers_401_without_a_staff_token(
    client: TestClient, method: str, path: str, authorization: str | None
) -> None:
    headers = [] if authorization is None else [(b"authorization", authorization.encode("latin-1"))]

    response = client.request(method, path, headers=headers)

    assert response.status_code == 401
    assert "staff token" in response.json()["error"]


def test_an_unknown_path_is_a_404_not_a_401(client: TestClient) -> None:
    assert client.get("/sessions").status_code == 404
    assert client.get("/support/nothing-here").status_code == 404


# Shared parameters --------------------------------------------------------------------------


@pytest.mark.parametrize("query", [
    "version=1&version=2", "version=%D9%A1", "version=0", "version=1e3", "at=yesterday",
    "at=2026-11-22T15:00:00Z&version=1", "at=1&at=2",
])
def test_malformed_session_queries_get_400(client: TestClient, query: str) -> None:
    response = client.get(f"/sessions/cs_test_1?{query}", headers=STAFF)

    assert response.status_code == 400
    assert response.json()["error"]


@pytest.mark.parametrize("query", ["after=-1", "limit=0", "limit=1001", "after=%EF%BC%91",
                                   "limit=1&limit=2", "after=" + "9" * 40])
def test_malformed_log_queries_get_400(client: TestClient, query: str) -> None:
    response = client.get(f"/events?{query}", headers=STAFF)

    assert response.status_code == 400


def test_an_unknown_session_is_a_404(client: TestClient) -> None:
    response = client.get("/sessions/cs_test_never_seen/history", headers=STAFF)

    assert response.status_code == 404
    assert "cs_test_never_seen" in response.json()["error"]


# The one error table ------------------------------------------------------------------------


@pytest.mark.parametrize(("error", "status"), [
    (BadParameter("limit must be..."), 400),
    (CheckoutRefused("Invalid currency"), 400),
    (SessionNotFound("cs_test_1"), 404),
    (UnknownAtStripe("No such checkout.session"), 404),
    (StripeRefused("PermissionError: ..."), 502),
    (StripeUnavailable("connection refused"), 503),
    (OperationalError("could not connect to server at 10.0.0.5"), 503),
])
def test_each_project_error_has_its_own_status(error: Exception, status: int) -> None:
    assert answer_for(error)[0] == status


def test_a_store_error_answer_never_shows_the_stores_own_message() -> None:
    _, message = answer_for(OperationalError("could not connect to server at 10.0.0.5"))

    assert "10.0.0.5" not in message
    assert "unavailable" in message
