"""`make bench`, fifth part: ``GET /customers/{id}/entitlements`` at a fixed rate, beside
``GET /healthz``.

For each store (a fresh SQLite file; a throwaway PostgreSQL cluster) it starts the emulator as
a process and seeds ``--customers`` customers through the service's own flows, with its
applications built in this process (``api.system.build``, ``TEST_CLOCK=1``): a card saved
through setup-mode Checkout, ``--purchases`` one-time purchases (payment-mode Checkout paid
at the emulator, its ``checkout.session.completed`` recorded as the webhook records it and
fulfilled), ``--subscriptions`` monthly subscriptions started, then ``--months`` months of
renewals on the test clock. Each customer's entitlements are then a few purchases and
subscriptions with a year of history behind them.

Then it starts the real service on that store (``checkout-ledger serve``: web process and
worker, no ``TEST_CLOCK``, as in production) and drives it open-loop at ``--rate`` requests
per second (``benchmarks/open_loop.py``: each request due at a fixed time, whatever the
answers before it): ``GET /healthz`` and ``GET /customers/{id}/entitlements`` (a random
seeded customer each time, as staff) in alternating phases, ``--seconds`` in all for each,
after a warm-up. It prints one JSON line per store with p50/p90/p99 of each and the ratio of
their p99s. Target (the subscriptions issue): entitlements p99 under 5 ms at 500 requests/s.

``--profile N`` also times the route's work without HTTP (``entitlements_of`` and the JSON)
N times in this process against the same store, and one Access replayed from its whole
history (the cost before snapshots), then prints a cProfile of the route's work.

    .venv/bin/python benchmarks/entitlements.py [--rate 500] [--seconds 30]
        [--stores sqlite,postgres] [--customers 100] [--purchases 2] [--subscriptions 2]
        [--months 12] [--profile 0]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import os
import pstats
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import stripe
from eventsourcing.application import project_aggregate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `benchmarks` and `api` importable

from adapters.stripe_webhook import translate  # noqa: E402
from api.settings import Settings  # noqa: E402
from api.subscriptions import entitlements_of  # noqa: E402
from api.system import Services, build  # noqa: E402
from benchmarks import open_loop, options  # noqa: E402
from benchmarks.fulfillment_lag import database, process  # noqa: E402
from benchmarks.lag_load import API_KEY, completed_events, cpu_seconds  # noqa: E402
from benchmarks.renewals import SUCCESS_URL, emulator, save_cards  # noqa: E402
from domain.apps.subscriptions import SubscriptionOrder  # noqa: E402
from domain.model.access import access_uuid  # noqa: E402
from domain.model.subscription import Plan  # noqa: E402
from emulator.server import free_port  # noqa: E402

STORES = ("sqlite", "postgres")
STAFF_TOKEN = "bench-entitlements-0123"
TARGET_P99_MS = 5.0
WARMUP_S = 3.0
ROUNDS = 2  # healthz, entitlements, healthz, entitlements: drift in the machine's load hits both
PLANS = (Plan(1500, "usd", "month", 1, "Pro plan"), Plan(900, "usd", "month", 1, "Add-on seats"),
         Plan(2900, "usd", "month", 1, "Team plan"))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=500.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="measured seconds per endpoint")
    parser.add_argument("--stores", default=",".join(STORES), help="sqlite,postgres")
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--purchases", type=int, default=2, help="one-time, per customer")
    parser.add_argument("--subscriptions", type=int, default=2, help="per customer")
    parser.add_argument("--months", type=int, default=12, help="of renewals before the load")
    parser.add_argument("--threads", type=int, default=8, help="for the seeding")
    parser.add_argument("--profile", type=int, default=0,
                        help="also profile N reads in this process (0: no)")
    args = parser.parse_args(argv)
    args.stores = options.stores(parser, args.stores, STORES)
    if not 1 <= args.subscriptions <= len(PLANS):
        parser.error(f"--subscriptions: 1 to {len(PLANS)}")
    return args


# Seeding ----------------------------------------------------------------------------------


def seed(services: Services, url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Customers with a card, purchases and subscriptions with months of renewals, all
    through the applications and the emulator; what was made."""
    began = time.perf_counter()
    customers = save_cards(services, url, args.customers, args.threads)
    sessions = _purchases(services, url, customers, args.purchases, args.threads)
    subs = services.subscriptions
    anchor = subs.clock_now()  # the test clock stops here: every subscription on one calendar
    orders = [SubscriptionOrder(c, plan) for c in customers for plan in PLANS[:args.subscriptions]]
    with ThreadPoolExecutor(args.threads) as pool:
        list(pool.map(lambda o: subs.start(o, "bench"), orders))
    services.settle(rounds=200)
    ran: dict[str, int] = {}
    for month in range(1, args.months + 1):
        at = PLANS[0].every.boundary(anchor, month)
        subs.move_clock(at, "bench")
        for kind, count in subs.run_due(at).items():
            ran[kind] = ran.get(kind, 0) + count
        services.settle(rounds=200)
    versions = [access.version for c in customers
                if (access := services.customers.access(c)) is not None]
    entitled = [len(services.customers.entitlements(c, datetime.now(UTC),
                                                    services.settings.grace_period))
                for c in customers]
    return {"customers": customers, "purchases": len(sessions), "ran": ran,
            "access_events_mean": round(sum(versions) / max(len(versions), 1), 1),
            "entitlements_mean": round(sum(entitled) / max(len(entitled), 1), 1),
            "seed_s": round(time.perf_counter() - began, 1)}


