"""A person buying in a browser: the real service in local mode, driven in headless Chromium.

``checkout-ledger serve`` runs as a subprocess with no Stripe key, so it starts the emulator,
registers its webhook endpoint and prints the staff token, exactly as ``make run`` does.
Debian's own Chromium is driven through Playwright (no browser download).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from emulator.server import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SERVICE_SCRIPT = Path(sys.executable).with_name("checkout-ledger")
STARTUP_SECONDS = 30

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} is missing (apt-get install chromium; .ci/run does)"),
]


@dataclass
class LocalService:
    """``checkout-ledger serve`` in local mode, with what it printed."""

    process: subprocess.Popen[str]
    url: str
    output: list[str] = field(default_factory=list)

    @property
    def staff_token(self) -> str:
        for line in self.output:
            found = re.search(r"Staff token:\s+(\S+)", line)
            if found:
                return found.group(1)
        raise AssertionError("the service printed no staff token:\n" + "".join(self.output))

    def history(self, session_id: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.url}/sessions/{session_id}/history", trust_env=False,
                             headers={"Authorization": f"Bearer {self.staff_token}"})
        if response.status_code == 404:
            return []
        response.raise_for_status()
        events: list[dict[str, Any]] = response.json()["events"]
        return events

    def history_types(self, session_id: str) -> list[str]:
        return [event["type"] for event in self.history(session_id)]


def _read_lines(stream: Any, into: list[str]) -> None:
    for line in stream:
        into.append(line)


def _wait_until_ready(service: LocalService) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise AssertionError("the service exited:\n" + "".join(service.output))
        printed = any("Staff token:" in line for line in service.output)
        with contextlib.suppress(httpx.HTTPError):
            healthy = httpx.get(f"{service.url}/healthz", trust_env=False, timeout=1)
            if printed and healthy.status_code == 200:
                return
        time.sleep(0.1)
    raise AssertionError(f"the service did not start within {STARTUP_SECONDS} s:\n"
                         + "".join(service.output))


def _stop(process: subprocess.Popen[str]) -> None:
    """Ctrl-C for the service and the worker it spawned (its own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
    # The worker got the SIGINT too (same group) and may outlive the service by a moment.
    deadline = time.monotonic() + 10
    with contextlib.suppress(ProcessLookupError):
        while time.monotonic() < deadline:
            os.killpg(process.pid, 0)  # raises once every process of the group is gone
            time.sleep(0.1)
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalService]:
    """The service in local mode on a free port, with a fresh SQLite file."""
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE",
                        "STAFF_TOKENS", "PUBLIC_URL", "TEST_CLOCK", "FULFILLER", "SMTP_URL")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path_factory.mktemp('local')}/ledger.sqlite3",
               HOST="127.0.0.1", PORT=str(port), PYTHONUNBUFFERED="1")
    process = subprocess.Popen([str(SERVICE_SCRIPT), "serve"], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    running = LocalService(process, f"http://127.0.0.1:{port}")
    threading.Thread(target=_read_lines, args=(process.stdout, running.output), daemon=True).start()
    try:
        _wait_until_ready(running)
        yield running
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    try:
        yield opened
    finally:
        context.close()


def choose(page: Page, service: LocalService, product: str) -> None:
    """From the storefront, click the checkout button of ``product``; land on the hosted page."""
    page.goto(f"{service.url}/")
    page.locator("li.product", has_text=product).get_by_role("button").click()
    page.wait_for_url(re.compile(r"/pay/cs_"))


def test_local_mode_prints_the_storefront_url_and_a_staff_token(service: LocalService) -> None:
    printed = "".join(service.output)

    assert f"Storefront:       {service.url}/" in printed
    assert len(service.staff_token) >= 12
    assert f"curl -H 'Authorization: Bearer {service.staff_token}' {service.url}/sessions/cs_" in printed


def test_buying_a_t_shirt_with_4242_shows_the_fulfilled_item_and_records_one_fulfillment(
    service: LocalService, page: Page, tmp_path: Path
) -> None:
    choose(page, service, "Ledger T-shirt")
    expect(page.locator("#line-items")).to_contain_text("Ledger T-shirt")

    page.fill("#card-number", "4242 4242 4242 4242")
    page.click("#pay-button")
    page.wait_for_url(re.compile(r"/success\?session_id=cs_"))
    page.screenshot(path=str(tmp_path / "success.png"), full_page=True)

    expect(page.locator("#result")).to_have_attribute("data-status", "fulfilled")
    expect(page.locator("#line-items")).to_contain_text("Ledger T-shirt")
    expect(page.locator("#line-items")).to_contain_text("Granted: 1 x Ledger T-shirt")
    expect(page.locator("#total")).to_have_text("$25.00")
    session_id = page.url.split("session_id=", 1)[1]
    # The emulator delivers checkout.session.completed to /webhook as well, and the ledger
    # copies the success page's Fulfilled into the history a moment later: wait for both.
    types = _until(lambda: (t := service.history_types(session_id))
                   and "Completed" in t and "Fulfilled" in t and t)
    assert types.count("Fulfilled") == 1


def test_a_declined_card_stays_on_the_hosted_page_with_the_error(
    service: LocalService, page: Page
) -> None:
    choose(page, service, "Sticker pack")
    hosted_page = page.url

    page.fill("#card-number", "4000 0000 0000 0002")
    page.click("#pay-button")

    expect(page.locator("#error")).to_contain_text("Your card was declined.")
    assert page.url == hosted_page
    session_id = hosted_page.rsplit("/", 1)[1]
    assert "Fulfilled" not in service.history_types(session_id)


def test_a_bank_debit_shows_processing_then_the_fulfilled_item_once_it_settles(
    service: LocalService, page: Page
) -> None:
    choose(page, service, "Sticker pack")

    page.check("input[name=method][value=bank_debit_succeeds]")
    page.click("#pay-button")
    page.wait_for_url(re.compile(r"/success\?session_id=cs_"))

    expect(page.locator("#result")).to_have_attribute("data-status", "processing")
    expect(page.locator("#message")).to_contain_text("Payment processing")
    # Local mode settles a debit after 2 s; the page reloads itself every 5 s.
    expect(page.locator("#result")).to_have_attribute("data-status", "fulfilled", timeout=20_000)
    session_id = page.url.split("session_id=", 1)[1]
    # The page reads the fulfillment's own record; the ledger copies it a moment later.
    types = _until(lambda: (t := service.history_types(session_id)) and "Fulfilled" in t and t)
    assert types.count("Fulfilled") == 1


def _staff(service: LocalService) -> dict[str, str]:
    return {"Authorization": f"Bearer {service.staff_token}"}


def _emulator_url(service: LocalService) -> str:
    for line in service.output:
        found = re.search(r"Stripe emulator:\s+(\S+)", line)
        if found:
            return found.group(1)
    raise AssertionError("the service printed no emulator URL")


def _until(check: Any, seconds: float = 15) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("gave up waiting")


def test_a_card_saved_in_setup_mode_then_declined_off_session_is_paid_through_its_recovery(
    service: LocalService, page: Page, tmp_path: Path
) -> None:
    page.goto(f"{service.url}/")
    page.locator("#save-card").get_by_role("button").click()
    page.wait_for_url(re.compile(r"/pay/cs_"))
    page.fill("#card-number", "4000 0000 0000 9995")  # saved fine; declined when charged
    page.click("#pay-button")
    page.wait_for_url(re.compile(r"/success\?session_id=cs_"))
    expect(page.locator("#result")).to_have_attribute("data-status", "not_required")
    emulator = httpx.Client(base_url=_emulator_url(service), trust_env=False,
                            headers={"Authorization": "Bearer sk_test_local_emulator"})

    def saved_customer() -> str | None:  # the customer the service created for the card
        listed = emulator.get("/v1/customers", params={"limit": 1}).json()["data"]
        if not listed:
            return None
        cards = httpx.get(f"{service.url}/customers/{listed[0]['id']}/payment-methods",
                          headers=_staff(service), trust_env=False)
        return str(listed[0]["id"]) if cards.status_code == 200 else None

    customer = _until(saved_customer)
    charged = httpx.post(f"{service.url}/customers/{customer}/charges", headers=_staff(service),
                         json={"amount": 1800, "currency": "usd"}, trust_env=False).json()
    assert (charged["status"], charged["failure"]["decline_code"]) == (
        "requires_payment_method", "insufficient_funds")

    page.goto(charged["recovery_url"])
    page.screenshot(path=str(tmp_path / "recovery.png"), full_page=True)
    # Checkout pre-fills the saved card (customer= on the session); it would be declined again,
    # so the customer types another.
    expect(page.locator("#saved-card")).to_contain_text("9995")
    page.fill("#card-number", "4242 4242 4242 4242")
    page.click("#pay-button")
    page.wait_for_url(re.compile(r"/success\?session_id=cs_"))

    expect(page.locator("#result")).to_have_attribute("data-status", "payment_received")
    recovered = _until(lambda: httpx.get(
        f"{service.url}/charges/{charged['id']}", headers=_staff(service),
        trust_env=False).json()["recovered_by"])
    assert recovered == page.url.split("session_id=", 1)[1]


def test_a_subscription_bought_on_the_storefront_is_listed_for_its_customer_and_entitles(
    service: LocalService, page: Page, tmp_path: Path
) -> None:
    choose(page, service, "Pro plan")
    expect(page.locator("#line-items")).to_contain_text("Pro plan")
    page.fill("#card-number", "4242 4242 4242 4242")
    page.click("#pay-button")
    page.wait_for_url(re.compile(r"/success\?session_id=cs_"))
    page.screenshot(path=str(tmp_path / "subscribed.png"), full_page=True)
    session_id = page.url.split("session_id=", 1)[1]

    def session_with_customer() -> dict[str, Any] | None:
        found = httpx.get(f"{service.url}/sessions/{session_id}", headers=_staff(service),
                          trust_env=False)
        body = found.json() if found.status_code == 200 else {}
        return body if body.get("customer") and body.get("subscription") else None

    session = _until(session_with_customer)

    def listed() -> list[dict[str, Any]] | None:
        found = httpx.get(f"{service.url}/customers/{session['customer']}/subscriptions",
                          headers=_staff(service), trust_env=False)
        return found.json()["subscriptions"] if found.status_code == 200 else None

    # Stripe sends the subscription created (incomplete), then updated (active).
    [subscription] = _until(lambda: (found := listed()) and found[0]["status"] == "active"
                            and found)
    assert (subscription["id"], subscription["kind"], subscription["status"]) == (
        session["subscription"], "stripe", "active")

    def entitlements() -> list[dict[str, Any]]:
        return httpx.get(f"{service.url}/customers/{session['customer']}/entitlements",
                         headers=_staff(service), trust_env=False).json()["entitlements"]

    # The customers projection follows the ledger: it may be a batch behind the list.
    granted = _until(entitlements)
    assert [e["source"] for e in granted] == [session["subscription"]]
