"""The emulator's hosted pages in headless Chromium, at a phone's width (390 px) and a desktop's:
a returning customer's prefilled page and its expiry, a decline, a subscription, a paid page,
a Payment Link's pages. Each check takes screenshots into ``tests/artifacts/hosted_page/``
(gitignored) for a person to look at.

The emulator runs in this process; the pages' success URL is the emulator's own page of the
session, so a payment ends on a page the browser can load.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe
from playwright.sync_api import Browser, Page, Response, expect, sync_playwright

from emulator.config import EmulatorConfig
from emulator.server import EmulatorServer
from tests.support import browser_pages
from tests.support.browser_pages import SIZES, fits, sized_page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
API_KEY = "sk_test_browser"
ADA = {"email": "ada@example.com", "name": "Ada Lovelace",
       "address": {"country": "US", "postal_code": "94080"}}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} is missing (apt-get install chromium; .ci/run does)"),
]


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(config=EmulatorConfig(settle_delay_seconds=None)) as running:
        yield running


@pytest.fixture
def sdk(emulator: EmulatorServer) -> stripe.StripeClient:
    return stripe.StripeClient(API_KEY, base_addresses={"api": emulator.url},
                               max_network_retries=0)


@pytest.fixture
def control(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.url, trust_env=False, timeout=15) as http:
        yield http
        http.post("/_emulator/clock", json={"reset": True})


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(params=list(SIZES))
def page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    yield from sized_page(browser, request.param)


def shot(page: Page, name: str) -> None:
    browser_pages.shot(page, "hosted_page", name)


def price(sdk: stripe.StripeClient, amount: int = 1800, *, name: str = "Sticker pack",
          interval: str | None = None) -> str:
    params: dict[str, Any] = {"currency": "usd", "unit_amount": amount,
                              "product_data": {"name": name}}
    if interval:
        params["recurring"] = {"interval": interval}
    return str(sdk.v1.prices.create(params=params).id)  # type: ignore[arg-type]


def session(sdk: stripe.StripeClient, emulator: EmulatorServer, price_id: str, *,
            mode: str = "payment", **extra: Any) -> stripe.checkout.Session:
    """A session whose success URL is the emulator's own page of it."""
    return sdk.v1.checkout.sessions.create(params={  # type: ignore[arg-type]
        "mode": mode, "line_items": [{"price": price_id, "quantity": 1}],
        "success_url": f"{emulator.url}/pay/{{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{emulator.url}/favicon.svg", **extra})


def returning_customer(sdk: stripe.StripeClient) -> tuple[str, str]:
    """Ada, with a Mastercard she allowed to be shown again: her id and the card's."""
    ada = sdk.v1.customers.create(params={"email": "ada@example.com", "name": "Ada Lovelace"})
    card = sdk.v1.payment_methods.create(params={  # type: ignore[arg-type]
        "type": "card", "card": {"number": "5555555555554444", "exp_month": 12,
                                 "exp_year": 2034},
        "allow_redisplay": "always", "billing_details": ADA})
    sdk.v1.payment_methods.attach(card.id, params={"customer": ada.id})
    return ada.id, card.id


# A returning customer ---------------------------------------------------------------------------


def test_a_returning_customer_sees_the_saved_card_prefilled_and_pays_in_one_click(
    page: Page, sdk: stripe.StripeClient, emulator: EmulatorServer
) -> None:
    ada, card = returning_customer(sdk)
    cs = session(sdk, emulator, price(sdk), customer=ada)

    page.goto(cs.url or "")

    expect(page.locator("#saved-card")).to_contain_text("Pay with Mastercard •••• 4444")
    expect(page.locator("input[name=method][value=saved_card]")).to_be_checked()
    expect(page.locator("#prefill-name")).to_have_text("Ada Lovelace")
    expect(page.locator("#prefill-email")).to_have_text("ada@example.com")
    expect(page.locator("#prefill-address")).to_have_text("94080, US")
    fits(page)
    shot(page, "prefilled")

    page.click("#pay-button")

    page.wait_for_url(re.compile(r"/pay/cs_"))
    expect(page.locator("#paid")).to_be_visible()
    done = sdk.v1.checkout.sessions.retrieve(cs.id, params={"expand": ["payment_intent"]})
    assert done.status == "complete"
    assert done.payment_intent.payment_method == card  # type: ignore[union-attr]
    fits(page)
    shot(page, "paid")


def test_the_prefill_is_gone_once_the_emulators_clock_passes_30_minutes(
    page: Page, sdk: stripe.StripeClient, emulator: EmulatorServer, control: httpx.Client
) -> None:
    ada, _ = returning_customer(sdk)
    cs = session(sdk, emulator, price(sdk, interval="month", name="Pro plan"),
                 mode="subscription", customer=ada)
    page.goto(cs.url or "")
    expect(page.locator("#saved-card")).to_be_visible()

    control.post("/_emulator/clock", json={"advance_seconds": 29 * 60}).raise_for_status()
    page.reload()
    expect(page.locator("#saved-card")).to_be_visible()
    control.post("/_emulator/clock", json={"advance_seconds": 60}).raise_for_status()
    page.reload()

    expect(page.locator("#saved-card")).to_have_count(0)
    expect(page.locator("input[name=method][value=card]")).to_be_checked()
    expect(page.locator("#card-number")).to_have_value("")
    fits(page)
    shot(page, "prefill-expired")


