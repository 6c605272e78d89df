"""`make bench`, second part: fulfillment lag, from the webhook's answer to ``Fulfilled`` recorded.

For each store it starts the emulator (``python -m emulator``), a fresh database (a throwaway
PostgreSQL cluster, or a SQLite file) and the real service (``checkout-ledger serve``, whose
worker process fulfils); buys ``rate x (warmup + seconds)`` sessions in the emulator
beforehand. Right after the service starts it posts ``warmup`` seconds' worth of their
``checkout.session.completed`` events at ``rate`` per second and waits until they are all
fulfilled (their lag is reported apart as the cold start: the worker's first reads, its
connections to the store and to Stripe). Then it posts the others, at the same rate, and
follows the ledger's ``GET /events`` for each ``Fulfilled``. Lag = when the fulfillment application
recorded ``Fulfilled`` (the session's ``fulfillment.fulfilled_at``, read after the run) - the
time the webhook was answered; ``visible`` = when the ledger copied it into the session's
history (its ``recorded_at`` in ``GET /events``). Prints one JSON line per store and a table;
stops all it started.
Target: p99 under 250 ms, nothing left behind.

    .venv/bin/python benchmarks/fulfillment_lag.py [--rate 200] [--seconds 30] [--warmup 3]
                                                   [--stores postgres,sqlite]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `tests.support` and `benchmarks` importable

from benchmarks import open_loop, options  # noqa: E402
from benchmarks.endpoints import stop_group  # noqa: E402
from benchmarks.lag_load import (  # noqa: E402
    API_KEY,
    collect,
    cpu_seconds,
    drive,
    fulfilled_times,
    percentile,
    prepare,
)
from tests.support.pg_cluster import PostgresCluster, free_port  # noqa: E402

SECRET = "whsec_bench_lag"
STAFF_TOKEN = "bench-token-0123456789"
TARGET_P99_MS = 250.0
STORES = ("postgres", "sqlite")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=200.0, help="webhooks per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to sustain it")
    parser.add_argument("--warmup", type=float, default=3.0,
                        help="seconds of the same load first, right after the service "
                             "starts (its lag reported apart, as the cold start)")
    parser.add_argument("--stores", default=",".join(STORES), help="postgres,sqlite")
    parser.add_argument("--patience", type=float, default=30.0,
                        help="give up on the rest after this long without a new Fulfilled")
    args = parser.parse_args(argv)
    args.stores = options.stores(parser, args.stores, STORES)
    return args


@contextmanager
def process(command: list[str], env: dict[str, str], health_url: str, name: str
            ) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` in its own session until the block ends; wait for ``health_url``."""
    with tempfile.TemporaryFile() as log:
        child = subprocess.Popen(command, env={**os.environ, **env}, cwd=ROOT,
                                 stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True)
        try:
            _wait_healthy(child, health_url, name, log)
            yield child
        finally:
            stop_group(child)


