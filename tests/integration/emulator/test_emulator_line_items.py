"""Line items paginate like Stripe's, so the SDK's ``auto_paging_iter()`` walks them all."""

from __future__ import annotations

from typing import Any

import httpx
import stripe


def _session_with_25_items(client: stripe.StripeClient, shop: Any) -> stripe.checkout.Session:
    prices = [shop.price(100 + i, name=f"Item {i}") for i in range(25)]
    return client.v1.checkout.sessions.create(params={  # type: ignore[arg-type]
        "mode": "payment",
        "success_url": "http://127.0.0.1:4242/success?session_id={CHECKOUT_SESSION_ID}",
        "line_items": [{"price": p.id, "quantity": i + 1} for i, p in enumerate(prices)],
    })


def test_auto_paging_iter_walks_all_25_line_items_in_order(
    client: stripe.StripeClient, shop: Any
) -> None:
    session = _session_with_25_items(client, shop)

    items = list(client.v1.checkout.sessions.line_items.list(
        session.id, params={"limit": 10}).auto_paging_iter())

    assert [item.description for item in items] == [f"Item {i}" for i in range(25)]
    assert [item.quantity for item in items] == list(range(1, 26))
    assert len({item.id for item in items}) == 25
    assert all(item.id.startswith("li_") for item in items)


def test_retrieve_with_expand_line_items_embeds_the_first_ten(
    client: stripe.StripeClient, shop: Any
) -> None:
    session = _session_with_25_items(client, shop)

    expanded = client.v1.checkout.sessions.retrieve(session.id,
                                                    params={"expand": ["line_items"]})

    assert expanded.line_items is not None
    assert expanded.line_items.object == "list"
    assert len(expanded.line_items.data) == 10
    assert expanded.line_items.has_more is True
    assert expanded.line_items.url == f"/v1/checkout/sessions/{session.id}/line_items"


def test_line_items_are_left_out_unless_expanded(client: stripe.StripeClient, shop: Any) -> None:
    session = shop.session(shop.price())

    plain = client.v1.checkout.sessions.retrieve(session.id)

    assert "line_items" not in plain


def test_ending_before_pages_backwards_and_has_more_says_if_more_exist(
    api: httpx.Client, client: stripe.StripeClient, shop: Any
) -> None:
    session = _session_with_25_items(client, shop)
    url = f"/v1/checkout/sessions/{session.id}/line_items"
    all_ids = [i["id"] for i in api.get(url, params={"limit": 100}).json()["data"]]

    after = api.get(url, params={"limit": 5, "starting_after": all_ids[19]}).json()
    before = api.get(url, params={"limit": 5, "ending_before": all_ids[10]}).json()
    first = api.get(url, params={"limit": 5, "ending_before": all_ids[5]}).json()

    assert [i["id"] for i in after["data"]] == all_ids[20:25]
    assert after["has_more"] is False
    assert [i["id"] for i in before["data"]] == all_ids[5:10]
    assert before["has_more"] is True
    assert first["has_more"] is False


def test_limit_outside_1_to_100_is_rejected(api: httpx.Client, shop: Any) -> None:
    session = shop.session(shop.price())

    responses = [api.get(f"/v1/checkout/sessions/{session.id}/line_items",
                         params={"limit": limit}) for limit in (0, 101, "ten")]

    assert [r.status_code for r in responses] == [400, 400, 400]
    assert all(r.json()["error"]["param"] == "limit" for r in responses)


def test_expand_line_items_price_product_expands_nested_ids(
    client: stripe.StripeClient, shop: Any
) -> None:
    session = shop.session(shop.price(name="Sticker pack"))

    expanded = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["line_items.data.price.product"]})

    assert expanded.line_items is not None
    assert expanded.line_items.data[0].price.product.name == "Sticker pack"
