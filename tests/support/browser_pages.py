"""Browser pages at a phone's and a desktop's size, their screenshots, and the check that
nothing is wider than the screen (for the browser tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Browser, Page

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


def sized_page(browser: Browser, size: str) -> Iterator[Page]:
    """A page at ``size``; every answer of 400 or more is kept in ``page.failed``."""
    context = browser.new_context(viewport=SIZES[size])  # type: ignore[arg-type]
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    failed: list[str] = []
    opened.on("response", lambda r: failed.append(f"{r.status} {r.url}")
              if r.status >= 400 else None)
    opened.failed = failed  # type: ignore[attr-defined]
    opened.size = size  # type: ignore[attr-defined]
    try:
        yield opened
    finally:
        context.close()


def shot(page: Page, folder: str, name: str) -> None:
    """A full-page screenshot, ``tests/artifacts/<folder>/<name>-<size>.png``."""
    (ARTIFACTS / folder).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / folder / f"{name}-{page.size}.png"),  # type: ignore[attr-defined]
                    full_page=True)


def fits(page: Page) -> None:
    """Nothing is wider than the screen (no sideways scrolling on a phone)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size
    assert viewport is not None
    assert width <= viewport["width"], f"page is {width} px wide on a {viewport['width']} px screen"
