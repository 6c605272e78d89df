"""The Stripe CLI against the project's emulator: which events to listen for, which triggers the
service answers, and the command lines that work offline.

The CLI talks to the emulator through its hidden ``--api-base`` flag (it accepts
``http://127.0.0.1:PORT`` only, not ``localhost``). ``make stripe-cli`` installs it from npm into
``var/stripe-cli`` (``.ci/stripe-cli.sh``); :func:`installed` finds it there or on ``PATH``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from adapters.stripe_events import HANDLED

ROOT = Path(__file__).resolve().parent.parent
LOCAL_BINARY = ROOT / "var/stripe-cli/node_modules/@stripe/cli-linux-x64/bin/stripe"

#: ``stripe trigger`` types that reach the service and what it does with each (see the README).
TRIGGERS = (
    "checkout.session.completed", "checkout.session.expired",
    "checkout.session.async_payment_succeeded", "checkout.session.async_payment_failed",
    "setup_intent.succeeded", "payment_intent.succeeded", "payment_intent.payment_failed",
    "customer.subscription.created", "customer.subscription.updated",
    "customer.subscription.deleted", "invoice.paid", "invoice.payment_failed",
)
#: What ``stripe listen --events`` forwards: every type the ledger applies, and the triggers'.
LISTEN_EVENTS = tuple(sorted(set(HANDLED) | set(TRIGGERS)))

#: Keep the CLI on this machine: no telemetry; its version check (``stripe trigger`` always
#: asks GitHub, ``listen`` unless ``--skip-update``) goes to a proxy nobody listens on, and fails
#: at once. Loopback addresses (the emulator, the service) never go through a proxy.
OFFLINE_ENV = {"STRIPE_CLI_TELEMETRY_OPTOUT": "1", "HTTPS_PROXY": "http://127.0.0.1:9",
               "HTTP_PROXY": "http://127.0.0.1:9"}


def installed() -> Path | None:
    """The CLI installed for the project (``var/stripe-cli``), else ``stripe`` on ``PATH``."""
    if LOCAL_BINARY.is_file():
        return LOCAL_BINARY
    found = shutil.which("stripe")
    return Path(found) if found else None


def listen_command(api_base: str, api_key: str, forward_to: str) -> list[str]:
    """``stripe listen`` forwarding :data:`LISTEN_EVENTS` from the emulator to ``forward_to``."""
    return ["stripe", "listen", "--api-base", api_base, "--api-key", api_key, "--skip-update",
            "--events", ",".join(LISTEN_EVENTS), "--forward-to", forward_to]


def trigger_command(api_base: str, api_key: str, event: str) -> list[str]:
    """``stripe trigger EVENT`` against the emulator."""
    return ["stripe", "trigger", event, "--api-base", api_base, "--api-key", api_key]
