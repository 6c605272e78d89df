"""The Stripe developer's loop, offline: the official Stripe CLI drives the service through the
emulator. ``stripe listen --forward-to`` forwards what ``stripe trigger`` (and ``stripe fixtures``)
make happen, signed with the listening session's secret, to the service running as a process.

Skipped, saying why, when npm or the CLI is missing (``make test`` installs the CLI with npm).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.stripe_cli import TRIGGERS
from emulator.config import EmulatorConfig
from emulator.server import EmulatorServer, free_port
from tests.conftest import STAFF, STAFF_TOKEN
from tests.support import stripe_cli
from tests.support.stripe_cli import API_KEY, StripeCli, cli_or_skip

DAY = 86_400


def wait_for(condition: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    config = EmulatorConfig(settle_delay_seconds=0.5, retry_base_seconds=0.05)
    with EmulatorServer(config=config) as server:
        yield server


def _serve(tmp_path: Path, emulator: EmulatorServer, secret: str, port: int
           ) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/ledger.sqlite3",
           "STRIPE_API_KEY": API_KEY, "STRIPE_API_BASE": emulator.url,
           "STRIPE_WEBHOOK_SECRET": secret, "STAFF_TOKENS": f"alice:{STAFF_TOKEN}",
           "PORT": str(port)}
    log = (tmp_path / "service.log").open("wb")
    service = subprocess.Popen([sys.executable, "-m", "api", "serve"], env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    if not wait_for(lambda: _healthy(base), timeout=30):
        service.kill()
        raise AssertionError((tmp_path / "service.log").read_text())
    return service


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _step(name: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "path": path, "method": "post", "params": params}


def renewal_that_fails(now: int) -> dict[str, Any]:
    """A custom fixture: a monthly subscription on a test clock, paid by card; its customer's card
    then becomes one that declines, and the clock moves past the renewal."""
    return {"_meta": {"template_version": 0}, "fixtures": [
        _step("clock", "/v1/test_helpers/test_clocks", {"frozen_time": now}),
        _step("customer", "/v1/customers", {
            "email": "renewal@example.com", "test_clock": "${clock:id}",
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"}}),
        _step("product", "/v1/products", {"name": "Monthly plan"}),
        _step("price", "/v1/prices", {"product": "${product:id}", "unit_amount": 1500,
                                      "currency": "usd", "recurring": {"interval": "month"}}),
        _step("subscription", "/v1/subscriptions", {"customer": "${customer:id}",
                                                    "items": [{"price": "${price:id}"}]}),
        _step("failing_card", "/v1/payment_methods/pm_card_chargeCustomerFail/attach",
              {"customer": "${customer:id}"}),
        _step("new_default", "/v1/customers/${customer:id}",
              {"invoice_settings": {"default_payment_method": "${failing_card:id}"}}),
        _step("advance", "/v1/test_helpers/test_clocks/${clock:id}/advance",
              {"frozen_time": now + 32 * DAY}),
    ]}


def test_stripe_listen_forwards_every_trigger_to_the_service_which_applies_it(
        tmp_path: Path, emulator: EmulatorServer) -> None:
    cli = StripeCli(cli_or_skip(), emulator.url, tmp_path / "cli-home")
    stripe = httpx.Client(base_url=emulator.url, auth=(API_KEY, ""), timeout=10)
    printed = cli.run("listen", "--print-secret", timeout=30)
    secret = printed.stdout.strip()
    assert printed.returncode == 0 and secret.startswith("whsec_"), printed
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    service = _serve(tmp_path, emulator, secret, port)
    listen_log = tmp_path / "listen.log"
    listener = cli.listen(f"{base}/webhook", listen_log)
    try:
        for event in TRIGGERS:
            done = cli.trigger(event)
            assert done.returncode == 0, (event, done.stdout, done.stderr)
            assert "Trigger succeeded!" in done.stdout
        made = cli.fixtures(renewal_that_fails(int(time.time())), tmp_path / "renewal.json")
        assert made.returncode == 0, (made.stdout, made.stderr)

        # Every type reached the service through the CLI, which answered 200.
        def forwarded() -> set[str]:
            log = httpx.get(f"{emulator.url}/_emulator/deliveries").json()["deliveries"]
            return {d["type"] for d in log
                    if d["endpoint"].startswith("stripecli:") and d["status"] == 200}
        assert wait_for(lambda: set(TRIGGERS) <= forwarded()), (
            set(TRIGGERS) - forwarded(), listen_log.read_text()[-3000:])
        console = listen_log.read_text()
        assert f"<--  [200] POST {base}/webhook" in console

        def first(event_type: str) -> dict[str, Any]:
            found = stripe.get("/v1/events", params={"type": event_type, "limit": 100}).json()["data"]
            assert found, event_type
            return dict(found[-1]["data"]["object"])  # the oldest: its own trigger's

        def staff(path: str) -> Any:
            answer = httpx.get(f"{base}{path}", headers=STAFF, timeout=10)
            return answer.json() if answer.status_code == 200 else None

        # A completed session is fulfilled, once.
        completed = first("checkout.session.completed")["id"]
        fulfilled = wait_for(lambda: (staff(f"/sessions/{completed}") or {}).get(
            "fulfillment", {}).get("status") == "fulfilled")
        assert fulfilled, staff(f"/sessions/{completed}")
        history = staff(f"/sessions/{completed}/history")["events"]
        assert [e["type"] for e in history].count("Fulfilled") == 1

        # The failed bank debit is a case for support.
        failed = first("checkout.session.async_payment_failed")["id"]

        def cases() -> list[tuple[str, str]]:
            return [(f["kind"], f["id"]) for f in (staff("/support/failures") or {}).get(
                "failures", [])]
        assert wait_for(lambda: ("async_payment_failed", failed) in cases()), cases()

        # The subscription the trigger made is listed for its customer.
        created = first("customer.subscription.created")
        def listed() -> list[tuple[str, str, str]]:
            return [(s["id"], s["kind"], s["status"]) for s in (staff(
                f"/customers/{created['customer']}/subscriptions") or {}).get(
                    "subscriptions", [])]
        # Created (incomplete) and updated (active) may be applied in two batches.
        assert wait_for(lambda: (created["id"], "stripe", "active") in listed()), listed()

        # The renewal declined: the subscription is past due and a case for support.
        [customer] = stripe.get("/v1/customers",
                                params={"email": "renewal@example.com"}).json()["data"]
        [renewal] = stripe.get("/v1/subscriptions",
                               params={"customer": customer["id"]}).json()["data"]
        assert wait_for(lambda: ("renewal_failed", renewal["id"]) in cases()), cases()
        assert staff(f"/subscriptions/{renewal['id']}")["status"] == "past_due"
    finally:
        _stop(listener)
        _stop(service)
        stripe.close()


@pytest.mark.parametrize(("npm", "reason"), [
    (None, "npm is not installed"), ("/usr/bin/npm", "make stripe-cli installs it")])
def test_without_the_cli_the_test_skips_saying_why(
        monkeypatch: pytest.MonkeyPatch, npm: str | None, reason: str) -> None:
    monkeypatch.setattr(stripe_cli, "installed", lambda: None)
    monkeypatch.setattr(stripe_cli.shutil, "which", lambda name: npm)

    with pytest.raises(pytest.skip.Exception) as skipped:
        stripe_cli.cli_or_skip()

    assert reason in str(skipped.value)
