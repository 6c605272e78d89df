"""Payment Links through HTTP: staff create, list and deactivate them; a customer pays through
one and the session is fulfilled like any other, from the webhook and from the success page.

The service talks to the project's emulator through the official SDK, on SQLite and on a
PostgreSQL database of each test's own (the service keeps one book of links per store).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from emulator.server import EmulatorServer
from tests.conftest import STAFF, settle
from tests.support.purchases import API_KEY, Shop, history_types

pytest_plugins = ["tests.support.purchase_fixtures"]  # the emulator, service and shop fixtures

COMPLETED = "checkout.session.completed"
PUBLIC_URL = "http://127.0.0.1:4242"
BOB = {"Authorization": "Bearer bob-token-0123456789"}


@pytest.fixture
def database_url(own_database_url: str) -> str:
    """One book of links per store: each test starts from an empty one."""
    return own_database_url


@pytest.fixture
def emulator_api(stripe_emulator: EmulatorServer) -> Any:
    """Raw ``/v1`` of the emulator, with the service's API key (to look at what Stripe has)."""
    with httpx.Client(base_url=stripe_emulator.url, trust_env=False, timeout=15,
                      headers={"Authorization": f"Bearer {API_KEY}"}) as http:
        yield http


@pytest.fixture
def price(shop: Shop) -> str:
    """A one-time price of $18.00 (a new one per test)."""
    return str(shop.sdk.v1.prices.create(params={
        "currency": "usd", "unit_amount": 1800, "product_data": {"name": "Sticker pack"}}).id)


def create(service: TestClient, body: Any, headers: dict[str, str] = STAFF) -> httpx.Response:
    return service.post("/payment-links", json=body, headers=headers)


def links_at_stripe(emulator_api: httpx.Client) -> int:
    listed = emulator_api.get("/v1/payment_links", params={"limit": 100})
    listed.raise_for_status()
    return len(listed.json()["data"])


def open_link(url: str) -> str:
    """A customer opens the link: the new Checkout Session's id."""
    answer = httpx.get(url, trust_env=False, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].rsplit("/", 1)[1]


def session_state(service: TestClient, session_id: str) -> dict[str, Any]:
    answer = service.get(f"/sessions/{session_id}", headers=STAFF)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


# Creating and listing -----------------------------------------------------------------------


def test_a_link_is_created_at_stripe_redirecting_to_the_success_page(
    service: TestClient, price: str, emulator_api: httpx.Client
) -> None:
    answer = create(service, {"price": price, "quantity": 2, "metadata": {"campaign": "spring"}})

    assert answer.status_code == 201, answer.text
    link = answer.json()
    assert set(link) >= {"id", "url", "price", "quantity", "active", "created_at"}
    assert link["id"].startswith("plink_")
    assert (link["price"], link["quantity"], link["active"]) == (price, 2, True)
    assert link["metadata"] == {"campaign": "spring"}
    assert link["created_by"] == "alice"
    at_stripe = emulator_api.get(f"/v1/payment_links/{link['id']}").json()
    assert at_stripe["url"] == link["url"]
    assert at_stripe["after_completion"] == {
        "type": "redirect",
        "redirect": {"url": f"{PUBLIC_URL}/success?session_id={{CHECKOUT_SESSION_ID}}"}}
    assert at_stripe["metadata"] == {"campaign": "spring"}
    items = emulator_api.get(f"/v1/payment_links/{link['id']}/line_items").json()["data"]
    assert [(i["price"]["id"], i["quantity"]) for i in items] == [(price, 2)]


def test_quantity_defaults_to_one(service: TestClient, price: str) -> None:
    answer = create(service, {"price": price})

    assert answer.status_code == 201, answer.text
    assert answer.json()["quantity"] == 1


def test_the_list_holds_every_link_the_service_created_newest_first(
    service: TestClient, price: str
) -> None:
    first = create(service, {"price": price}).json()
    second = create(service, {"price": price, "quantity": 3}, headers=BOB).json()

    listed = service.get("/payment-links", headers=STAFF)

    assert listed.status_code == 200
    links = listed.json()["payment_links"]
    assert [link["id"] for link in links] == [second["id"], first["id"]]
    assert [link["created_by"] for link in links] == ["bob", "alice"]
    assert links[0] == second