def _wait_healthy(child: subprocess.Popen[bytes], url: str, name: str, log: IO[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if child.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"{name} exited: {log.read().decode(errors='replace')[-1500:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not answer on {url}")


@contextmanager
def database(store: str) -> Iterator[tuple[str, int | None]]:
    """A fresh DATABASE_URL on ``store``, and the PID of its server (None for SQLite)."""
    if store == "postgres":
        with PostgresCluster() as cluster:
            yield cluster.create_database("bench_lag"), cluster.pid
    else:
        with tempfile.TemporaryDirectory(prefix="bench-lag-") as tmp:
            yield f"sqlite:///{tmp}/ledger.sqlite3", None


def run_store(store: str, args: argparse.Namespace) -> dict[str, Any]:
    """One measured run on ``store``; its figures."""
    count = int(args.rate * args.seconds)
    warm_count = int(args.rate * args.warmup)
    emulator_port, service_port = free_port(), free_port()
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    service_url = f"http://127.0.0.1:{service_port}"
    with ExitStack() as stack:
        database_url, database_pid = stack.enter_context(database(store))
        emulator = stack.enter_context(process(
            [sys.executable, "-m", "emulator", "--port", str(emulator_port)], {},
            f"{emulator_url}/_emulator/health", "emulator"))
        began = time.perf_counter()
        bought = prepare(emulator_url, warm_count + count)
        warm_events, events = bought[:warm_count], bought[warm_count:]
        prepared_s = time.perf_counter() - began
        service = stack.enter_context(process(
            [str(Path(sys.executable).parent / "checkout-ledger"), "serve"],
            {"DATABASE_URL": database_url, "STRIPE_API_KEY": API_KEY,
             "STRIPE_API_BASE": emulator_url, "STRIPE_WEBHOOK_SECRET": SECRET,
             "STAFF_TOKENS": f"bench:{STAFF_TOKEN}", "HOST": "127.0.0.1",
             "PORT": str(service_port)},
            f"{service_url}/healthz", "service"))
        groups = {"service": service.pid, "emulator": emulator.pid}
        if database_pid:
            groups["database"] = database_pid
        cold_start = _warm_up(service_url, warm_events, args) if warm_events else []
        before = {name: cpu_seconds(root) for name, root in groups.items()}
        sent = open_loop.run(drive(f"{service_url}/webhook", SECRET, events, args.rate))
        fulfilled, completed = collect(service_url, STAFF_TOKEN, set(sent.answered_at),
                            patience=args.patience)
        cpu_ms = {f"cpu_ms_per_webhook_{name}": round(
            (cpu_seconds(groups[name]) - used) * 1000 / len(events), 2)
            for name, used in before.items()}
        recorded = fulfilled_times(service_url, STAFF_TOKEN, set(fulfilled))
    # The lag: webhook answered -> Fulfilled recorded (by the fulfillment application);
    # "visible": -> the Fulfilled copied into the session's history by the ledger.
    lags = [(recorded[s] - answered) * 1000 for s, answered in sent.answered_at.items()
            if s in recorded]
    visible = [(fulfilled[s] - answered) * 1000 for s, answered in sent.answered_at.items()
               if s in fulfilled]
    # Where the lag is spent: webhook answered -> Completed applied by the ledger follower,
    # then Completed -> Fulfilled by the fulfillment follower.
    ledger_ms = [(completed[s] - answered) * 1000 for s, answered in sent.answered_at.items()
                 if s in completed]
    fulfil_ms = [(recorded[s] - completed[s]) * 1000 for s in recorded if s in completed]
    return {
        "bench": "fulfillment_lag", "store": store, "webhooks": len(events),
        "rate_target": args.rate, "rate_sent": round(len(events) / sent.seconds, 1),
        "answered_2xx": len(sent.answered_at), "non_2xx": sent.non_2xx, "errors": sent.errors,
        "webhook_p99_ms": round(percentile(sent.webhook_ms, 0.99), 1),
        "fulfilled": len(lags), "left_behind": len(sent.answered_at) - len(lags),
        "lag_p50_ms": round(percentile(lags, 0.50), 1),
        "lag_p99_ms": round(percentile(lags, 0.99), 1),
        "lag_max_ms": round(max(lags, default=0.0), 1),
        "visible_p50_ms": round(percentile(visible, 0.50), 1),
        "visible_p99_ms": round(percentile(visible, 0.99), 1),
        "ledger_p50_ms": round(percentile(ledger_ms, 0.50), 1),
        "ledger_p99_ms": round(percentile(ledger_ms, 0.99), 1),
        "fulfil_p50_ms": round(percentile(fulfil_ms, 0.50), 1),
        "fulfil_p99_ms": round(percentile(fulfil_ms, 0.99), 1),
        "cold_start_webhooks": len(cold_start),
        "cold_start_lag_p99_ms": round(percentile(cold_start, 0.99), 1),
        "prepare_s": round(prepared_s, 1), **cpu_ms,
        "cpus": os.cpu_count(), "loadavg_1m": round(os.getloadavg()[0], 2),
    }


def _warm_up(service_url: str, events: list[dict[str, Any]], args: argparse.Namespace
             ) -> list[float]:
    """The first ``--warmup`` seconds of load, right after the service started, until each
    of them is fulfilled; their lags (the cold start: connections, caches, first reads)."""
    sent = open_loop.run(drive(f"{service_url}/webhook", SECRET, events, args.rate))
    collect(service_url, STAFF_TOKEN, set(sent.answered_at), patience=args.patience)
    recorded = fulfilled_times(service_url, STAFF_TOKEN, set(sent.answered_at))
    return [(recorded[s] - answered) * 1000 for s, answered in sent.answered_at.items()
            if s in recorded]


def print_table(rows: list[dict[str, Any]]) -> None:
    """A line per store, and the target."""
    columns = ["store", "webhooks", "rate_sent", "answered_2xx", "fulfilled", "left_behind",
               "lag_p50_ms", "lag_p99_ms", "lag_max_ms", "visible_p99_ms", "webhook_p99_ms",
               "cold_start_lag_p99_ms"]
    print()
    print(" ".join(f"{c:>13}" for c in columns))
    for row in rows:
        print(" ".join(f"{row.get(c, '-')!s:>13}" for c in columns))
    for row in rows:
        ok = row["lag_p99_ms"] < TARGET_P99_MS and row["left_behind"] == 0 and row["non_2xx"] == 0
        print(f"{row['store']}: target p99 < {TARGET_P99_MS:.0f} ms, nothing left behind: "
              f"{'met' if ok else 'NOT met'}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rows = []
    for store in args.stores:
        row = run_store(store, args)
        print(json.dumps(row), flush=True)
        rows.append(row)
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
