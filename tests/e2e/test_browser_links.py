"""Selling with a Payment Link in local mode, in headless Chromium: staff make a link, the
storefront offers it, a customer pays through it and the ledger fulfils the session; and a
customer who cancels comes back to a storefront that says so. Screenshots at a phone's width
(390 px) and a desktop's go to ``tests/artifacts/storefront/`` (gitignored).

``checkout-ledger serve`` runs in local mode as in ``test_browser.py`` (same fixtures).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_browser import (  # noqa: F401  (fixtures)
    CHROMIUM,
    LocalService,
    browser,
    service,
)
from tests.e2e.test_browser import _until as until
from tests.support import browser_pages
from tests.support.browser_pages import SIZES, fits, sized_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} is missing (apt-get install chromium; .ci/run does)"),
]


@pytest.fixture(params=list(SIZES))
def sized(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:  # noqa: F811
    yield from sized_page(browser, request.param)


def shot(page: Page, name: str) -> None:
    browser_pages.shot(page, "storefront", name)


def staff(service: LocalService) -> dict[str, str]:  # noqa: F811
    return {"Authorization": f"Bearer {service.staff_token}"}


def sticker_price(service: LocalService) -> str:  # noqa: F811
    """The seeded sticker pack's price id, read from the storefront."""
    page = httpx.get(f"{service.url}/", trust_env=False).text
    found = re.search(r'data-price="(price_\w+)">\s*<div>\s*<h2>Sticker pack', page)
    assert found, page
    return found.group(1)


def test_a_customer_pays_through_the_storefronts_payment_link_and_is_fulfilled(
    service: LocalService, sized: Page  # noqa: F811
) -> None:
    created = httpx.post(f"{service.url}/payment-links", trust_env=False, headers=staff(service),
                         json={"price": sticker_price(service), "quantity": 2})
    assert created.status_code == 201, created.text
    link = created.json()

    sized.goto(f"{service.url}/")
    offer = sized.locator("#payment-links li", has=sized.locator(f'a[href="{link["url"]}"]'))
    expect(offer).to_contain_text("Sticker pack \u00d7 2")
    fits(sized)
    shot(sized, "storefront-with-link")
    offer.get_by_role("link").click()
    sized.wait_for_url(re.compile(r"/pay/cs_"))
    fits(sized)
    sized.fill("#card-number", "4242 4242 4242 4242")
    sized.click("#pay-button")

    sized.wait_for_url(re.compile(r"/success\?session_id=cs_"))
    expect(sized.locator("#result")).to_have_attribute("data-status", "fulfilled")
    expect(sized.locator("#line-items")).to_contain_text("Granted: 2 x Sticker pack")
    fits(sized)
    shot(sized, "link-success")
    session_id = sized.url.split("session_id=", 1)[1]
    # The webhook's Completed and the ledger's copy of the page's Fulfilled come a moment later.
    types = until(lambda: (t := service.history_types(session_id))
                  and "Completed" in t and "Fulfilled" in t and t)
    assert types.count("Fulfilled") == 1
    state = httpx.get(f"{service.url}/sessions/{session_id}", headers=staff(service),
                      trust_env=False).json()
    assert state["payment_link"] == link["id"]
    assert sized.failed == []  # type: ignore[attr-defined]  # no favicon 404


def test_a_canceled_checkout_returns_to_a_storefront_that_says_nothing_was_charged(
    service: LocalService, sized: Page  # noqa: F811
) -> None:
    sized.goto(f"{service.url}/")
    sized.locator("li.product", has_text="Ledger T-shirt").get_by_role("button").click()
    sized.wait_for_url(re.compile(r"/pay/cs_"))

    sized.click("#cancel-link")

    sized.wait_for_url(re.compile(r"/\?checkout=canceled$"))
    expect(sized.locator("#checkout-canceled")).to_contain_text("nothing was charged")
    fits(sized)
    shot(sized, "canceled")
    assert sized.failed == []  # type: ignore[attr-defined]
