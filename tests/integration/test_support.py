"""The support routes: what needs a person (a projection of the ledger), and staff fulfillment."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from adapters.runner import Follower
from api.views import case_view
from domain.apps.support import Support
from tests.conftest import STAFF, settle
from tests.support import merchant
from tests.support.purchases import Shop, history_types

pytest_plugins = ["tests.support.purchase_fixtures"]  # the emulator, service and shop fixtures

COMPLETED = "checkout.session.completed"
BOB = {"Authorization": "Bearer bob-token-0123456789"}


def failures(service: TestClient, *session_ids: str) -> list[dict]:  # type: ignore[type-arg]
    """The listed failures of these sessions, in the order listed."""
    answer = service.get("/support/failures", headers=STAFF)
    assert answer.status_code == 200, answer.text
    return [f for f in answer.json()["failures"] if f["id"] in session_ids]


def failed_once(service: TestClient, shop: Shop) -> str:
    """A paid session whose webhook fulfillment failed once (the warehouse was closed)."""
    session_id = shop.session(("Ledger cap", 1500, 1))
    merchant.FAIL_ONCE.add(session_id)
    shop.pay(session_id)
    shop.deliver(service, session_id, COMPLETED)
    settle(service, fulfil=True)
    return session_id


@pytest.fixture
def merchant_service(make_service: Callable[..., TestClient]) -> TestClient:
    return make_service(FULFILLER="tests.support.merchant:ship")


def test_a_staff_member_fulfils_a_failed_session_and_the_history_names_them_and_their_reason(
    merchant_service: TestClient, shop: Shop
) -> None:
    session_id = failed_once(merchant_service, shop)
    listed = failures(merchant_service, session_id)

    answer = merchant_service.post(f"/support/sessions/{session_id}/fulfill", headers=BOB,
                                   json={"reason": "warehouse open again"})
    settle(merchant_service, fulfil=True)

    assert [(f["kind"], f["attempts"]) for f in listed] == [("fulfillment_failed", 1)]
    assert answer.status_code == 200
    assert {k: answer.json()[k] for k in ("status", "newly_fulfilled", "actor")} == {
        "status": "fulfilled", "newly_fulfilled": True, "actor": "bob"}
    assert answer.json()["fulfillment"]["trigger"] == "support"
    events = merchant_service.get(f"/sessions/{session_id}/history", headers=STAFF).json()["events"]
    staff_events = [(e["type"], e["actor"]) for e in events if e["actor"]]
    assert staff_events == [("StaffActionRequested", "bob"), ("Fulfilled", "bob")]
    [asked] = [e for e in events if e["type"] == "StaffActionRequested"]
    assert asked["data"] == {"action": "fulfill", "reason": "warehouse open again"}
    assert failures(merchant_service, session_id) == []


def test_asking_to_fulfil_a_fulfilled_session_again_fulfils_nothing_twice(
    service: TestClient, shop: Shop
) -> None:
    session_id = shop.session()
    shop.pay(session_id)
    shop.deliver(service, session_id, COMPLETED)
    settle(service, fulfil=True)

    answers = [service.post(f"/support/sessions/{session_id}/fulfill", headers=STAFF).json()
               for _ in range(2)]
    settle(service, fulfil=True)

    assert [(a["status"], a["newly_fulfilled"]) for a in answers] == [("fulfilled", False)] * 2
    assert history_types(service, session_id, STAFF) == [
        "Completed", "Fulfilled", "StaffActionRequested", "StaffActionRequested"]


def test_asking_to_fulfil_an_unpaid_session_records_the_request_and_fulfils_nothing(
    service: TestClient, shop: Shop
) -> None:
    session_id = shop.session()
    shop.pay_by_bank(session_id, succeeds=True)
    shop.deliver(service, session_id, COMPLETED)
    settle(service)

    answer = service.post(f"/support/sessions/{session_id}/fulfill", headers=STAFF)
    settle(service, fulfil=True)

    assert (answer.status_code, answer.json()["status"]) == (200, "processing")
    assert history_types(service, session_id, STAFF) == [
        "Completed", "StaffActionRequested"]


def test_a_fulfiller_failing_again_on_a_staff_request_is_answered_and_counted(
    merchant_service: TestClient, shop: Shop
) -> None:
    session_id = failed_once(merchant_service, shop)
    merchant.FAIL_ONCE.add(session_id)

    answer = merchant_service.post(f"/support/sessions/{session_id}/fulfill", headers=STAFF)
    settle(merchant_service, fulfil=True)

    assert answer.status_code == 200
    assert (answer.json()["status"], answer.json()["error"]) == (
        "failed", "WarehouseRefused: the warehouse is closed for inventory")
    assert [(f["attempts"], f["last_error"]) for f in failures(merchant_service, session_id)] == [
        (2, "WarehouseRefused: the warehouse is closed for inventory")]


def test_failures_are_listed_oldest_first_and_a_session_fulfilled_later_drops_out(
    merchant_service: TestClient, shop: Shop
) -> None:
    first, second, third = (failed_once(merchant_service, shop) for _ in range(3))

    merchant_service.post(f"/support/sessions/{second}/fulfill", headers=STAFF)
    settle(merchant_service, fulfil=True)

    listed = failures(merchant_service, first, second, third)
    assert [f["id"] for f in listed] == [first, third]
    assert listed[0]["since"] < listed[1]["since"]
    assert set(listed[0]) == {"kind", "id", "customer", "amount", "currency", "since",
                              "attempts", "last_error"}


def test_the_failure_list_is_rebuilt_by_replaying_the_ledger(
    merchant_service: TestClient, shop: Shop
) -> None:
    mended, still_failed = failed_once(merchant_service, shop), failed_once(merchant_service, shop)
    merchant_service.post(f"/support/sessions/{mended}/fulfill", headers=STAFF)
    settle(merchant_service, fulfil=True)
    ledger = merchant_service.app.state.services.ledger  # type: ignore[attr-defined]
    rebuilt = Support(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})

    Follower(ledger, rebuilt).catch_up()

    ours = [case_view(f) for f in rebuilt.failures() if f.id in (mended, still_failed)]
    assert ours == failures(merchant_service, mended, still_failed)
    assert [f["id"] for f in ours] == [still_failed]


@pytest.mark.parametrize("request_line", [("GET", "/support/failures"),
                                          ("POST", "/support/sessions/cs_test_1/fulfill")])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token-at-all"},
                                     {"Authorization": "Basic alice-token-0123456789"}])
def test_support_routes_answer_401_without_a_staff_token(
    service: TestClient, request_line: tuple[str, str], headers: dict[str, str]
) -> None:
    method, path = request_line

    answer = service.request(method, path, headers=headers)

    assert answer.status_code == 401
    assert "staff token" in answer.json()["error"]


@pytest.mark.parametrize("path", ["/support/sessions/pi_123/fulfill",
                                  "/support/sessions/cs_<script>/fulfill",
                                  f"/support/sessions/cs_{'a' * 300}/fulfill"])
def test_a_malformed_session_id_is_answered_400(service: TestClient, path: str) -> None:
    answer = service.post(path, headers=STAFF)

    assert answer.status_code == 400
    assert "malformed" in answer.json()["error"]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"why"', b'{"reason": 42}',
                                  b'{"reason": "ok", "force": true}',
                                  b'{"reason": "' + b"x" * 1001 + b'"}',
                                  b"[" * 5000 + b"]" * 5000])
def test_a_malformed_body_is_answered_400(service: TestClient, shop: Shop, body: bytes) -> None:
    session_id = shop.session()

    answer = service.post(f"/support/sessions/{session_id}/fulfill", headers=STAFF, content=body)

    assert answer.status_code == 400
    assert answer.json()["error"]


def test_a_session_the_ledger_never_heard_of_is_answered_404_and_recorded_nowhere(
    service: TestClient, shop: Shop
) -> None:
    session_id = shop.session()  # Stripe knows it; no webhook about it ever arrived

    answer = service.post(f"/support/sessions/{session_id}/fulfill", headers=STAFF)

    assert answer.status_code == 404
    assert service.get(f"/sessions/{session_id}/history", headers=STAFF).status_code == 404