def test_the_list_is_the_services_own_record_not_every_link_of_the_account(
    service: TestClient, price: str, shop: Shop
) -> None:
    shop.sdk.v1.payment_links.create(params={"line_items": [{"price": price, "quantity": 1}]})
    ours = create(service, {"price": price}).json()

    links = service.get("/payment-links", headers=STAFF).json()["payment_links"]

    assert [link["id"] for link in links] == [ours["id"]]


def test_the_list_reads_back_after_a_restart(
    make_service: Callable[..., TestClient], price: str
) -> None:
    created = create(make_service(), {"price": price}).json()

    restarted = make_service()

    assert restarted.get("/payment-links", headers=STAFF).json()["payment_links"] == [created]


# A customer pays through a link ---------------------------------------------------------------


def test_a_session_paid_through_a_link_records_it_and_is_fulfilled_by_the_webhook(
    service: TestClient, price: str, shop: Shop
) -> None:
    link = create(service, {"price": price, "quantity": 2}).json()
    session_id = open_link(link["url"])
    shop.pay(session_id)

    shop.deliver(service, session_id, COMPLETED)
    settle(service, fulfil=True)

    state = session_state(service, session_id)
    assert state["payment_link"] == link["id"]
    assert (state["amount_total"], state["payment_status"]) == (3600, "paid")
    fulfillment = state["fulfillment"]
    assert (fulfillment["status"], fulfillment["trigger"]) == ("fulfilled", "webhook")
    assert [(i["price"], i["quantity"]) for i in fulfillment["line_items"]] == [(price, 2)]
    assert history_types(service, session_id, STAFF).count("Fulfilled") == 1


def test_the_customer_lands_on_the_success_page_which_fulfils_the_session(
    service: TestClient, price: str, shop: Shop
) -> None:
    link = create(service, {"price": price}).json()
    session_id = open_link(link["url"])
    paid = shop.http.post(f"/_emulator/checkout/sessions/{session_id}/pay",
                          json={"card": "4242424242424242"}).json()
    assert paid["redirect_url"] == f"{PUBLIC_URL}/success?session_id={session_id}"

    page = service.get(f"/success?session_id={session_id}")
    shop.deliver(service, session_id, COMPLETED)  # the webhook comes second: nothing twice
    settle(service, fulfil=True)

    assert page.status_code == 200
    assert 'data-status="fulfilled"' in page.text
    state = session_state(service, session_id)
    assert state["payment_link"] == link["id"]
    assert state["fulfillment"]["trigger"] == "success_page"
    assert history_types(service, session_id, STAFF).count("Fulfilled") == 1


def test_a_session_not_from_a_link_has_no_payment_link(service: TestClient, shop: Shop) -> None:
    session_id = shop.session()
    shop.pay(session_id)
    shop.deliver(service, session_id, COMPLETED)
    settle(service)

    assert session_state(service, session_id)["payment_link"] is None


def test_a_link_to_a_recurring_price_opens_a_subscription_fulfilled_the_same_way(
    service: TestClient, shop: Shop
) -> None:
    monthly = shop.sdk.v1.prices.create(params={
        "currency": "usd", "unit_amount": 1500, "recurring": {"interval": "month"},
        "product_data": {"name": "Pro plan"}}).id
    link = create(service, {"price": monthly}).json()
    session_id = open_link(link["url"])
    shop.pay(session_id)

    shop.deliver(service, session_id, COMPLETED)
    settle(service, fulfil=True)

    state = session_state(service, session_id)
    assert (state["mode"], state["payment_link"]) == ("subscription", link["id"])
    assert state["fulfillment"]["status"] == "fulfilled"


# Deactivating ---------------------------------------------------------------------------------


def test_a_deactivated_link_is_inactive_at_stripe_and_opens_no_session(
    service: TestClient, price: str, emulator_api: httpx.Client
) -> None:
    link = create(service, {"price": price}).json()

    answer = service.post(f"/payment-links/{link['id']}/deactivate", headers=BOB,
                          json={"reason": "campaign over"})

    assert answer.status_code == 200, answer.text
    assert answer.json()["active"] is False
    assert answer.json()["deactivated_by"] == "bob"
    assert emulator_api.get(f"/v1/payment_links/{link['id']}").json()["active"] is False
    page = httpx.get(link["url"], trust_env=False, follow_redirects=False)
    assert page.status_code == 200 and 'id="link-inactive"' in page.text
    listed = service.get("/payment-links", headers=STAFF).json()["payment_links"]
    assert [(item["id"], item["active"]) for item in listed] == [(link["id"], False)]