# Rough edges a new user met -----------------------------------------------------------------


def test_a_long_session_id_fits_a_phone_screen_and_no_request_fails(
    page: Page, sdk: stripe.StripeClient, emulator: EmulatorServer
) -> None:
    cs = session(sdk, emulator, price(sdk))

    page.goto(cs.url or "")
    page.wait_for_load_state("networkidle")

    expect(page.locator("#session-id")).to_have_text(cs.id)
    fits(page)
    assert page.failed == []  # type: ignore[attr-defined]  # the favicon included
    shot(page, "open")


def test_a_decline_keeps_the_card_number_typed(
    page: Page, sdk: stripe.StripeClient, emulator: EmulatorServer
) -> None:
    cs = session(sdk, emulator, price(sdk))
    page.goto(cs.url or "")

    page.fill("#card-number", "4000 0000 0000 0002")
    page.fill("#billing-name", "Grace Hopper")
    page.click("#pay-button")

    expect(page.locator("#error")).to_contain_text("Your card was declined.")
    expect(page.locator("#card-number")).to_have_value("4000 0000 0000 0002")
    expect(page.locator("#billing-name")).to_have_value("Grace Hopper")
    fits(page)
    shot(page, "declined")
    page.fill("#card-number", "4242 4242 4242 4242")
    page.click("#pay-button")
    expect(page.locator("#paid")).to_be_visible()


def test_a_subscription_says_per_month(
    page: Page, sdk: stripe.StripeClient, emulator: EmulatorServer
) -> None:
    cs = session(sdk, emulator, price(sdk, 1500, name="Pro plan", interval="month"),
                 mode="subscription")

    page.goto(cs.url or "")

    expect(page.locator("#line-items")).to_contain_text("$15.00 / month")
    expect(page.locator("#total-interval")).to_have_text(" / month")
    expect(page.locator("#pay-button")).to_have_text("Subscribe · $15.00 / month")
    fits(page)
    shot(page, "subscription")


def test_a_paid_sessions_page_leads_back_to_the_shop(
    page: Page, sdk: stripe.StripeClient, emulator: EmulatorServer, control: httpx.Client
) -> None:
    cs = sdk.v1.checkout.sessions.create(params={
        "mode": "payment", "line_items": [{"price": price(sdk), "quantity": 1}],
        "success_url": f"{emulator.url}/favicon.svg?session_id={{CHECKOUT_SESSION_ID}}"})
    control.post(f"/_emulator/checkout/sessions/{cs.id}/pay",
                 json={"card": "4242424242424242"}).raise_for_status()

    page.goto(f"{emulator.url}/pay/{cs.id}")

    expect(page.locator("#status")).to_contain_text("Paid")
    link = page.locator("#return-link")
    expect(link).to_have_attribute("href", f"{emulator.url}/favicon.svg?session_id={cs.id}")
    fits(page)
    shot(page, "paid-revisited")
    link.click()
    page.wait_for_url(re.compile(r"/favicon\.svg"))


# A Payment Link ---------------------------------------------------------------------------------


def test_a_payment_link_opens_checkout_and_ends_on_stripes_confirmation_page(
    page: Page, sdk: stripe.StripeClient
) -> None:
    link = sdk.v1.payment_links.create(params={
        "line_items": [{"price": price(sdk), "quantity": 2}],
        "after_completion": {"type": "hosted_confirmation", "hosted_confirmation": {
            "custom_message": "Thanks! Your stickers ship tomorrow."}}})

    page.goto(link.url)
    page.wait_for_url(re.compile(r"/pay/cs_"))
    expect(page.locator("#total")).to_have_text("$36.00")
    page.fill("#card-number", "4242 4242 4242 4242")
    page.click("#pay-button")

    page.wait_for_url(re.compile(r"/pay/cs_\w+/confirmation"))
    expect(page.locator("#custom-message")).to_have_text("Thanks! Your stickers ship tomorrow.")
    fits(page)
    shot(page, "link-confirmation")


def test_a_deactivated_link_says_it_is_no_longer_active(
    page: Page, sdk: stripe.StripeClient
) -> None:
    link = sdk.v1.payment_links.create(params={
        "line_items": [{"price": price(sdk), "quantity": 1}]})
    sdk.v1.payment_links.update(link.id, params={"active": False})

    answer: Response | None = page.goto(link.url)

    assert answer is not None and answer.status == 200
    expect(page.locator("#link-inactive")).to_have_text("This link is no longer active.")
    fits(page)
    shot(page, "link-inactive")
