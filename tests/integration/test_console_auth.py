"""The console's sign-in, session cookie and CSRF protection, over HTTP."""

from __future__ import annotations

import base64

import pytest
from starlette.testclient import TestClient

from tests.conftest import STAFF, STAFF_TOKEN, settle
from tests.support.console import act, csrf_of, sign_in
from tests.support.purchases import Shop, history_types

pytest_plugins = ["tests.support.purchase_fixtures"]

COMPLETED = "checkout.session.completed"


def paid(service: TestClient, shop: Shop) -> str:
    session_id = shop.session()
    shop.pay(session_id)
    shop.deliver(service, session_id, COMPLETED)
    settle(service, fulfil=True)
    return session_id


@pytest.mark.parametrize("path", ["/support", "/support/view/session/cs_test_1",
                                  "/support/search?q=cs_test_1"])
def test_without_a_session_every_page_sends_you_to_sign_in(service: TestClient, path: str) -> None:
    answer = service.get(path, follow_redirects=False)

    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/support/sign-in?next=%2Fsupport")


def test_an_action_without_a_session_does_nothing_and_sends_you_to_sign_in(
    service: TestClient, shop: Shop
) -> None:
    session_id = paid(service, shop)

    answer = act(service, "x", "session/fulfill", id=session_id, reason="no session")
    settle(service, fulfil=True)

    assert (answer.status_code, answer.headers["location"]) == (
        303, "/support/sign-in?next=%2Fsupport")
    assert history_types(service, session_id, STAFF) == ["Completed", "Fulfilled"]


def test_signing_in_sets_a_strict_httponly_cookie_that_does_not_hold_the_token(
    service: TestClient
) -> None:
    form = service.get("/support/sign-in")

    answer = service.post("/support/sign-in", data={"csrf": csrf_of(form), "token": STAFF_TOKEN},
                          follow_redirects=False)

    assert (answer.status_code, answer.headers["location"]) == (303, "/support")
    cookie = answer.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    assert "path=/support" in cookie.lower() and "secure" not in cookie.lower()  # http here
    value = cookie.split(";")[0].split("=", 1)[1]
    decoded = base64.b64decode(value.split(".")[0] + "==", altchars=b"-_")
    assert STAFF_TOKEN not in value and STAFF_TOKEN.encode() not in decoded
    page = service.get("/support")
    assert page.status_code == 200 and 'id="staff">alice<' in page.text
    assert page.headers["cache-control"] == "no-store"


def test_the_cookie_is_secure_when_the_service_is_reached_over_https(
    make_service: object
) -> None:
    service = make_service(PUBLIC_URL="https://ledger.example.com")  # type: ignore[operator]
    form = service.get("/support/sign-in")

    answer = service.post("/support/sign-in", data={"csrf": csrf_of(form), "token": STAFF_TOKEN},
                          follow_redirects=False)

    assert "secure" in answer.headers["set-cookie"].lower()


def test_a_wrong_token_is_refused_with_401_and_no_session(service: TestClient) -> None:
    form = service.get("/support/sign-in")

    answer = service.post("/support/sign-in", data={"csrf": csrf_of(form),
                                                    "token": "not-a-token-at-all"})

    assert answer.status_code == 401
    assert "not a staff token" in answer.text
    assert service.get("/support", follow_redirects=False).status_code == 303


def test_signing_in_without_the_csrf_token_is_refused_403(service: TestClient) -> None:
    service.get("/support/sign-in")

    answer = service.post("/support/sign-in", data={"token": STAFF_TOKEN})

    assert answer.status_code == 403
    assert service.get("/support", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("csrf", [None, "", "forged-token"])
def test_an_action_with_a_missing_or_wrong_csrf_token_is_403_and_records_nothing(
    service: TestClient, shop: Shop, csrf: str | None
) -> None:
    session_id = paid(service, shop)
    sign_in(service)
    fields = {"id": session_id, "reason": "csrf"} | ({"csrf": csrf} if csrf is not None else {})

    answer = service.post("/support/act/session/fulfill", data=fields, follow_redirects=False)
    settle(service, fulfil=True)

    assert answer.status_code == 403
    assert "CSRF" in answer.text
    assert history_types(service, session_id, STAFF) == ["Completed", "Fulfilled"]


def test_signing_out_ends_the_session_and_needs_the_csrf_token(service: TestClient) -> None:
    csrf = sign_in(service)

    refused = service.post("/support/sign-out", data={}, follow_redirects=False)
    answer = service.post("/support/sign-out", data={"csrf": csrf}, follow_redirects=False)

    assert refused.status_code == 403
    assert (answer.status_code, answer.headers["location"]) == (303, "/support/sign-in")
    assert service.get("/support", follow_redirects=False).status_code == 303


def test_after_sign_in_you_land_where_you_were_going_but_never_off_the_console(
    service: TestClient
) -> None:
    form = service.get("/support/sign-in?next=/support/search%3Fq%3Dcs_x")
    good = service.post("/support/sign-in", follow_redirects=False, data={
        "csrf": csrf_of(form), "token": STAFF_TOKEN, "next": "/support/search?q=cs_x"})
    service.post("/support/sign-out", data={"csrf": csrf_of(service.get("/support"))})
    form = service.get("/support/sign-in")
    evil = service.post("/support/sign-in", follow_redirects=False, data={
        "csrf": csrf_of(form), "token": STAFF_TOKEN, "next": "https://evil.example/support"})

    assert good.headers["location"] == "/support/search?q=cs_x"
    assert evil.headers["location"] == "/support"


def test_the_bearer_token_alone_does_not_open_the_console(service: TestClient) -> None:
    answer = service.get("/support", headers=STAFF, follow_redirects=False)

    assert answer.status_code == 303


@pytest.mark.parametrize(("body", "content_type", "status"), [
    (b"csrf=x&reason=" + b"y" * 20_000, "application/x-www-form-urlencoded", 413),
    (b'{"csrf": "x"}', "application/json", 415),
    (b"&".join(b"f%d=1" % n for n in range(20)), "application/x-www-form-urlencoded", 400),
    (b"csrf=%ff%fe", "application/x-www-form-urlencoded", 400)])
def test_a_form_too_big_of_another_type_or_unreadable_is_refused_and_does_nothing(
    service: TestClient, shop: Shop, body: bytes, content_type: str, status: int
) -> None:
    session_id = paid(service, shop)
    sign_in(service)

    answer = service.post("/support/act/session/fulfill", content=body,
                          headers={"content-type": content_type})
    settle(service, fulfil=True)

    assert answer.status_code == status
    assert history_types(service, session_id, STAFF) == ["Completed", "Fulfilled"]