def test_deactivating_twice_changes_nothing_the_second_time(
    service: TestClient, price: str
) -> None:
    link = create(service, {"price": price}).json()
    first = service.post(f"/payment-links/{link['id']}/deactivate", headers=STAFF).json()

    again = service.post(f"/payment-links/{link['id']}/deactivate", headers=BOB)

    assert again.status_code == 200
    assert again.json() == first


def test_a_link_the_service_did_not_create_is_not_found(
    service: TestClient, price: str, shop: Shop, emulator_api: httpx.Client
) -> None:
    theirs = shop.sdk.v1.payment_links.create(params={
        "line_items": [{"price": price, "quantity": 1}]}).id

    answer = service.post(f"/payment-links/{theirs}/deactivate", headers=STAFF)

    assert answer.status_code == 404
    assert "not found" in answer.json()["error"]
    assert emulator_api.get(f"/v1/payment_links/{theirs}").json()["active"] is True


@pytest.mark.parametrize("link_id", ["plink_", "cs_test_123", "plink_a-b", "x" * 300])
def test_a_malformed_link_id_is_a_400(service: TestClient, link_id: str) -> None:
    answer = service.post(f"/payment-links/{link_id}/deactivate", headers=STAFF)

    assert answer.status_code == 400
    assert "plink_" in answer.json()["error"]


@pytest.mark.parametrize("body", [{"reason": 5}, {"reason": ""}, {"why": "x"}, [1]])
def test_a_malformed_deactivation_body_is_a_400_and_the_link_stays_active(
    service: TestClient, price: str, body: Any, emulator_api: httpx.Client
) -> None:
    link = create(service, {"price": price}).json()

    answer = service.post(f"/payment-links/{link['id']}/deactivate", headers=STAFF, json=body)

    assert answer.status_code == 400
    assert emulator_api.get(f"/v1/payment_links/{link['id']}").json()["active"] is True


# Bad input never reaches Stripe ------------------------------------------------------------------

MALFORMED = [
    ({}, "price"),
    ({"price": None}, "price"),
    ({"price": 123}, "price"),
    ({"price": "prod_123"}, "price"),
    ({"price": "price_"}, "price"),
    ({"price": "price_abc def"}, "price"),
    ({"price": "price_x", "quantity": 0}, "quantity"),
    ({"price": "price_x", "quantity": -1}, "quantity"),
    ({"price": "price_x", "quantity": 1000}, "quantity"),
    ({"price": "price_x", "quantity": "2"}, "quantity"),
    ({"price": "price_x", "quantity": 1.5}, "quantity"),
    ({"price": "price_x", "quantity": True}, "quantity"),
    ({"price": "price_x", "quantity": None}, "quantity"),
    ({"price": "price_x", "metadata": "spring"}, "metadata"),
    ({"price": "price_x", "metadata": ["a"]}, "metadata"),
    ({"price": "price_x", "metadata": {"campaign": 5}}, "metadata"),
    ({"price": "price_x", "metadata": {"campaign": None}}, "metadata"),
    ({"price": "price_x", "metadata": {"k" * 41: "v"}}, "metadata"),
    ({"price": "price_x", "metadata": {"": "v"}}, "metadata"),
    ({"price": "price_x", "metadata": {"a[b]": "v"}}, "metadata"),
    ({"price": "price_x", "metadata": {"k": "v" * 501}}, "metadata"),
    ({"price": "price_x", "metadata": {f"k{i}": "v" for i in range(51)}}, "metadata"),
    ({"price": "price_x", "mode": "payment"}, "unknown field"),
    ({"price": "price_x", "after_completion": {"type": "redirect"}}, "unknown field"),
]


@pytest.mark.parametrize(("body", "named"), MALFORMED)
def test_malformed_input_is_a_400_naming_the_problem_and_never_reaches_stripe(
    service: TestClient, emulator_api: httpx.Client, body: dict[str, Any], named: str
) -> None:
    before = links_at_stripe(emulator_api)

    answer = create(service, body)

    assert answer.status_code == 400, answer.text
    assert named in answer.json()["error"]
    assert links_at_stripe(emulator_api) == before
    assert service.get("/payment-links", headers=STAFF).json()["payment_links"] == []


