"""The gateway's retrieve of a Checkout Session through ``raw_request`` (plain dicts, no
StripeObjects; ``adapters/stripe_raw.py``), against the emulator: every page of line items,
ids quoted in the path as the SDK quotes them, errors mapped as for the SDK's services,
metadata kept as pairs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from stripe._util import sanitize_id

from adapters.stripe_gateway import StripeGateway
from adapters.stripe_raw import list_all, path_id
from domain.ports import StripeUnavailable, UnknownAtStripe
from emulator.server import EmulatorServer, free_port
from tests.support.purchases import API_KEY, Item, Shop


@pytest.fixture
def shop(emulator: EmulatorServer) -> Iterator[Shop]:
    with Shop(emulator.url) as shop:
        yield shop
        shop.clear_faults()


@pytest.fixture
def gateway(emulator: EmulatorServer) -> StripeGateway:
    return StripeGateway(API_KEY, emulator.url, max_network_retries=0, timeout_seconds=5)


def paid(shop: Shop, items: list[Item], **extra: object) -> str:
    session_id = shop.session(*items, **extra)
    shop.pay(session_id)
    return session_id


def test_line_items_past_several_list_pages_all_arrive_in_order(
    shop: Shop, gateway: StripeGateway
) -> None:
    items: list[Item] = [(f"Sticker {n}", 100 + n, 1 + n % 3) for n in range(250)]
    session_id = paid(shop, items)

    snapshot = gateway.retrieve_checkout(session_id)  # 10 expanded, then 100, 100 and 50

    assert [(i.description, i.quantity, i.amount_total) for i in snapshot.line_items] == [
        (name, qty, amount * qty) for name, amount, qty in items]
    assert len({i.price for i in snapshot.line_items}) == 250


def test_list_all_follows_starting_after_page_by_page(
    shop: Shop, gateway: StripeGateway
) -> None:
    session_id = paid(shop, [(f"Pin {n}", 200, 1) for n in range(12)])

    listed = list(list_all(gateway.client, f"/v1/checkout/sessions/{session_id}/line_items",
                           limit=5))

    assert [item["description"] for item in listed] == [f"Pin {n}" for n in range(12)]


def test_ids_are_quoted_in_the_path_as_the_sdk_services_quote_them() -> None:
    for odd in ("cs_test_a/b", "cs_test_a?b=c", "cs_test_a b+c", "cs_test_%2F", "cs_test_é#"):
        assert path_id(odd) == sanitize_id(odd)


def test_a_session_stripe_does_not_know_is_unknown(gateway: StripeGateway) -> None:
    with pytest.raises(UnknownAtStripe):
        gateway.retrieve_checkout("cs_test_nothing_here")


def test_a_failing_later_page_leaves_stripe_unavailable(
    shop: Shop, gateway: StripeGateway
) -> None:
    session_id = paid(shop, [(f"Card {n}", 300, 1) for n in range(12)])
    shop.fault("GET", "/v1/checkout/sessions/*/line_items", "503")

    with pytest.raises(StripeUnavailable):
        gateway.retrieve_checkout(session_id)

    assert len(gateway.retrieve_checkout(session_id).line_items) == 12


def test_stripe_down_is_unavailable() -> None:
    gateway = StripeGateway(API_KEY, f"http://127.0.0.1:{free_port()}", max_network_retries=0,
                            timeout_seconds=2)

    with pytest.raises(StripeUnavailable):
        gateway.retrieve_checkout("cs_test_anything")


def test_metadata_stays_string_pairs_even_with_a_transcoder_key(
    shop: Shop, gateway: StripeGateway
) -> None:
    session_id = paid(shop, [("Poster", 1500, 1)],
                      metadata={"_type_": "decimal_str", "_data_": "1", "order": "7"})

    facts = gateway.retrieve_checkout(session_id).facts

    assert facts.metadata == (("_type_", "decimal_str"), ("_data_", "1"), ("order", "7"))
    assert not any(isinstance(value, dict) for value in vars(facts).values())
