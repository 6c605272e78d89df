"""Stripe's wire details: bracketed form bodies, ``expand[]``, the entry points."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe

from emulator.forms import decode
from emulator.seed import seed_catalog
from emulator.server import EmulatorServer, free_port

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_brackets_decode_into_nested_lists_and_hashes() -> None:
    pairs = [("line_items[0][price_data][product_data][name]", "Tee"),
             ("line_items[0][quantity]", "2"), ("line_items[1][price]", "price_1"),
             ("expand[]", "line_items"), ("expand[]", "customer"), ("metadata[0]", "zero"),
             ("mode", "payment")]

    decoded = decode(pairs)

    assert decoded == {
        "line_items": [{"price_data": {"product_data": {"name": "Tee"}}, "quantity": "2"},
                       {"price": "price_1"}],
        "expand": ["line_items", "customer"],
        "metadata": {"0": "zero"},
        "mode": "payment",
    }


def test_curl_style_expand_brackets_work(api: httpx.Client, shop: Any) -> None:
    session = shop.session(shop.price())

    body = api.get(f"/v1/checkout/sessions/{session.id}?expand[]=line_items").json()

    assert body["line_items"]["data"][0]["quantity"] == 1


def test_metadata_and_client_reference_id_are_kept(shop: Any) -> None:
    session = shop.session(shop.price(), metadata={"order": "A-17"},
                           client_reference_id="cart-9")

    assert session.metadata.to_dict() == {"order": "A-17"}
    assert session.client_reference_id == "cart-9"
    assert session.expires_at - session.created == 24 * 3600
    assert (session.amount_subtotal, session.amount_total) == (2500, 2500)


def test_seed_catalog_creates_the_demo_prices_once(server: Any) -> None:
    first = seed_catalog(server.url, "sk_test_seed")
    again = seed_catalog(server.url, "sk_test_seed")

    assert sorted(p["lookup_key"] for p in first) == ["ledger_tshirt", "pro_plan_monthly",
                                                      "sticker_pack"]
    assert [p["id"] for p in first] == [p["id"] for p in again]
    monthly = next(p for p in first if p["lookup_key"] == "pro_plan_monthly")
    assert (monthly["unit_amount"], monthly["recurring"]["interval"]) == (1500, "month")


def test_server_picks_a_free_port_and_stops() -> None:
    server = EmulatorServer().start()
    url = server.url

    server.stop()

    assert url.startswith("http://127.0.0.1:")
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{url}/_emulator/health", trust_env=False, timeout=1)


def test_python_dash_m_emulator_serves_on_the_given_port() -> None:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "emulator", "--port", str(port)],
                               cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        status = None
        while time.monotonic() < deadline and status is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/_emulator/health",
                                   trust_env=False).status_code
            except httpx.HTTPError:
                time.sleep(0.1)

        assert status == 200
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_module_level_sdk_configuration_reaches_the_emulator(
    server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stripe, "api_key", "sk_test_module_level")
    monkeypatch.setattr(stripe, "api_base", server.url)

    customer = stripe.Customer.create(email="mod@example.com")

    assert stripe.Customer.retrieve(customer.id).email == "mod@example.com"
