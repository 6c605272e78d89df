"""`make bench`, seventh part: state queries ``?version=N`` at a fixed rate, beside
``GET /healthz``.

For each store (a fresh SQLite file; a throwaway PostgreSQL cluster) it seeds ``--events``
events of the rebuild bench's mix (``benchmarks/rebuild.py``: sessions paid, delayed and
failed, expired, cards saved, charges, Stripe subscriptions renewed month after month),
through the applications in this process. Then it starts the real service on that store
(``checkout-ledger serve``: web process and worker) and drives it open-loop at ``--rate``
requests per second (``benchmarks/open_loop.py``), as staff, in alternating phases of
``--seconds`` in all each, after a warm-up:

- ``GET /healthz`` (what the HTTP stack costs alone);
- ``GET /sessions/{cs_id}?version=N``: a random seeded session, N a random one of its
  versions (the state after its N-th event, as the console's timeline shows it);
- ``GET /subscriptions/{sub_id}?version=N``: a random Stripe subscription, N a random one
  of its versions (a year of renewals: up to ~25 events).

It prints one JSON line per store with p50/p90/p99 of each, and the same reads timed in the
seeding process without HTTP (the ledger's read and the JSON document). Target (the support
issue): ``?version=N`` p99 under 20 ms.

    .venv/bin/python benchmarks/state_queries.py [--rate 300] [--seconds 30]
        [--stores sqlite,postgres] [--events 30000] [--months 12]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `benchmarks`, `api` and `tests` importable

from api.system import Services  # noqa: E402
from api.views import session_view  # noqa: E402
from benchmarks import open_loop, options  # noqa: E402
from benchmarks.fulfillment_lag import database, process  # noqa: E402
from benchmarks.lag_load import cpu_seconds  # noqa: E402
from benchmarks.rebuild import Seeder, bench_services, seed  # noqa: E402
from emulator.server import free_port  # noqa: E402
from tests.support.fake_stripe import FakeStripeGateway  # noqa: E402

STORES = ("sqlite", "postgres")
STAFF_TOKEN = "bench-state-queries-0123"
TARGET_P99_MS = 20.0
WARMUP_S = 3.0
ROUNDS = 2  # each endpoint's time in two phases: drift in the machine's load hits all
SAMPLE = 2000  # sessions and subscriptions whose versions are asked for


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=300.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="measured seconds per endpoint")
    parser.add_argument("--stores", default=",".join(STORES), help="sqlite,postgres")
    parser.add_argument("--events", type=int, default=30_000,
                        help="seed until the store holds this many events (all logs)")
    parser.add_argument("--months", type=int, default=12,
                        help="seeding rounds, at least (each renews every subscription)")
    args = parser.parse_args(argv)
    args.stores = options.stores(parser, args.stores, STORES)
    return args


def targets(database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Seed the store; (id, versions) of a sample of its sessions and subscriptions."""
    stripe = FakeStripeGateway()
    services = bench_services(database_url, stripe)
    try:
        # At least --months rounds, so each subscription has months of invoices behind it.
        round_size = max(100, args.events // (7 * max(args.months, 1)))
        seeder, seeded = seed(services, stripe, args.events, round_size, args.months)
        picks = random.Random(3)
        sessions = picks.sample(seeder.sessions, min(SAMPLE, len(seeder.sessions)))
        subs = [sub for sub, _, _ in seeder.subscriptions][:SAMPLE]
        ledger = services.ledger
        found = {
            "sessions": [(s, len(ledger.history(s))) for s in sessions],
            "subscriptions": [(s, len(ledger.subscription_history(s))) for s in subs],
        }
        in_process = _in_process(services, found)
    finally:
        services.stop()
    versions = [v for s, v in found["subscriptions"]]
    return {**found, "seeded": {**seeded, "months": _months(seeder),
                                "subscription_versions_max": max(versions, default=0),
                                **in_process}}


def _in_process(services: Services, found: dict[str, Any]) -> dict[str, float]:
    """The route's work without HTTP: each sampled item read at a random version and
    turned into its JSON document; p50/p99 in ms (what the service adds to it is HTTP)."""
    picks = random.Random(5)
    figures: dict[str, float] = {}
    reads = {"sessions": lambda i, v: session_view(services.ledger.session(i, version=v)),
             "subscriptions": lambda i, v: services.ledger.subscription(i, version=v).view()}
    for name, read in reads.items():
        spent = []
        for item, versions in found[name]:
            version = picks.randint(1, versions)
            began = time.perf_counter()
            read(item, version)
            spent.append((time.perf_counter() - began) * 1000)
        figures[f"in_process_{name}_p50_ms"] = round(open_loop.percentile(spent, 0.5), 3)
        figures[f"in_process_{name}_p99_ms"] = round(open_loop.percentile(spent, 0.99), 3)
    return figures


def _months(seeder: Seeder) -> int:
    return max((months for _, _, months in seeder.subscriptions), default=0)


async def load(port: int, service_pid: int, found: dict[str, Any], rate: float,
               seconds: float) -> tuple[dict[str, open_loop.Phase], dict[str, float]]:
    """Warm-up, then each endpoint's phases in turn; their figures folded, and the CPU
    seconds the service (web process and worker) used during each endpoint's."""
    auth = {"Authorization": f"Bearer {STAFF_TOKEN}"}
    picks = random.Random(7)
    count = int(rate * seconds) + 1

    def paths(prefix: str, items: list[tuple[str, int]]) -> list[str]:
        chosen = [picks.choice(items) for _ in range(count)]
        return [f"/{prefix}/{i}?version={picks.randint(1, n)}" for i, n in chosen]

    planned = {"sessions": paths("sessions", found["sessions"]),
               "subscriptions": paths("subscriptions", found["subscriptions"])}
    requests = {
        "healthz": lambda i: open_loop.get("/healthz", port),
        **{name: (lambda i, ps=ps: open_loop.get(ps[i % len(ps)], port, auth))
           for name, ps in planned.items() if ps},
    }
    return await open_loop.phases(port, requests, rate, seconds,
                                  lambda: cpu_seconds(service_pid), rounds=ROUNDS,
                                  warmup=WARMUP_S)


def _check_answers(port: int, found: dict[str, Any]) -> None:
    """A session and a subscription answer at their first version before the load."""
    auth = {"Authorization": f"Bearer {STAFF_TOKEN}"}
    for prefix in ("sessions", "subscriptions"):
        if not found[prefix]:
            continue
        item, _ = found[prefix][0]
        answer = httpx.get(f"http://127.0.0.1:{port}/{prefix}/{item}?version=1", headers=auth,
                           trust_env=False)
        answer.raise_for_status()


def run_store(store: str, args: argparse.Namespace) -> dict[str, Any]:
    with ExitStack() as stack:
        database_url, _ = stack.enter_context(database(store))
        found = targets(database_url, args)
        port = free_port()
        service = stack.enter_context(process(
            [str(Path(sys.executable).parent / "checkout-ledger"), "serve"],
            {"DATABASE_URL": database_url, "STRIPE_API_KEY": "sk_test_bench_state",
             # Nothing is asked of Stripe here: an address where nothing answers.
             "STRIPE_API_BASE": f"http://127.0.0.1:{free_port()}",
             "STRIPE_WEBHOOK_SECRET": "whsec_bench", "STAFF_TOKENS": f"bench:{STAFF_TOKEN}",
             "HOST": "127.0.0.1", "PORT": str(port), "TEST_CLOCK": ""},
            f"http://127.0.0.1:{port}/healthz", "service"))
        _check_answers(port, found)
        load_before = os.getloadavg()[0]
        phases, cpu = open_loop.run(load(port, service.pid, found, args.rate, args.seconds))
        load_after = os.getloadavg()[0]
    row: dict[str, Any] = {"bench": "state_queries", "store": store, "rate": args.rate,
                           "seconds_each": args.seconds, **found["seeded"],
                           "sessions_sampled": len(found["sessions"]),
                           "subscriptions_sampled": len(found["subscriptions"])}
    for name, phase in phases.items():
        row.update({f"{name}_{k}": v for k, v in phase.figures().items()})
        row[f"{name}_cpu_ms_per_request"] = round(cpu[name] * 1000 / max(phase.sent, 1), 2)
    queried = [name for name in phases if name != "healthz"]
    row["target_p99_ms"] = TARGET_P99_MS
    row["target_met"] = all(row[f"{n}_p99_ms"] < TARGET_P99_MS and row[f"{n}_non_2xx"] == 0
                            and row[f"{n}_errors"] == 0 for n in queried)
    row["cpus"] = os.cpu_count()
    row["loadavg_1m"] = round((load_before + load_after) / 2, 2)
    return row


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.getLogger("adapters.notifiers").setLevel(logging.ERROR)
    logging.getLogger("domain").setLevel(logging.ERROR)
    rows = []
    for store in args.stores:
        print(f"-- state queries / {store}", file=sys.stderr, flush=True)
        began = time.perf_counter()
        row = run_store(store, args)
        row["run_s"] = round(time.perf_counter() - began, 1)
        print(json.dumps(row), flush=True)
        rows.append(row)
    print()
    for row in rows:
        parts = [f"{name} p50 {row[f'{name}_p50_ms']} ms, p99 {row[f'{name}_p99_ms']} ms"
                 for name in ("sessions", "subscriptions", "healthz") if f"{name}_p99_ms" in row]
        print(f"{row['store']}: ?version=N at {row['rate']:.0f}/s: {'; '.join(parts)}; "
              f"target p99 < {TARGET_P99_MS:.0f} ms: {'met' if row['target_met'] else 'NOT met'}"
              f" (load {row['loadavg_1m']}); without HTTP, in process: sessions p99 "
              f"{row['in_process_sessions_p99_ms']} ms, subscriptions p99 "
              f"{row['in_process_subscriptions_p99_ms']} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
