"""Saved cards from setup mode and existing customers: through HTTP, the real SDK and the
emulator, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

from starlette.testclient import TestClient

from domain.model.card_setup import card_setup_uuid
from tests.conftest import STAFF, settle
from tests.support.purchases import Shop

pytest_plugins = ["tests.support.purchase_fixtures"]  # the emulator, service and shop fixtures

VISA, MASTERCARD = "4242424242424242", "5555555555554444"


def save_card(service: TestClient, shop: Shop, *, customer: str | None = None,
              card: str = VISA) -> str:
    """A setup-mode session paid with ``card`` and its webhook delivered; the customer."""
    session_id = shop.setup_session(customer=customer)
    shop.pay(session_id, card=card)
    shop.deliver(service, session_id, "checkout.session.completed")
    settle(service, fulfil=True)
    setup = service.app.state.services.cards.current(card_setup_uuid(session_id))  # type: ignore[attr-defined]
    assert setup is not None and setup.saved is not None, getattr(setup, "error", None)
    return str(setup.saved.customer)


def cards(service: TestClient, customer: str) -> list[dict]:  # type: ignore[type-arg]
    answer = service.get(f"/customers/{customer}/payment-methods", headers=STAFF)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["payment_methods"])


def test_a_card_saved_without_a_customer_gets_a_new_customer_and_becomes_its_default(
    service: TestClient, shop: Shop
) -> None:
    customer = save_card(service, shop)

    [card] = cards(service, customer)
    assert customer.startswith("cus_")
    assert (card["brand"], card["last4"], card["default"], card["status"]) == (
        "visa", "4242", True, "active")
    assert card["saved_from_session"].startswith("cs_") and card["saved_at"]
    stripe_customer = shop.sdk.v1.customers.retrieve(customer)
    assert stripe_customer.invoice_settings.default_payment_method == card["id"]


def test_a_card_saved_for_an_existing_customer_joins_its_cards_and_keeps_the_default(
    service: TestClient, shop: Shop
) -> None:
    customer = shop.customer()
    save_card(service, shop, customer=customer, card=VISA)

    save_card(service, shop, customer=customer, card=MASTERCARD)

    saved = cards(service, customer)
    assert [(c["last4"], c["default"]) for c in saved] == [("4242", True), ("4444", False)]


def test_the_same_card_saved_twice_is_one_card(service: TestClient, shop: Shop) -> None:
    customer = shop.customer()
    save_card(service, shop, customer=customer, card=VISA)

    save_card(service, shop, customer=customer, card=VISA)

    assert [c["last4"] for c in cards(service, customer)] == ["4242"]


def test_the_customer_shows_its_sessions_cards_and_charges(
    service: TestClient, shop: Shop
) -> None:
    customer = save_card(service, shop)
    paid = shop.session(customer=customer)
    shop.pay(paid)
    shop.deliver(service, paid, "checkout.session.completed")
    charged = service.post(f"/customers/{customer}/charges", headers=STAFF,
                           json={"amount": 1500, "currency": "usd"}).json()
    settle(service, fulfil=True)

    view = service.get(f"/customers/{customer}", headers=STAFF).json()

    assert view["customer"] == customer
    assert [s["mode"] for s in view["sessions"]] == ["setup", "payment"]
    assert [c["last4"] for c in view["payment_methods"]] == ["4242"]
    assert [c["id"] for c in view["charges"]] == [charged["id"]]
    assert view["subscriptions"] == []
    assert [(e["source"], e["kind"], e["description"]) for e in view["entitlements"]] == [
        (paid, "one_time", "Ledger T-shirt")]  # the purchase; the charge entitles to nothing


def test_a_card_detached_at_stripe_is_shown_as_detached_and_never_charged(
    service: TestClient, shop: Shop
) -> None:
    customer = save_card(service, shop)
    [card] = cards(service, customer)
    shop.sdk.v1.payment_methods.detach(card["id"])
    shop.deliver(service, card["id"], "payment_method.detached")
    settle(service, fulfil=True)

    refused = service.post(f"/customers/{customer}/charges", headers=STAFF,
                           json={"amount": 1500, "currency": "usd"})

    assert [c["status"] for c in cards(service, customer)] == ["detached"]
    assert refused.status_code == 400 and "detached" in refused.json()["error"]
    assert shop.payment_intents(customer) == []


def test_customer_routes_refuse_what_they_cannot_answer(service: TestClient) -> None:
    unknown = service.get("/customers/cus_never_seen_here", headers=STAFF)
    malformed = service.get("/customers/not-a-customer/payment-methods", headers=STAFF)
    anonymous = service.get("/customers/cus_never_seen_here")

    assert (unknown.status_code, malformed.status_code, anonymous.status_code) == (404, 400, 401)


def test_checkout_for_an_unknown_customer_is_a_clear_400(
    make_service: Callable[..., TestClient],
) -> None:
    service = make_service()

    answer = service.post("/create-checkout-session",
                          data={"mode": "setup", "customer": "cus_nobody_at_stripe"})

    assert answer.status_code == 400
    assert "no such customer" in answer.json()["error"]


def test_the_customer_views_rebuilt_from_the_logs_match_the_live_ones(
    service: TestClient, shop: Shop
) -> None:
    from adapters.runner import Follower
    from api.views import plain
    from domain.apps.customers import Customers

    first = save_card(service, shop)
    second = shop.customer()
    save_card(service, shop, customer=second, card=VISA)
    save_card(service, shop, customer=second, card=MASTERCARD)
    service.post(f"/customers/{second}/charges", headers=STAFF,
                 json={"amount": 900, "currency": "usd"})
    settle(service, fulfil=True)
    services = service.app.state.services  # type: ignore[attr-defined]
    rebuilt = Customers(env={"PERSISTENCE_MODULE": "eventsourcing.popo",
                             "TRANSCODER_TOPIC": "adapters.fast_json:Transcoder"})

    for upstream in (services.ledger, services.cards, services.charges):
        Follower(upstream, rebuilt).catch_up()

    for customer_id in (first, second):
        live, again = services.customers.customer(customer_id), rebuilt.customer(customer_id)
        assert again is not None and live is not None
        own = {"_pending_events", "_created_on", "_modified_on"}  # when each recorded it
        assert plain({k: v for k, v in vars(again).items() if k not in own}) == plain(
            {k: v for k, v in vars(live).items() if k not in own})
