"""The console's pages over HTTP: the queue, search, timelines with the state as of an
event, and actions recorded under the signed-in staff member's name."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from tests.conftest import STAFF, settle
from tests.integration.test_charges import charge
from tests.integration.test_saved_cards import save_card
from tests.support.console import act, sign_in
from tests.support.purchases import Shop, history_types

pytest_plugins = ["tests.support.purchase_fixtures"]

COMPLETED = "checkout.session.completed"
FAILED = "checkout.session.async_payment_failed"


def failed_debit(service: TestClient, shop: Shop) -> str:
    session_id = shop.session(customer_email="bea@example.com")
    shop.pay_by_bank(session_id, succeeds=False)
    shop.deliver(service, session_id, COMPLETED)
    shop.settle(session_id)
    shop.deliver(service, session_id, FAILED)
    settle(service, fulfil=True)
    return session_id


def declined(service: TestClient, shop: Shop) -> tuple[str, dict]:  # type: ignore[type-arg]
    customer = save_card(service, shop, card="4000000000009995")
    _, answer = charge(service, customer)
    settle(service, fulfil=True)
    return customer, answer


def test_the_queue_lists_every_kind_with_counts_and_filters(
    service: TestClient, shop: Shop
) -> None:
    session_id = failed_debit(service, shop)
    customer, charged = declined(service, shop)
    sign_in(service)

    page = service.get("/support")
    by_kind = service.get("/support?kind=charge_failed")
    by_customer = service.get(f"/support?customer={customer}")

    assert page.status_code == 200
    assert f'data-id="{session_id}"' in page.text and f'data-id="{charged["id"]}"' in page.text
    for kind in ("charge_failed", "async_payment_failed"):  # the store may be shared
        counted = re.search(rf'data-kind="{kind}">[a-z ]+ <b>(\d+)</b>', page.text)
        assert counted and int(counted.group(1)) == page.text.count(f'data-kind="{kind}" data-id=')
    assert f'data-id="{session_id}"' not in by_kind.text and charged["id"] in by_kind.text
    assert charged["id"] in by_customer.text and session_id not in by_customer.text
    assert service.get("/support?kind=nonsense").status_code == 400


def test_search_lands_on_the_object_by_id_payment_intent_or_email(
    service: TestClient, shop: Shop
) -> None:
    customer, charged = declined(service, shop)
    sign_in(service)

    by_charge = service.get(f"/support/search?q={charged['id']}", follow_redirects=False)
    by_intent = service.get(f"/support/search?q={charged['payment_intent']}",
                            follow_redirects=False)
    by_email = service.get("/support/search?q=ADA@example.com", follow_redirects=False)

    assert by_charge.headers["location"] == f"/support/view/charge/{charged['id']}"
    assert by_intent.headers["location"] == f"/support/view/charge/{charged['id']}"
    assert by_email.status_code in (200, 303)  # several tests' customers share the email
    assert customer in (by_email.headers.get("location", "") + by_email.text)


@pytest.mark.parametrize(("term", "status"), [("pi_unknown", 404), ("cs_<x>", 400),
                                              ("hello", 400), ("x" * 300, 400)])
def test_search_answers_what_it_cannot_find_or_read(
    service: TestClient, term: str, status: int
) -> None:
    sign_in(service)

    assert service.get("/support/search", params={"q": term}).status_code == status


def test_a_session_page_shows_each_event_with_its_source_and_the_state_then(
    service: TestClient, shop: Shop
) -> None:
    session_id = failed_debit(service, shop)
    sign_in(service)

    now = service.get(f"/support/view/session/{session_id}")
    then = service.get(f"/support/view/session/{session_id}?version=1")

    assert now.status_code == 200
    assert f"· {COMPLETED}" in now.text and f"· {FAILED}" in now.text
    assert 'data-source="stripe"' in now.text
    assert "State after event 1 of" in then.text and 'class="event source-stripe selected"' in then.text
    assert "unpaid" in then.text
    assert service.get(f"/support/view/session/{session_id}?version=99").status_code == 404
    assert service.get(f"/support/view/session/{session_id}?version=0").status_code == 400
    assert service.get("/support/view/session/cs_never_seen").status_code == 404
    assert service.get("/support/view/planet/cs_x").status_code == 404


def test_fulfilling_again_from_the_console_is_recorded_with_the_name_and_reason(
    service: TestClient, shop: Shop
) -> None:
    session_id = shop.session()
    shop.pay(session_id)
    shop.deliver(service, session_id, COMPLETED)
    settle(service, fulfil=True)
    csrf = sign_in(service)

    answer = act(service, csrf, "session/fulfill", id=session_id, reason="customer asked")
    settle(service, fulfil=True)
    page = service.get(answer.headers["location"])

    assert answer.status_code == 303
    assert 'id="flash"' in page.text and "Nothing fulfilled" in page.text
    assert history_types(service, session_id, STAFF)[-1] == "StaffActionRequested"
    assert "customer asked" in page.text and 'data-source="staff"' in page.text


def test_charge_actions_from_the_console_change_the_charge_timeline(
    service: TestClient, shop: Shop
) -> None:
    _, charged = declined(service, shop)
    csrf = sign_in(service)

    retried = act(service, csrf, "charge/retry", id=charged["id"], reason="funds back")
    linked = act(service, csrf, "charge/recovery_link", id=charged["id"], reason="lost email")
    settle(service, fulfil=True)
    page = service.get(f"/support/view/charge/{charged['id']}")

    assert retried.status_code == linked.status_code == 303
    types = re.findall(r'data-type="(\w+)"', page.text)
    assert types[-6:] == ["StaffActionRequested", "RetryStarted", "Declined",
                          "StaffActionRequested", "RecoveryRenewed", "CustomerNotified"]
    assert page.text.count('data-source="staff"') >= 2


def test_reconcile_now_from_the_console_says_what_it_found(service: TestClient) -> None:
    csrf = sign_in(service)

    answer = act(service, csrf, "service/reconcile", reason="nightly check")
    page = service.get("/support")

    assert (answer.status_code, answer.headers["location"]) == (303, "/support")
    assert re.search(r"Reconciled with Stripe: \d+ events seen, \d+ new", page.text)


@pytest.mark.parametrize("fields", [{"reason": "x"}, {"id": "cs_<bad>", "reason": "x"},
                                    {"id": "cs_ok"}, {"id": "cs_ok", "reason": "x" * 1001}])
def test_a_malformed_action_form_is_a_400_and_does_nothing(
    service: TestClient, fields: dict[str, str]
) -> None:
    csrf = sign_in(service)

    assert act(service, csrf, "session/fulfill", **fields).status_code == 400


def test_an_unknown_action_is_a_404(service: TestClient) -> None:
    csrf = sign_in(service)

    assert act(service, csrf, "session/refund", id="cs_x", reason="x").status_code == 404
    assert act(service, csrf, "service/nothing", reason="x").status_code == 404


def test_an_action_on_something_the_service_never_saw_is_a_404(service: TestClient) -> None:
    csrf = sign_in(service)

    answer = act(service, csrf, "session/fulfill", id="cs_test_never_seen", reason="x")

    assert answer.status_code == 404