@pytest.mark.parametrize("raw", [b"{", b"[]", b'"price_x"', b"null", b"\xff"])
def test_a_body_that_is_not_a_json_object_is_a_400(
    service: TestClient, emulator_api: httpx.Client, raw: bytes
) -> None:
    before = links_at_stripe(emulator_api)

    answer = service.post("/payment-links", content=raw, headers={
        **STAFF, "Content-Type": "application/json"})

    assert answer.status_code == 400
    assert links_at_stripe(emulator_api) == before


def test_a_body_over_the_limit_is_a_413(service: TestClient) -> None:
    answer = service.post("/payment-links", content=b" " * 20_000 + b"{}", headers=STAFF)

    assert answer.status_code == 413


def test_a_price_stripe_does_not_know_is_a_400_with_stripes_reason(service: TestClient) -> None:
    answer = create(service, {"price": "price_1NotAtStripe"})

    assert answer.status_code == 400
    assert answer.json()["error"] == ("Stripe refused the payment link: No such price: "
                                      "'price_1NotAtStripe'")
    assert service.get("/payment-links", headers=STAFF).json()["payment_links"] == []


def test_an_inactive_price_is_a_400_with_stripes_reason(service: TestClient, shop: Shop) -> None:
    retired = shop.sdk.v1.prices.create(params={
        "currency": "usd", "unit_amount": 900, "active": False,
        "product_data": {"name": "Old mug"}}).id

    answer = create(service, {"price": retired})

    assert answer.status_code == 400
    assert "The price specified is inactive" in answer.json()["error"]


def test_while_stripe_is_down_creating_is_a_503_and_nothing_is_recorded(
    service: TestClient, price: str, shop: Shop
) -> None:
    shop.fault("POST", "/v1/payment_links", "503", count=3)  # the SDK retries twice

    answer = create(service, {"price": price})

    assert answer.status_code == 503
    assert "Stripe unavailable" in answer.json()["error"]
    assert service.get("/payment-links", headers=STAFF).json()["payment_links"] == []


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/payment-links"), ("GET", "/payment-links"),
    ("POST", "/payment-links/plink_123/deactivate")])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": "Basic YWxpY2U6eA=="}])
def test_staff_routes_refuse_a_missing_or_wrong_token(
    service: TestClient, method: str, path: str, headers: dict[str, str]
) -> None:
    answer = service.request(method, path, headers=headers, json={"price": "price_x"})

    assert answer.status_code == 401


# The storefront -------------------------------------------------------------------------------


def test_the_storefront_offers_the_active_links_to_prices_on_sale(
    service: TestClient, price: str, shop: Shop
) -> None:
    offered = create(service, {"price": price, "quantity": 2}).json()
    withdrawn = create(service, {"price": price}).json()
    service.post(f"/payment-links/{withdrawn['id']}/deactivate", headers=STAFF)

    page = service.get("/")

    assert page.status_code == 200
    assert 'id="payment-links"' in page.text
    assert f'href="{offered["url"]}"' in page.text
    assert f'href="{withdrawn["url"]}"' not in page.text
    assert "Sticker pack \u00d7 2" in page.text and "$36.00" in page.text


def test_the_storefront_shows_no_link_section_without_links(service: TestClient) -> None:
    assert 'id="payment-links"' not in service.get("/").text


def test_a_canceled_checkout_comes_back_to_a_storefront_that_says_so(
    service: TestClient, price: str
) -> None:
    created = service.post("/create-checkout-session", data={"mode": "payment", "price": price},
                           follow_redirects=False)
    assert created.status_code == 303

    back = service.get("/?checkout=canceled")

    assert 'id="checkout-canceled"' in back.text and "nothing was charged" in back.text
    assert 'id="checkout-canceled"' not in service.get("/").text


def test_the_favicon_is_served(service: TestClient) -> None:
    icon = service.get("/favicon.ico")
    linked = service.get("/static/favicon.svg")

    assert (icon.status_code, linked.status_code) == (200, 200)
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert 'rel="icon" href="/static/favicon.svg"' in service.get("/").text
