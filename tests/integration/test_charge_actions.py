"""Support's actions on off-session charges: retry now, and a new recovery link; each
recorded in the charge's history with the staff member's name, and safe to repeat."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.conftest import STAFF, settle
from tests.integration.test_charges import charge
from tests.integration.test_saved_cards import save_card
from tests.support.purchases import Shop

pytest_plugins = ["tests.support.purchase_fixtures"]

BOB = {"Authorization": "Bearer bob-token-0123456789"}
INSUFFICIENT_FUNDS = "4000000000009995"


def history(service: TestClient, charge_id: str) -> list[dict]:  # type: ignore[type-arg]
    return list(service.get(f"/charges/{charge_id}", headers=STAFF).json()["history"])


def case(service: TestClient, charge_id: str) -> list[dict]:  # type: ignore[type-arg]
    failures = service.get("/support/failures", headers=STAFF).json()["failures"]
    return [f for f in failures if f["id"] == charge_id]


def test_retrying_a_declined_charge_makes_a_new_attempt_recorded_with_the_staff_member(
    service: TestClient, shop: Shop
) -> None:
    customer = save_card(service, shop, card=INSUFFICIENT_FUNDS)
    _, declined = charge(service, customer)
    settle(service, fulfil=True)

    answer = service.post(f"/support/charges/{declined['id']}/retry", headers=BOB,
                          json={"reason": "customer says the money is there now"})
    settle(service, fulfil=True)

    assert answer.status_code == 200, answer.text
    assert (answer.json()["outcome"], answer.json()["actor"]) == ("retried", "bob")
    assert answer.json()["charge"]["status"] == "requires_payment_method"
    assert len(shop.payment_intents(customer)) == 2  # a new attempt, with a key of its own
    events = history(service, declined["id"])
    assert [e["type"] for e in events][-3:] == ["StaffActionRequested", "RetryStarted",
                                                "Declined"]
    asked = events[-3]
    assert (asked["actor"], asked["data"]["action"], asked["data"]["reason"]) == (
        "bob", "retry", "customer says the money is there now")
    assert [c["attempts"] for c in case(service, declined["id"])] == [2]


def test_retrying_a_charge_that_succeeded_charges_nothing_and_says_so(
    service: TestClient, shop: Shop
) -> None:
    customer = save_card(service, shop)
    _, charged = charge(service, customer)

    answer = service.post(f"/support/charges/{charged['id']}/retry", headers=STAFF)

    assert answer.json()["outcome"] == "nothing_to_do"
    assert answer.json()["detail"] == "already charged"
    assert len(shop.payment_intents(customer)) == 1
    assert [e["type"] for e in history(service, charged["id"])] == [
        "Requested", "Succeeded", "StaffActionRequested"]


def test_a_new_recovery_link_is_a_new_session_sent_to_the_customer(
    service: TestClient, shop: Shop
) -> None:
    customer = save_card(service, shop, card=INSUFFICIENT_FUNDS)
    _, declined = charge(service, customer)
    settle(service, fulfil=True)

    answer = service.post(f"/support/charges/{declined['id']}/recovery-link", headers=BOB,
                          json={"reason": "lost the first email"})
    settle(service, fulfil=True)

    assert answer.json()["outcome"] == "sent"
    after = service.get(f"/charges/{declined['id']}", headers=STAFF).json()
    assert after["recovery_url"] != declined["recovery_url"]
    types = [e["type"] for e in after["history"]]
    assert types[-3:] == ["StaffActionRequested", "RecoveryRenewed", "CustomerNotified"]
    assert after["history"][-1]["data"] == {"reason": "charge_failed:2", "to": "ada@example.com"}
    sent = service.app.state.services.notices.notifier.sent  # type: ignore[attr-defined]
    assert [s for s in sent if s[0] == "ada@example.com"].count(
        ("ada@example.com", "We could not charge your saved card")) >= 2


def test_charge_actions_answer_404_for_an_unknown_charge_and_400_for_a_malformed_id(
    service: TestClient
) -> None:
    unknown = service.post("/support/charges/chg_" + "0" * 24 + "/retry", headers=STAFF)
    malformed = service.post("/support/charges/ch_123/recovery-link", headers=STAFF)

    assert unknown.status_code == 404
    assert malformed.status_code == 400
