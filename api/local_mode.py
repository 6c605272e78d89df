"""Local mode: with no ``STRIPE_API_KEY``, the service runs against the project's Stripe emulator.

:func:`start_local_stripe` starts the emulator on a free loopback port for the life of the
process, seeds a few prices, registers the service's ``/webhook`` as the emulator's webhook
endpoint (the emulator then signs and delivers the ``checkout.session.*`` events exactly as
Stripe would), and prints everything a person needs to click through a purchase.

The service also accepts what ``stripe listen --forward-to .../webhook`` forwards from the same
emulator (signed with the emulator's CLI secret), so the Stripe CLI's ``listen`` and ``trigger``
command lines it prints work as they are. An event then arrives twice, once from the endpoint
and once through the CLI; the second is recorded as a duplicate (``"duplicate": true``).
"""

from __future__ import annotations

import atexit
import secrets
import sys
from dataclasses import replace
from typing import TextIO

from adapters.stripe_gateway import StripeGateway
from api.settings import Settings
from api.stripe_cli import listen_command, trigger_command
from emulator.seed import seed_catalog
from emulator.server import EmulatorServer

LOCAL_API_KEY = "sk_test_local_emulator"
LOCAL_STAFF_NAME = "local"
_LOOPBACK_ALIASES = ("", "0.0.0.0", "::", "localhost")

_running: list[EmulatorServer] = []  # kept alive (and reachable) for the life of the process


def start_local_stripe(settings: Settings, *, out: TextIO | None = None) -> Settings:
    """Start and seed an emulator; answer ``settings`` pointed at it (key, base, secret, staff)."""
    out = out or sys.stdout
    server = EmulatorServer(host="127.0.0.1").start()
    _running.append(server)
    atexit.register(server.stop)

    prices = seed_catalog(server.url, LOCAL_API_KEY)
    gateway = StripeGateway(LOCAL_API_KEY, server.url)
    webhook_url = f"http://{_loopback(settings.host)}:{settings.port}/webhook"
    secret = gateway.create_webhook_endpoint(webhook_url)
    cli_secret = server.app.state.runtime.cli.secret  # what `stripe listen` signs with

    staff_tokens = dict(settings.staff_tokens)
    new_token = None
    if not staff_tokens:
        new_token = secrets.token_urlsafe(24)
        staff_tokens[new_token] = LOCAL_STAFF_NAME

    local = replace(
        settings,
        stripe_api_key=LOCAL_API_KEY,
        stripe_api_base=server.url,
        webhook_secrets=(secret, cli_secret),
        staff_tokens=staff_tokens,
        emulator_url=server.url,
    )
    _announce(local, webhook_url, new_token, [str(p.get("lookup_key")) for p in prices], out)
    return local


def stop_local_stripe() -> None:
    """Stop the emulators this process started (tests; at exit it happens by itself)."""
    while _running:
        _running.pop().stop()


def _loopback(host: str) -> str:
    """Where the emulator (which only delivers to loopback hosts) reaches the service."""
    return "127.0.0.1" if host in _LOOPBACK_ALIASES else host


def _announce(settings: Settings, webhook_url: str, new_token: str | None, price_keys: list[str],
              out: TextIO) -> None:
    """Plain lines on stdout: every URL and token a person needs."""
    public = settings.public_url
    token = new_token or "<your token from STAFF_TOKENS>"
    lines = [
        "",
        "checkout-ledger is running in LOCAL MODE (no STRIPE_API_KEY): no real money moves.",
        f"  Storefront:       {public}/",
        f"  Support console:  {public}/support  (sign in with the staff token)",
        "  Test cards:       4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined",
        f"  Stripe emulator:  {settings.emulator_url}  (API key {settings.stripe_api_key})",
        f"  Webhooks:         emulator -> {webhook_url}",
        f"  Seeded prices:    {', '.join(price_keys)}",
    ]
    if new_token is not None:
        lines.append(f"  Staff token:      {new_token}  (name {LOCAL_STAFF_NAME!r}; "
                     "set STAFF_TOKENS to choose your own)")
    else:
        names = ", ".join(sorted(set(settings.staff_tokens.values())))
        lines.append(f"  Staff tokens:     from STAFF_TOKENS ({names})")
    lines += [
        "  After a purchase, see what the ledger recorded:",
        f"    curl -H 'Authorization: Bearer {token}' {public}/sessions/cs_...",
        f"    curl -H 'Authorization: Bearer {token}' {public}/sessions/cs_.../history",
        f"    curl -H 'Authorization: Bearer {token}' {public}/support/failures",
        *_stripe_cli_lines(str(settings.emulator_url), str(settings.stripe_api_key),
                           webhook_url),
        "",
    ]
    print("\n".join(lines), file=out, flush=True)


def _stripe_cli_lines(api_base: str, api_key: str, webhook_url: str) -> list[str]:
    """The Stripe CLI's loop against this emulator (README: "Develop with the Stripe CLI")."""
    return [
        "  Stripe CLI (npm install @stripe/cli; events also reach /webhook without it):",
        "    " + " ".join(listen_command(api_base, api_key, webhook_url)),
        "    " + " ".join(trigger_command(api_base, api_key, "checkout.session.completed")),
    ]
