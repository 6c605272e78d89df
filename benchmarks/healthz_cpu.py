"""CPU per ``GET /healthz`` against CPU per ``GET /customers/{id}/entitlements``, in one run.

Seeds a small store as ``benchmarks/entitlements.py`` does (a few customers with purchases and
subscriptions; the emulator as a process), starts the real service on it (``checkout-ledger
serve``: web process and worker), then drives each endpoint open-loop at ``--rate`` requests
per second in turn (``benchmarks/open_loop.py``), ``--seconds`` in all for each, after a
warm-up. The CPU is read from ``/proc``: the web process alone (the one that answers), and
the web process with its worker. The web process's idle CPU over the same time (measured
with no requests) is taken off before dividing by the requests sent. One JSON line per store:
CPU ms per request of each endpoint and their ratio.

    .venv/bin/python benchmarks/healthz_cpu.py [--rate 100] [--seconds 10]
        [--stores sqlite,postgres] [--customers 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `benchmarks` and `api` importable

from api.settings import Settings  # noqa: E402
from api.system import build  # noqa: E402
from benchmarks import open_loop, options  # noqa: E402
from benchmarks.entitlements import STAFF_TOKEN, seed  # noqa: E402
from benchmarks.fulfillment_lag import database, process  # noqa: E402
from benchmarks.lag_load import API_KEY, cpu_seconds  # noqa: E402
from benchmarks.renewals import emulator  # noqa: E402
from emulator.server import free_port  # noqa: E402

STORES = ("sqlite", "postgres")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="measured seconds per endpoint")
    parser.add_argument("--stores", default="sqlite", help="sqlite,postgres")
    parser.add_argument("--customers", type=int, default=5)
    args = parser.parse_args(argv)
    args.stores = options.stores(parser, args.stores, STORES)
    # What seed() reads: a purchase and a subscription each, two months of renewals.
    args.purchases, args.subscriptions, args.months, args.threads = 1, 1, 2, 4
    return args


def own_cpu_seconds(pid: int) -> float:
    """CPU (user + system) used so far by this one process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load(port: int, pid: int, customer: str, args: argparse.Namespace
               ) -> dict[str, Any]:
    auth = {"Authorization": f"Bearer {STAFF_TOKEN}"}
    requests = {
        "healthz": lambda i: open_loop.get("/healthz", port),
        "entitlements": lambda i: open_loop.get(f"/customers/{customer}/entitlements", port,
                                                auth),
    }
    began, idle_before = time.monotonic(), own_cpu_seconds(pid)
    await asyncio.sleep(args.seconds / 2)
    idle_per_s = (own_cpu_seconds(pid) - idle_before) / (time.monotonic() - began)
    web = await open_loop.phases(port, requests, args.rate, args.seconds,
                                 lambda: own_cpu_seconds(pid))
    group = await open_loop.phases(port, requests, args.rate, args.seconds,
                                   lambda: cpu_seconds(pid), rounds=2, warmup=0.0)
    figures: dict[str, Any] = {"web_idle_cpu_ms_per_s": round(idle_per_s * 1000, 2)}
    for name, phase in web[0].items():
        used = web[1][name] - idle_per_s * phase.seconds
        figures[f"{name}_web_cpu_ms_per_request"] = round(used * 1000 / max(phase.sent, 1), 3)
        figures[f"{name}_p99_ms"] = phase.figures()["p99_ms"]
        figures[f"{name}_non_2xx"] = phase.non_2xx
    for name, phase in group[0].items():
        figures[f"{name}_web_and_worker_cpu_ms_per_request"] = round(
            group[1][name] * 1000 / max(phase.sent, 1), 3)
    figures["healthz_to_entitlements_web_cpu"] = round(
        figures["healthz_web_cpu_ms_per_request"]
        / max(figures["entitlements_web_cpu_ms_per_request"], 1e-6), 2)
    return figures


def run_store(store: str, args: argparse.Namespace) -> dict[str, Any]:
    with ExitStack() as stack:
        database_url, _ = stack.enter_context(database(store))
        url = stack.enter_context(emulator())
        env = {"DATABASE_URL": database_url, "STRIPE_API_KEY": API_KEY,
               "STRIPE_API_BASE": url, "STRIPE_WEBHOOK_SECRET": "whsec_bench"}
        services = build(Settings.from_env({**env, "TEST_CLOCK": "1"}))
        try:
            customers = seed(services, url, args)["customers"]
        finally:
            services.stop()
        port = free_port()
        service = stack.enter_context(process(
            [str(Path(sys.executable).parent / "checkout-ledger"), "serve"],
            {**env, "STAFF_TOKENS": f"bench:{STAFF_TOKEN}", "HOST": "127.0.0.1",
             "PORT": str(port), "TEST_CLOCK": ""},
            f"http://127.0.0.1:{port}/healthz", "service"))
        figures = open_loop.run(load(port, service.pid, customers[0], args))
    return {"bench": "healthz_cpu", "store": store, "rate": args.rate,
            "seconds_each": args.seconds, **figures,
            "cpus": os.cpu_count(), "loadavg_1m": round(os.getloadavg()[0], 2)}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for store in args.stores:
        print(json.dumps(run_store(store, args)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
