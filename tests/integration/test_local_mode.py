"""Local mode: an emulator started, seeded and wired to the service, and what it prints."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest
import stripe

from api.local_mode import LOCAL_API_KEY, start_local_stripe, stop_local_stripe
from api.settings import Settings


@pytest.fixture
def started() -> Iterator[tuple[Settings, str]]:
    """Local mode started from the settings of a fresh machine; its settings and its output."""
    out = io.StringIO()
    settings = Settings.from_env({"DATABASE_URL": "memory://", "PORT": "4343"})
    try:
        yield start_local_stripe(settings, out=out), out.getvalue()
    finally:
        stop_local_stripe()


def test_local_mode_points_the_sdk_and_webhooks_at_a_running_emulator(
    started: tuple[Settings, str],
) -> None:
    settings, _ = started

    assert settings.stripe_api_key == LOCAL_API_KEY
    assert settings.stripe_api_base == settings.emulator_url
    assert settings.emulator_url is not None and settings.emulator_url.startswith("http://127.0.0.1:")
    # The endpoint's secret, and the one `stripe listen` signs with.
    assert len(settings.webhook_secrets) == 2
    assert all(secret.startswith("whsec_") for secret in settings.webhook_secrets)
    sdk = stripe.StripeClient(LOCAL_API_KEY, base_addresses={"api": settings.emulator_url})
    [endpoint] = sdk.v1.webhook_endpoints.list().data
    assert endpoint.url == "http://127.0.0.1:4343/webhook"
    listed = sdk.v1.prices.list(params={"expand": ["data.product"]}).data
    names = {p.to_dict()["product"]["name"] for p in listed}
    assert names == {"Ledger T-shirt", "Sticker pack", "Pro plan"}


def test_local_mode_makes_a_staff_token_and_prints_every_url_and_token(
    started: tuple[Settings, str],
) -> None:
    settings, printed = started

    [(token, name)] = settings.staff_tokens.items()
    assert name == "local" and len(token) >= 32
    assert "Storefront:       http://127.0.0.1:4343/" in printed
    assert f"Staff token:      {token}" in printed
    assert f"curl -H 'Authorization: Bearer {token}' http://127.0.0.1:4343/sessions/cs_" in printed
    assert str(settings.emulator_url) in printed


def test_local_mode_prints_stripe_cli_lines_whose_events_the_service_accepts(
    started: tuple[Settings, str],
) -> None:
    settings, printed = started
    base, key = settings.emulator_url, LOCAL_API_KEY
    session = httpx.post(f"{base}/v1/stripecli/sessions", auth=(key, ""),
                         data={"device_name": "test"}).json()

    assert (f"stripe listen --api-base {base} --api-key {key} --skip-update --events "
            in printed)
    assert "--forward-to http://127.0.0.1:4343/webhook" in printed
    assert f"stripe trigger checkout.session.completed --api-base {base} --api-key {key}" in printed
    assert session["secret"] in settings.webhook_secrets


def test_local_mode_keeps_configured_staff_tokens() -> None:
    out = io.StringIO()
    settings = Settings.from_env({"DATABASE_URL": "memory://",
                                  "STAFF_TOKENS": "alice:alice-token-0123456789"})

    try:
        local = start_local_stripe(settings, out=out)
    finally:
        stop_local_stripe()

    assert local.staff_tokens == {"alice-token-0123456789": "alice"}
    assert "alice-token-0123456789" not in out.getvalue()
    assert "from STAFF_TOKENS (alice)" in out.getvalue()


def test_the_worker_gets_the_emulators_key_base_secret_and_staff_token(
    started: tuple[Settings, str],
) -> None:
    settings, _ = started

    env = settings.to_env()
    worker = Settings.from_env(env, serving=False)

    assert (worker.stripe_api_key, worker.stripe_api_base) == (LOCAL_API_KEY, settings.emulator_url)
    assert worker.webhook_secrets == settings.webhook_secrets
    assert worker.staff_tokens == settings.staff_tokens