def _purchases(services: Services, url: str, customers: list[str], each: int,
               threads: int) -> list[str]:
    """``each`` paid payment-mode sessions per customer, recorded and fulfilled."""
    sdk = stripe.StripeClient(API_KEY, base_addresses={"api": url})
    with httpx.Client(base_url=url, trust_env=False, timeout=30) as control:
        def buy(job: tuple[str, int]) -> str:
            customer, n = job
            session = sdk.v1.checkout.sessions.create(params={  # type: ignore[arg-type]
                "mode": "payment", "customer": customer, "success_url": SUCCESS_URL,
                "line_items": [{"quantity": 1, "price_data": {
                    "currency": "usd", "unit_amount": 900 + 100 * n,
                    "product_data": {"name": f"Ledger e-book vol. {n + 1}"}}}]})
            control.post(f"/_emulator/checkout/sessions/{session.id}/pay",
                         json={"card": "4242424242424242"}).raise_for_status()
            return str(session.id)

        with ThreadPoolExecutor(threads) as pool:
            sessions = list(pool.map(buy, [(c, n) for c in customers for n in range(each)]))
    wanted = set(sessions)
    events = [e for e in completed_events(url) if e["data"]["object"]["id"] in wanted]
    for start in range(0, len(events), 500):
        services.inbox.record([translate(e, json.dumps(e)) for e in events[start:start + 500]])
    services.settle(rounds=200)
    return sessions


# The load ---------------------------------------------------------------------------------


async def load(port: int, service_pid: int, customers: list[str], rate: float, seconds: float
               ) -> tuple[dict[str, open_loop.Phase], dict[str, float]]:
    """Warm-up, then healthz and entitlements phases in turn; each endpoint's phases folded,
    and the CPU seconds the service (web process and worker) used during each endpoint's."""
    auth = {"Authorization": f"Bearer {STAFF_TOKEN}"}
    picks = random.Random(7)
    chosen = [picks.choice(customers) for _ in range(int(rate * seconds) + 1)]
    requests = {
        "healthz": lambda i: open_loop.get("/healthz", port),
        "entitlements": lambda i: open_loop.get(
            f"/customers/{chosen[i % len(chosen)]}/entitlements", port, auth),
    }
    return await open_loop.phases(port, requests, rate, seconds,
                                  lambda: cpu_seconds(service_pid), rounds=ROUNDS,
                                  warmup=WARMUP_S)


def profile_reads(services: Services, customers: list[str], count: int) -> dict[str, Any]:
    """Time ``count`` runs of the route's work (``entitlements_of`` and the JSON) in this
    process, then the same under cProfile; also one Access replayed from its whole history
    (what each read cost before the snapshots). The means, and the top of the profile."""
    picks = random.Random(11)
    chosen = [picks.choice(customers) for _ in range(count)]

    def timed(work: Any) -> float:
        for customer in chosen[:50]:
            work(customer)
        began = time.perf_counter()
        for customer in chosen:
            work(customer)
        return round((time.perf_counter() - began) * 1000 / count, 3)

    def read(customer: str) -> bytes:
        return json.dumps(entitlements_of(services, customer)).encode()

    def replay(customer: str) -> Any:
        return project_aggregate(None, services.customers.events.get(access_uuid(customer)))

    figures = {"read_ms": timed(read), "replay_whole_access_ms": timed(replay)}
    profiler = cProfile.Profile()
    profiler.enable()
    for customer in chosen:
        read(customer)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    return {**figures, "profile": out.getvalue()}


