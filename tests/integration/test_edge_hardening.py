"""The HTTP edge against hostile requests: signatures, redirects, metric labels, headers.

The service runs on a fresh SQLite file (the edge does not depend on the store).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from tests.conftest import service_env
from tests.support.webhooks import SECRET, event, new_session_id, session_event, sign, signed


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings.from_env(service_env(f"sqlite:///{tmp_path}/ledger.sqlite3"))
    with TestClient(create_app(settings, follow=False)) as test_client:
        yield test_client


def log_size(client: TestClient) -> int:
    return client.app.state.services.inbox.recorder.max_notification_id() or 0  # type: ignore[attr-defined]


def completed_body() -> bytes:
    return json.dumps(session_event("checkout.session.completed", new_session_id())).encode()


def metric(client: TestClient, sample: str) -> float:
    lines = [ln for ln in client.get("/metrics").text.splitlines() if ln.startswith(sample + " ")]
    return float(lines[0].rsplit(" ", 1)[1]) if lines else 0.0


# Stripe-Signature -----------------------------------------------------------------------


@pytest.mark.parametrize("junk", [b"\x80", b"\xff" * 64, b"ab\xe9cd", b"0" * 63 + b"\x80"])
def test_a_signature_with_bytes_over_0x7f_gets_400_and_records_nothing(
    client: TestClient, junk: bytes
) -> None:
    body = completed_body()
    before = log_size(client)

    response = client.post("/webhook", content=body,
                           headers=[(b"stripe-signature", b"t=1700000000,v1=" + junk)])

    assert response.status_code == 400
    assert "Stripe-Signature" in response.json()["error"] or "signature" in response.json()["error"]
    assert log_size(client) == before


def test_a_junk_v1_entry_does_not_hide_a_good_signature_after_it(client: TestClient) -> None:
    body = completed_body()
    timestamp, good = sign(body, SECRET).split(",")
    header = f"{timestamp},v1=\x80junk,{good}".encode("latin-1")

    response = client.post("/webhook", content=body, headers=[(b"stripe-signature", header)])

    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False}


def test_a_signature_of_only_junk_entries_is_called_malformed(client: TestClient) -> None:
    response = client.post("/webhook", content=completed_body(),
                           headers=[(b"stripe-signature", b"t=1700000000,v1=\xe9\xe9,v1=\xff")])

    assert response.status_code == 400
    assert "malformed" in response.json()["error"]


# Redirects -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/success/", "/success/?session_id=cs_test_1", "/healthz/",
                                  "/sessions/cs_test_1/history/", "/events/"])
def test_a_trailing_slash_never_redirects_to_the_requests_host(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)

    assert response.status_code == 404
    assert "location" not in response.headers
    assert "evil.example" not in response.text


# Metrics ---------------------------------------------------------------------------------


def test_metrics_label_event_types_the_service_does_not_handle_as_other(client: TestClient) -> None:
    long_type = "x" * 10_000
    for event_type in (long_type, "charge.succeeded", "checkout.session.completed"):
        payload, headers = signed(event(event_type, {"id": "ch_1", "object": "charge"})
                                  if not event_type.startswith("checkout")
                                  else session_event(event_type, new_session_id()))
        assert client.post("/webhook", content=payload, headers=headers).status_code == 200

    text = client.get("/metrics").text

    assert long_type not in text and "charge.succeeded" not in text
    assert metric(client, 'checkout_ledger_webhooks_received_total{outcome="recorded",type="other"}') == 2
    assert metric(client, 'checkout_ledger_webhooks_received_total'
                          '{outcome="recorded",type="checkout.session.completed"}') == 1


# Security headers ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/success?session_id=nope", "/success", "/nowhere",
                                  "/static/shop.css", "/healthz", "/events"])
def test_every_page_forbids_framing_sniffing_scripts_and_inline_styles(
    client: TestClient, path: str
) -> None:
    response = client.get(path)

    headers = response.headers
    policy = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert "script-src" not in policy and "unsafe-inline" not in policy
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_the_pages_carry_no_inline_script_or_style_and_their_stylesheet_is_served(
    client: TestClient,
) -> None:
    page = client.get("/success?session_id=nope").text

    stylesheet = client.get("/static/shop.css")

    assert "<script" not in page and "<style" not in page and " style=" not in page
    assert '<link rel="stylesheet" href="/static/shop.css">' in page
    assert stylesheet.status_code == 200
    assert stylesheet.headers["content-type"].startswith("text/css")
    assert ".product" in stylesheet.text


def test_the_webhook_answer_stays_lean(client: TestClient) -> None:
    payload, headers = signed(session_event("checkout.session.completed", new_session_id()))

    response = client.post("/webhook", content=payload, headers=headers)

    assert response.status_code == 200
    assert "content-security-policy" not in response.headers
