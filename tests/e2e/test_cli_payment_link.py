"""``checkout-ledger payment-link PRICE [--quantity N]``, as staff run it against the emulator."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from emulator.server import EmulatorServer
from tests.conftest import STAFF, service_env
from tests.support.emulator import EmulatorControl

CLI = [sys.executable, "-m", "api"]


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=60, check=False)


@pytest.fixture
def env(tmp_path: Path, emulator: EmulatorServer) -> dict[str, str]:
    return service_env(f"sqlite:///{tmp_path}/ledger.sqlite3", STRIPE_API_BASE=emulator.url,
                       PUBLIC_URL="https://shop.example")


@pytest.fixture
def price(stripe_emulator: EmulatorControl) -> str:
    return str(stripe_emulator.sdk.v1.prices.create(params={
        "currency": "usd", "unit_amount": 1800, "product_data": {"name": "Sticker pack"}}).id)


def test_the_command_creates_the_link_and_the_service_lists_it(
    env: dict[str, str], price: str, stripe_emulator: EmulatorControl
) -> None:
    done = run("payment-link", price, "--quantity", "3", env=env)

    assert done.returncode == 0, done.stderr
    link = json.loads(done.stdout)
    assert (link["price"], link["quantity"], link["active"]) == (price, 3, True)
    assert link["created_by"] == f"cli:{getpass.getuser()}"
    at_stripe = stripe_emulator.sdk.v1.payment_links.retrieve(link["id"])
    assert at_stripe.after_completion.redirect.url == (  # type: ignore[union-attr]
        "https://shop.example/success?session_id={CHECKOUT_SESSION_ID}")
    with TestClient(create_app(Settings.from_env(env), follow=False)) as service:
        listed = service.get("/payment-links", headers=STAFF).json()["payment_links"]
    assert [item["id"] for item in listed] == [link["id"]]


@pytest.mark.parametrize(("args", "said"), [
    (["prod_123"], "price must be"),
    (["price_x", "--quantity", "0"], "quantity"),
    (["price_x", "--quantity", "1000"], "quantity"),
])
def test_malformed_input_exits_2_with_one_line_and_reaches_nobody(
    env: dict[str, str], args: list[str], said: str, stripe_emulator: EmulatorControl
) -> None:
    before = len(stripe_emulator.sdk.v1.payment_links.list(params={"limit": 100}).data)

    done = run("payment-link", *args, env=env)

    assert done.returncode == 2
    assert said in done.stderr and "Traceback" not in done.stderr
    assert len(stripe_emulator.sdk.v1.payment_links.list(params={"limit": 100}).data) == before


def test_a_price_stripe_does_not_know_exits_1_with_stripes_reason(env: dict[str, str]) -> None:
    done = run("payment-link", "price_1NotAtStripe", env=env)

    assert done.returncode == 1
    assert "No such price: 'price_1NotAtStripe'" in done.stderr
    assert done.stderr.strip().count("\n") == 0


def test_local_mode_has_no_stripe_to_reach(tmp_path: Path) -> None:
    done = run("payment-link", "price_x", env={
        "DATABASE_URL": f"sqlite:///{tmp_path}/l.sqlite3", "STRIPE_API_KEY": "",
        "STRIPE_API_BASE": "", "STRIPE_WEBHOOK_SECRET": "", "STAFF_TOKENS": ""})

    assert done.returncode == 2
    assert "POST /payment-links" in done.stderr
