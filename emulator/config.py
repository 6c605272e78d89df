"""Settings of one emulator instance."""

from __future__ import annotations

from dataclasses import dataclass

# The version the bundled stripe SDK (16.x) pins; events and endpoints report it like Stripe does.
DEFAULT_API_VERSION = "2026-10-28.endive"


@dataclass(frozen=True)
class EmulatorConfig:
    """Tunables of an emulator; the defaults suit a person clicking through the hosted page.

    Tests shrink the timings, e.g. ``EmulatorConfig(retry_base_seconds=0.05, max_attempts=8)``.
    """

    retry_base_seconds: float = 1.0
    """First retry of a failed webhook delivery waits this long; each next one twice as long."""
    max_attempts: int = 8
    """Delivery attempts per event and endpoint before giving up."""
    delivery_timeout_seconds: float = 5.0
    settle_delay_seconds: float | None = 2.0
    """A bank debit settles this long after the session completes; None: only by control call."""
    flush_timeout_seconds: float = 10.0
    api_version: str = DEFAULT_API_VERSION
    allow_external_webhooks: bool = False
    """Nothing leaves the machine unless asked: webhooks go only to loopback hosts by default."""
    public_url: str | None = None
    """Base of the hosted page URLs; None means the URL the API request came in on."""
