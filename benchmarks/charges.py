"""`make bench`, third part: off-session charges per second against the emulator.

It starts the emulator (``python -m emulator``), saves a card for each of ``--customers``
customers through setup-mode Checkout (the service's own cards application does the Stripe
side), then makes ``--charges`` off-session charges two ways, with ``--threads`` at once:

- **service**: ``Charges.charge`` (the charges application): validate, record the request,
  call Stripe with the charge's idempotency key, record the outcome: what
  ``POST /customers/{id}/charges`` runs, without the HTTP;
- **sdk**: the Stripe gateway's ``charge_off_session`` alone (the SDK call to the emulator).

The difference per charge is what the service adds to the SDK call. Store: a fresh SQLite
file (``--store memory`` for the in-memory one).

    .venv/bin/python benchmarks/charges.py [--customers 20] [--charges 400] [--threads 8]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `benchmarks` and `api` importable

from adapters.stripe_webhook import translate  # noqa: E402
from api.settings import Settings  # noqa: E402
from api.system import build  # noqa: E402
from benchmarks.fulfillment_lag import process  # noqa: E402
from benchmarks.lag_load import API_KEY  # noqa: E402
from domain.apps.charges import ChargeOrder  # noqa: E402
from domain.model.card_setup import card_setup_uuid  # noqa: E402
from domain.model.payment_facts import ChargeRequest  # noqa: E402
from emulator.server import free_port  # noqa: E402
from tests.support.purchases import Shop  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--charges", type=int, default=400)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--store", choices=("sqlite", "memory"), default="sqlite")
    return parser.parse_args(argv)


def timed(threads: int, calls: list[Any]) -> tuple[float, list[float]]:
    """Run ``calls`` on ``threads`` threads; (seconds in all, each call's ms)."""
    def one(call: Any) -> float:
        began = time.perf_counter()
        call()
        return (time.perf_counter() - began) * 1000

    began = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        each = list(pool.map(one, calls))
    return time.perf_counter() - began, sorted(each)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="bench-charges-") as tmp, process(
            [sys.executable, "-m", "emulator", "--port", str(port)], {},
            f"{url}/_emulator/health", "emulator"):
        httpx.post(f"{url}/_emulator/delivery", json={"drop": True}, trust_env=False)
        database = "memory://" if args.store == "memory" else f"sqlite:///{tmp}/l.sqlite3"
        services = build(Settings.from_env({
            "DATABASE_URL": database, "STRIPE_API_KEY": API_KEY, "STRIPE_API_BASE": url,
            "STRIPE_WEBHOOK_SECRET": "whsec_bench", "STAFF_TOKENS": "bench:bench-token-0123"}))
        try:
            customers = save_cards(services, url, args.customers)
            orders = [ChargeOrder(customers[i % len(customers)], 1000 + i, "usd")
                      for i in range(args.charges)]
            service_s, service_ms = timed(args.threads, [
                lambda o=o: services.charges.charge(o, "bench") for o in orders])
            defaults = {c: services.customers.customer(c).default_card for c in customers}
            sdk_s, sdk_ms = timed(args.threads, [lambda o=o: services.stripe.charge_off_session(
                ChargeRequest(o.customer, str(defaults[o.customer]), o.amount, o.currency, None,
                              f"bench-{uuid.uuid4().hex}")) for o in orders])
        finally:
            services.stop()
    row = {"bench": "charges", "store": args.store, "charges": args.charges,
           "threads": args.threads,
           "service_per_s": round(args.charges / service_s, 1),
           "sdk_per_s": round(args.charges / sdk_s, 1),
           "service_p50_ms": round(service_ms[len(service_ms) // 2], 2),
           "sdk_p50_ms": round(sdk_ms[len(sdk_ms) // 2], 2),
           "service_ms_per_charge": round(service_s * 1000 / args.charges, 2),
           "sdk_ms_per_charge": round(sdk_s * 1000 / args.charges, 2)}
    row["added_ms_per_charge"] = round(row["service_ms_per_charge"] - row["sdk_ms_per_charge"], 2)
    print(json.dumps(row))
    return 0


def save_cards(services: Any, url: str, count: int) -> list[str]:
    """``count`` customers with a saved card, saved the way the service saves them."""
    with Shop(url) as shop:
        sessions = []
        for n in range(count):
            session_id = shop.setup_session(email=f"bench{n}@example.com")
            shop.pay(session_id)
            sessions.append(session_id)
        events = [shop.event(s, "checkout.session.completed") for s in sessions]
    services.inbox.record([translate(e, json.dumps(e)) for e in events])
    services.settle()
    return [services.cards.current(card_setup_uuid(s)).saved.customer for s in sessions]


if __name__ == "__main__":
    sys.exit(main())