def run_store(store: str, args: argparse.Namespace) -> dict[str, Any]:
    with ExitStack() as stack:
        database_url, _ = stack.enter_context(database(store))
        url = stack.enter_context(emulator())
        services = build(Settings.from_env({
            "DATABASE_URL": database_url, "STRIPE_API_KEY": API_KEY, "STRIPE_API_BASE": url,
            "STRIPE_WEBHOOK_SECRET": "whsec_bench", "TEST_CLOCK": "1"}))
        try:
            seeded = seed(services, url, args)
        finally:
            services.stop()
        port = free_port()
        service = stack.enter_context(process(
            [str(Path(sys.executable).parent / "checkout-ledger"), "serve"],
            {"DATABASE_URL": database_url, "STRIPE_API_KEY": API_KEY, "STRIPE_API_BASE": url,
             "STRIPE_WEBHOOK_SECRET": "whsec_bench", "STAFF_TOKENS": f"bench:{STAFF_TOKEN}",
             "HOST": "127.0.0.1", "PORT": str(port), "TEST_CLOCK": ""},
            f"http://127.0.0.1:{port}/healthz", "service"))
        _check_answers(port, seeded["customers"][0])
        phases, cpu = open_loop.run(load(port, service.pid, seeded["customers"], args.rate,
                                         args.seconds))
        profiled: dict[str, Any] = {}
        if args.profile:
            reader = build(Settings.from_env({
                "DATABASE_URL": database_url, "STRIPE_API_KEY": API_KEY,
                "STRIPE_API_BASE": url, "STRIPE_WEBHOOK_SECRET": "whsec_bench",
                "CREATE_TABLE": "n"}))
            try:
                profiled = profile_reads(reader, seeded["customers"], args.profile)
            finally:
                reader.stop()
    ent, health = phases["entitlements"].figures(), phases["healthz"].figures()
    row: dict[str, Any] = {
        "bench": "entitlements", "store": store, "rate": args.rate,
        "seconds_each": args.seconds, "customers": args.customers,
        "purchases_each": args.purchases, "subscriptions_each": args.subscriptions,
        "months": args.months, "access_events_mean": seeded["access_events_mean"],
        "entitlements_mean": seeded["entitlements_mean"], "seed_s": seeded["seed_s"],
        **{f"entitlements_{k}": v for k, v in ent.items()},
        **{f"healthz_{k}": v for k, v in health.items()},
        "p99_ratio": round(ent["p99_ms"] / health["p99_ms"], 2) if health["p99_ms"] else None,
        **{f"{name}_cpu_ms_per_request": round(used * 1000 / max(phases[name].sent, 1), 2)
           for name, used in cpu.items()},
        "target_p99_ms": TARGET_P99_MS, "target_met": ent["p99_ms"] < TARGET_P99_MS
        and ent["non_2xx"] == 0 and ent["errors"] == 0,
        "cpus": os.cpu_count(), "loadavg_1m": round(os.getloadavg()[0], 2),
    }
    if profiled:
        row["in_process_read_ms"] = profiled["read_ms"]
        row["in_process_replay_whole_access_ms"] = profiled["replay_whole_access_ms"]
        print(profiled["profile"], file=sys.stderr)
    return row


def _check_answers(port: int, customer: str) -> None:
    """The route answers the seeded customer's entitlements before the load begins."""
    answer = httpx.get(f"http://127.0.0.1:{port}/customers/{customer}/entitlements",
                       headers={"Authorization": f"Bearer {STAFF_TOKEN}"}, trust_env=False)
    answer.raise_for_status()
    if not answer.json()["entitlements"]:
        raise RuntimeError(f"{customer} has no entitlements: {answer.text}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.getLogger("adapters.notifiers").setLevel(logging.ERROR)
    rows = []
    for store in args.stores:
        row = run_store(store, args)
        print(json.dumps(row), flush=True)
        rows.append(row)
    print()
    for row in rows:
        print(f"{row['store']}: entitlements p50 {row['entitlements_p50_ms']} ms, p99 "
              f"{row['entitlements_p99_ms']} ms; healthz p99 {row['healthz_p99_ms']} ms "
              f"(ratio {row['p99_ratio']}); at {row['entitlements_rate_sent']}/s; target p99 < "
              f"{TARGET_P99_MS:.0f} ms: {'met' if row['target_met'] else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
