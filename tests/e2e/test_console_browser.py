"""The support console in headless Chromium, phone-sized, against real flows in local mode:
sign in, find a failed delayed payment and a declined off-session charge, act on them, see
their timelines change, and recover a dropped webhook with "Reconcile now". Screenshots of
each page are kept in ``tests/artifacts/console/``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_browser import (  # the local-mode service and the browser, shared
    LocalService,
    _emulator_url,
    _staff,
    _until,
    browser,
    choose,
    service,
)

__all__ = ["browser", "service"]  # fixtures
pytestmark = [pytest.mark.browser]
ARTIFACTS = Path(__file__).parents[1] / "artifacts" / "console"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE)
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    try:
        yield opened
    finally:
        context.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert fits, f"{name}: the page is wider than a {PHONE['width']} px screen"


def sign_in(page: Page, service: LocalService) -> None:
    page.goto(f"{service.url}/support")
    page.wait_for_url(re.compile(r"/support/sign-in"))
    shot(page, "01-sign-in")
    page.fill("#token", service.staff_token)
    page.click("#sign-in button")
    page.wait_for_url(f"{service.url}/support")
    expect(page.locator("#staff")).to_have_text("local")


def failed_debit(page: Page, service: LocalService) -> str:
    """A real purchase by bank debit that fails when it settles (2 s in local mode)."""
    choose(page, service, "Sticker pack")
    page.check("input[name=method][value=bank_debit_fails]")
    page.click("#pay-button")
    page.wait_for_url(re.compile(r"/success\?session_id=cs_"))
    session_id = page.url.split("session_id=", 1)[1]
    _until(lambda: "AsyncPaymentFailed" in service.history_types(session_id), 20)
    return session_id


def declined_charge(page: Page, service: LocalService) -> dict:  # type: ignore[type-arg]
    """A card saved through setup mode, then declined off-session."""
    page.goto(f"{service.url}/")
    page.locator("#save-card").get_by_role("button").click()
    page.wait_for_url(re.compile(r"/pay/cs_"))
    page.fill("#card-number", "4000 0000 0000 9995")
    page.click("#pay-button")
    page.wait_for_url(re.compile(r"/success\?session_id=cs_"))
    emulator = httpx.Client(base_url=_emulator_url(service), trust_env=False,
                            headers={"Authorization": "Bearer sk_test_local_emulator"})

    def saved_customer() -> str | None:
        listed = emulator.get("/v1/customers", params={"limit": 1}).json()["data"]
        if not listed:
            return None
        cards = httpx.get(f"{service.url}/customers/{listed[0]['id']}/payment-methods",
                          headers=_staff(service), trust_env=False)
        return str(listed[0]["id"]) if cards.status_code == 200 else None

    customer = _until(saved_customer)
    charged: dict = httpx.post(  # type: ignore[type-arg]
        f"{service.url}/customers/{customer}/charges", headers=_staff(service),
        json={"amount": 1800, "currency": "usd"}, trust_env=False).json()
    assert charged["status"] == "requires_payment_method"
    return charged


def act(page: Page, action: str, reason: str) -> None:
    page.fill(f"#reason-{action}", reason)
    page.click(f"#action-{action} button")
    expect(page.locator("#flash")).to_be_visible()


def reload_until(page: Page, selector: str, seconds: float = 15) -> None:
    """The worker records what an action caused a moment later: reload until it shows."""
    _until(lambda: page.reload() or page.locator(selector).count() > 0, seconds)


def test_support_finds_fixes_and_explains_failures_from_real_flows(
    service: LocalService, phone: Page, browser: Browser
) -> None:
    buyer = browser.new_page()
    session_id = failed_debit(buyer, service)
    charged = declined_charge(buyer, service)
    buyer.close()

    sign_in(phone, service)
    # Support opens its cases as it follows the ledger and the charges, a moment later.
    reload_until(phone, f'tr.case[data-id="{session_id}"]')
    reload_until(phone, f'tr.case[data-id="{charged["id"]}"]')
    expect(phone.locator(f'tr.case[data-id="{session_id}"]')).to_contain_text(
        "async payment failed")
    expect(phone.locator(f'tr.case[data-id="{charged["id"]}"]')).to_contain_text("charge failed")
    expect(phone.locator('#counts a[data-kind="charge_failed"]')).to_contain_text("1")
    shot(phone, "02-queue")

    phone.click(f'tr.case[data-id="{session_id}"] a[href*="/view/session/"]')
    expect(phone.locator("tr.event[data-type='AsyncPaymentFailed']")).to_contain_text(
        "checkout.session.async_payment_failed")
    act(phone, "fulfill", "customer says the bank paid")
    expect(phone.locator("#flash")).to_contain_text("Nothing fulfilled")
    reload_until(phone, "tr.event[data-source='staff']")
    expect(phone.locator("tr.event[data-source='staff']")).to_contain_text(
        "customer says the bank paid")
    shot(phone, "03-session")
    phone.click("tr.event >> nth=0 >> a")
    expect(phone.locator("#state h2")).to_contain_text("State after event 1")
    shot(phone, "04-session-version-1")

    phone.fill("#search", charged["payment_intent"])
    phone.click("form.search button")
    phone.wait_for_url(re.compile(rf"/support/view/charge/{charged['id']}"))
    act(phone, "retry", "card topped up")
    expect(phone.locator("#flash")).to_contain_text("Retried")
    act(phone, "recovery_link", "lost the first email")
    expect(phone.locator("#flash")).to_contain_text("New link")
    reload_until(phone, "tr.event[data-type='CustomerNotified'] >> nth=1")
    for event_type in ("RetryStarted", "RecoveryRenewed"):
        expect(phone.locator(f"tr.event[data-type='{event_type}']")).to_have_count(1)
    expect(phone.locator(
        "tr.event[data-type='StaffActionRequested'][data-source='staff']")).to_have_count(2)
    shot(phone, "05-charge")

    phone.click("a[href^='/support/view/customer/']")
    expect(phone.locator("#title")).to_contain_text("Customer cus_")
    expect(phone.locator("tr.event[data-type='RecoveryRenewed']")).to_have_count(1)
    shot(phone, "06-customer")


def test_reconcile_now_recovers_a_purchase_whose_webhook_was_dropped(
    service: LocalService, phone: Page, browser: Browser
) -> None:
    control = httpx.Client(base_url=_emulator_url(service), trust_env=False)
    control.post("/_emulator/delivery", json={"drop": True}).raise_for_status()
    try:
        buyer = browser.new_page()
        choose(buyer, service, "Ledger T-shirt")
        buyer.fill("#card-number", "4242 4242 4242 4242")
        buyer.click("#pay-button")
        buyer.wait_for_url(re.compile(r"/success\?session_id=cs_"))
        session_id = buyer.url.split("session_id=", 1)[1]
        buyer.close()
    finally:
        control.post("/_emulator/delivery", json={"drop": False}).raise_for_status()
    assert "Completed" not in service.history_types(session_id)  # fulfilled, never delivered

    sign_in(phone, service)
    act(phone, "reconcile", "webhooks were down this morning")
    expect(phone.locator("#flash")).to_contain_text(re.compile(r"[1-9]\d* new"))
    shot(phone, "07-reconciled")
    phone.goto(f"{service.url}/support/view/session/{session_id}")
    reload_until(phone, "tr.event[data-type='Completed']")
    expect(phone.locator("tr.event[data-type='Completed']")).to_contain_text(
        "checkout.session.completed")
    shot(phone, "08-session-reconciled")
    phone.click("tr.event[data-type='Completed'] a[href*='version']")
    expect(phone.locator("#state")).to_be_visible()

    phone.goto(f"{service.url}/support/search?q={session_id.replace('cs_', 'evt_')}")
    phone.goto(f"{service.url}/support")
    phone.click("#sign-out")
    phone.wait_for_url(re.compile(r"/support/sign-in"))
