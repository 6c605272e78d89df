"""The public pages through HTTP: storefront, Checkout creation and the success page.

The service talks to the project's Stripe emulator through the official SDK, on SQLite and
PostgreSQL; payments are made through the emulator's control API, as the hosted page would.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.system import Seams
from emulator.server import EmulatorServer
from tests.conftest import STAFF, service_env, settle
from tests.support.emulator import DECLINED_CARD, GOOD_CARD, EmulatorControl
from tests.support.webhooks import signed

PUBLIC_URL = "http://127.0.0.1:4242"


@pytest.fixture
def settings(database_url: str, emulator: EmulatorServer) -> Settings:
    """The service's settings with the SDK pointed at the session's emulator."""
    return Settings.from_env(service_env(database_url, STRIPE_API_BASE=emulator.url))


@pytest.fixture
def catalog(stripe_emulator: EmulatorControl) -> dict[str, dict[str, Any]]:
    """The seeded demo prices, by lookup key."""
    return stripe_emulator.seed()


def checkout(client: TestClient, **form: str) -> str:
    """``POST /create-checkout-session``; the new session's id (asserts the 303)."""
    response = client.post("/create-checkout-session", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[-1]


def history_types(client: TestClient, session_id: str) -> list[str]:
    response = client.get(f"/sessions/{session_id}/history", headers=STAFF)
    if response.status_code == 404:
        return []
    return [event["type"] for event in response.json()["events"]]


def deliver(client: TestClient, event: dict[str, Any]) -> None:
    """Send a Stripe event (as the emulator served it) signed to ``/webhook``, and apply it."""
    payload, headers = signed(json.dumps(event).encode())
    assert client.post("/webhook", content=payload, headers=headers).status_code == 200
    settle(client)


# Storefront -------------------------------------------------------------------------------


def test_storefront_lists_the_seeded_prices_with_their_checkout_forms(
    client: TestClient, catalog: dict[str, dict[str, Any]]
) -> None:
    response = client.get("/")

    page = response.text
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for name, amount in [("Ledger T-shirt", "$25.00"), ("Sticker pack", "$5.00"),
                         ("Pro plan", "$15.00 / month")]:
        assert name in page and amount in page
    assert f'name="price" value="{catalog["ledger_tshirt"]["id"]}"' in page
    pro_plan_form = page[page.index(catalog["pro_plan_monthly"]["id"]):]
    assert 'value="subscription"' in pro_plan_form.split("</form>")[0]
    assert 'name="mode" value="setup"' in page and "Save a card" in page
    assert 'id="local-mode"' not in page


def test_storefront_shows_the_local_mode_banner_when_running_on_the_emulator(
    settings: Settings, emulator: EmulatorServer, catalog: dict[str, dict[str, Any]]
) -> None:
    local = replace(settings, emulator_url=emulator.url)

    with TestClient(create_app(local, follow=False)) as client:
        page = client.get("/").text

    assert 'id="local-mode"' in page and emulator.url in page


def test_storefront_answers_503_when_stripe_is_unreachable(database_url: str) -> None:
    settings = Settings.from_env(service_env(database_url))  # STRIPE_API_BASE: nothing listens

    with TestClient(create_app(settings, follow=False)) as client:
        response = client.get("/")

    assert response.status_code == 503
    assert "unavailable" in response.text


# Creating Checkout Sessions ---------------------------------------------------------------


def test_create_checkout_session_redirects_to_the_hosted_page_with_our_success_url(
    client: TestClient, stripe_emulator: EmulatorControl, catalog: dict[str, dict[str, Any]]
) -> None:
    price = catalog["ledger_tshirt"]["id"]

    response = client.post("/create-checkout-session",
                           data={"mode": "payment", "price": price, "quantity": "3"},
                           follow_redirects=False)

    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(f"{stripe_emulator.url}/pay/cs_")
    session = stripe_emulator.session(location.rsplit("/", 1)[-1])
    assert session["url"] == location
    assert session["success_url"] == f"{PUBLIC_URL}/success?session_id={{CHECKOUT_SESSION_ID}}"
    assert session["cancel_url"] == f"{PUBLIC_URL}/?checkout=canceled"
    assert (session["mode"], session["amount_total"], session["currency"]) == ("payment", 7500, "usd")


def test_quantity_defaults_to_one(
    client: TestClient, stripe_emulator: EmulatorControl, catalog: dict[str, dict[str, Any]]
) -> None:
    session_id = checkout(client, mode="payment", price=catalog["sticker_pack"]["id"])

    assert stripe_emulator.session(session_id)["amount_total"] == 500


def test_checkout_for_an_existing_customer_reuses_the_customer(
    client: TestClient, stripe_emulator: EmulatorControl, catalog: dict[str, dict[str, Any]]
) -> None:
    customer = stripe_emulator.customer()

    session_id = checkout(client, mode="payment", price=catalog["ledger_tshirt"]["id"],
                         customer=customer)

    assert stripe_emulator.session(session_id)["customer"] == customer


def test_save_a_card_creates_a_setup_mode_session_in_usd(
    client: TestClient, stripe_emulator: EmulatorControl
) -> None:
    session_id = checkout(client, mode="setup", currency="usd")

    session = stripe_emulator.session(session_id)
    assert (session["mode"], session["currency"]) == ("setup", "usd")


def test_subscription_mode_creates_a_subscription_session_for_a_recurring_price(
    client: TestClient, stripe_emulator: EmulatorControl, catalog: dict[str, dict[str, Any]]
) -> None:
    session_id = checkout(client, mode="subscription", price=catalog["pro_plan_monthly"]["id"])

    assert stripe_emulator.session(session_id)["mode"] == "subscription"


MALFORMED: dict[str, dict[str, Any]] = {
    "nothing at all": {},
    "an unknown mode": {"mode": "refund", "price": "{tshirt}"},
    "no price in payment mode": {"mode": "payment"},
    "no price in subscription mode": {"mode": "subscription"},
    "a product id for a price": {"mode": "payment", "price": "prod_123"},
    "a price id with spaces": {"mode": "payment", "price": "price_1 OR 1=1"},
    "quantity zero": {"mode": "payment", "price": "{tshirt}", "quantity": "0"},
    "quantity above 999": {"mode": "payment", "price": "{tshirt}", "quantity": "1000"},
    "a negative quantity": {"mode": "payment", "price": "{tshirt}", "quantity": "-1"},
    "a fractional quantity": {"mode": "payment", "price": "{tshirt}", "quantity": "1.5"},
    "a quantity in words": {"mode": "payment", "price": "{tshirt}", "quantity": "two"},
    "a customer that is not cus_": {"mode": "payment", "price": "{tshirt}", "customer": "acct_1"},
    "a currency outside setup mode": {"mode": "payment", "price": "{tshirt}", "currency": "usd"},
    "a price in setup mode": {"mode": "setup", "price": "{tshirt}"},
    "a currency that is not 3 letters": {"mode": "setup", "currency": "dollars"},
    "the price twice": {"mode": "payment", "price": ["{tshirt}", "{stickers}"]},
    "a price Stripe does not know": {"mode": "payment", "price": "price_doesnotexist"},
    "a customer Stripe does not know": {"mode": "payment", "price": "{tshirt}",
                                        "customer": "cus_doesnotexist"},
    "a one-time price in subscription mode": {"mode": "subscription", "price": "{tshirt}"},
    "a recurring price in payment mode": {"mode": "payment", "price": "{pro}"},
}


def _filled(form: dict[str, Any], catalog: dict[str, dict[str, Any]]) -> dict[str, Any]:
    ids = {"{tshirt}": catalog["ledger_tshirt"]["id"], "{stickers}": catalog["sticker_pack"]["id"],
           "{pro}": catalog["pro_plan_monthly"]["id"]}
    return {k: [ids.get(x, x) for x in v] if isinstance(v, list) else ids.get(v, v)
            for k, v in form.items()}


@pytest.mark.parametrize("form", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_checkout_form_answers_400_and_creates_nothing(
    client: TestClient, stripe_emulator: EmulatorControl, catalog: dict[str, dict[str, Any]],
    form: dict[str, Any],
) -> None:
    before = stripe_emulator.session_ids()

    response = client.post("/create-checkout-session", data=_filled(form, catalog),
                           follow_redirects=False)

    assert response.status_code == 400
    assert response.json()["error"]
    assert stripe_emulator.session_ids() == before


def test_a_malformed_checkout_form_from_a_browser_gets_an_html_error_page(
    client: TestClient,
) -> None:
    response = client.post("/create-checkout-session", data={"mode": "payment", "quantity": "0"},
                           headers={"Accept": "text/html"}, follow_redirects=False)

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "quantity must be an integer from 1 to 999" in response.text


def test_stripe_rejections_are_passed_on_with_stripes_message(
    client: TestClient, catalog: dict[str, dict[str, Any]]
) -> None:
    response = client.post("/create-checkout-session",
                           data={"mode": "payment", "price": "price_doesnotexist"},
                           follow_redirects=False)

    assert response.status_code == 400
    assert "price_doesnotexist" in response.json()["error"]


def test_create_checkout_session_answers_503_when_stripe_is_unreachable(database_url: str) -> None:
    settings = Settings.from_env(service_env(database_url))  # STRIPE_API_BASE: nothing listens

    with TestClient(create_app(settings, follow=False)) as client:
        response = client.post("/create-checkout-session",
                               data={"mode": "payment", "price": "price_123"},
                               follow_redirects=False)

    assert response.status_code == 503
    assert "payments are unavailable" in response.json()["error"].lower()


# The success page -------------------------------------------------------------------------


def test_paying_with_4242_then_landing_on_success_fulfils_the_items_once(
    client: TestClient, stripe_emulator: EmulatorControl, catalog: dict[str, dict[str, Any]]
) -> None:
    session_id = checkout(client, mode="payment", price=catalog["ledger_tshirt"]["id"],
                          quantity="2")
    paid = stripe_emulator.pay(session_id, card=GOOD_CARD)
    assert paid.status_code == 200
    assert paid.json()["redirect_url"] == f"{PUBLIC_URL}/success?session_id={session_id}"

    response = client.get("/success", params={"session_id": session_id})

    page = response.text
    assert response.status_code == 200
    assert 'data-status="fulfilled"' in page
    assert "Ledger T-shirt" in page and "$50.00" in page
    assert "Granted: 2 x Ledger T-shirt" in page
    settle(client, fulfil=True)  # the ledger copies the fulfillment into the session's history
    history = client.get(f"/sessions/{session_id}/history", headers=STAFF).json()["events"]
    fulfilled = [e for e in history if e["type"] == "Fulfilled"]
    assert len(fulfilled) == 1
    assert fulfilled[0]["data"]["trigger"] == "success_page"


def test_reloading_the_success_page_fulfils_nothing_new(
    client: TestClient, stripe_emulator: EmulatorControl, catalog: dict[str, dict[str, Any]]
) -> None:
    session_id = checkout(client, mode="payment", price=catalog["sticker_pack"]["id"])
    stripe_emulator.pay(session_id, card=GOOD_CARD).raise_for_status()
    first = client.get("/success", params={"session_id": session_id})
    settle(client, fulfil=True)
    recorded = history_types(client, session_id)

    again = client.get("/success", params={"session_id": session_id})
    settle(client, fulfil=True)

    assert history_types(client, session_id) == recorded
    assert recorded.count("Fulfilled") == 1
    assert again.status_code == 200
    assert 'data-status="fulfilled"' in again.text
    assert "Granted: 1 x Sticker pack" in first.text and "Granted: 1 x Sticker pack" in again.text


def test_a_delayed_bank_debit_shows_payment_processing_until_it_settles(
    client: TestClient, stripe_emulator: EmulatorControl, catalog: dict[str, dict[str, Any]]
) -> None:
    session_id = checkout(client, mode="payment", price=catalog["ledger_tshirt"]["id"])
    stripe_emulator.pay(session_id, method="bank_debit_succeeds").raise_for_status()

    processing = client.get("/success", params={"session_id": session_id})
    stripe_emulator.settle(session_id)
    settled = client.get("/success", params={"session_id": session_id})
    settle(client, fulfil=True)

    assert processing.status_code == 200
    assert 'data-status="processing"' in processing.text and "Payment processing" in processing.text
    assert "Ledger T-shirt" in processing.text and "Granted:" not in processing.text
    assert 'data-status="fulfilled"' in settled.text
    assert history_types(client, session_id).count("Fulfilled") == 1


def test_a_failed_bank_debit_shows_the_failure_and_fulfils_nothing(
    client: TestClient, stripe_emulator: EmulatorControl, catalog: dict[str, dict[str, Any]]
) -> None:
    session_id = checkout(client, mode="payment", price=catalog["ledger_tshirt"]["id"])
    stripe_emulator.pay(session_id, method="bank_debit_fails").raise_for_status()
    stripe_emulator.settle(session_id)
    [failed] = stripe_emulator.events(session_id, "checkout.session.async_payment_failed")
    deliver(client, failed)

    response = client.get("/success", params={"session_id": session_id})

    assert response.status_code == 200
    assert 'data-status="failed"' in response.text and "Payment failed" in response.text
    assert "Fulfilled" not in history_types(client, session_id)


def test_an_expired_session_is_never_fulfilled(
    client: TestClient, stripe_emulator: EmulatorControl, catalog: dict[str, dict[str, Any]]
) -> None:
    session_id = checkout(client, mode="payment", price=catalog["ledger_tshirt"]["id"])
    stripe_emulator.expire(session_id)
    [expired] = stripe_emulator.events(session_id, "checkout.session.expired")
    deliver(client, expired)

    response = client.get("/success", params={"session_id": session_id})
    settle(client, fulfil=True)

    assert response.status_code == 200
    assert 'data-status="expired"' in response.text and "Checkout expired" in response.text
    assert history_types(client, session_id) == ["Expired"]


def test_a_declined_card_leaves_the_session_open_and_unfulfilled(
    client: TestClient, stripe_emulator: EmulatorControl, catalog: dict[str, dict[str, Any]]
) -> None:
    session_id = checkout(client, mode="payment", price=catalog["ledger_tshirt"]["id"])
    declined = stripe_emulator.pay(session_id, card=DECLINED_CARD)

    response = client.get("/success", params={"session_id": session_id})

    assert declined.status_code == 402
    assert 'data-status="open"' in response.text and "Payment not completed" in response.text
    assert "Fulfilled" not in history_types(client, session_id)


def test_saving_a_card_shows_card_saved(
    client: TestClient, stripe_emulator: EmulatorControl
) -> None:
    session_id = checkout(client, mode="setup", currency="usd")
    stripe_emulator.pay(session_id, card=GOOD_CARD).raise_for_status()

    response = client.get("/success", params={"session_id": session_id})

    assert response.status_code == 200
    assert 'data-status="not_required"' in response.text and "Card saved" in response.text


def test_a_paid_subscription_checkout_is_fulfilled(
    client: TestClient, stripe_emulator: EmulatorControl, catalog: dict[str, dict[str, Any]]
) -> None:
    session_id = checkout(client, mode="subscription", price=catalog["pro_plan_monthly"]["id"])
    stripe_emulator.pay(session_id, card=GOOD_CARD).raise_for_status()

    response = client.get("/success", params={"session_id": session_id})

    assert 'data-status="fulfilled"' in response.text and "Granted: 1 x Pro plan" in response.text


@pytest.mark.parametrize("query, status", [
    ("", 400),
    ("?session_id=", 400),
    ("?session_id=pi_123", 400),
    ("?session_id=cs_test_<script>", 400),
    ("?session_id=cs_test_a&session_id=cs_test_b", 400),
    ("?session_id=cs_" + "a" * 300, 400),
    ("?session_id=cs_test_doesnotexist", 404),
], ids=["missing", "empty", "not cs_", "bad characters", "twice", "too long", "unknown"])
def test_success_with_a_missing_malformed_or_unknown_id_is_a_client_error(
    client: TestClient, query: str, status: int
) -> None:
    response = client.get(f"/success{query}")

    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert "<script>" not in response.text


def test_success_answers_503_when_stripe_stays_unreachable(database_url: str) -> None:
    settings = Settings.from_env(service_env(database_url))  # STRIPE_API_BASE: nothing listens

    with TestClient(create_app(settings, follow=False, seams=Seams(retry_delays=()))) as client:
        response = client.get("/success", params={"session_id": "cs_test_unreachable"})

    assert response.status_code == 503
    assert "reload this page" in response.text
