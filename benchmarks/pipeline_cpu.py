"""The background work's CPU per webhook, edge by edge of the pipeline.

Buys ``--events`` paid sessions in the emulator (``python -m emulator``), then records their
``checkout.session.completed`` events in the Inbox of a fresh store ``--chunk`` at a time
(a worker that keeps up sees a few new events per batch: 10 is 200 webhooks/s arriving
every 50 ms), and after each chunk has the followers catch up in this process, one edge at
a time, as a worker's runners do (a follower reads only when its upstream grew), timing
each edge's CPU (``time.process_time``: every thread of this process, so fulfillment's
Stripe retrieves are counted; the emulator's share is not). CPU time hardly depends on
what else the machine runs, so this says where a worker's time goes even on a busy
machine, where the lag bench (``fulfillment_lag.py``) cannot.

    .venv/bin/python benchmarks/pipeline_cpu.py [--events 2000] [--chunk 10]
                                                [--stores sqlite,postgres]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `tests.support` and `benchmarks` importable

from api.settings import Settings  # noqa: E402
from api.system import Services, build, create_tables  # noqa: E402
from benchmarks import options  # noqa: E402
from benchmarks.fulfillment_lag import database, process  # noqa: E402
from benchmarks.lag_load import API_KEY, prepare  # noqa: E402
from tests.support.billing import stored  # noqa: E402
from tests.support.pg_cluster import free_port  # noqa: E402

STORES = ("sqlite", "postgres")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000, help="paid sessions")
    parser.add_argument("--chunk", type=int, default=10,
                        help="webhooks recorded between two catch-ups")
    parser.add_argument("--stores", default=",".join(STORES), help="sqlite,postgres")
    args = parser.parse_args(argv)
    args.stores = options.stores(parser, args.stores, STORES)
    return args


def settle_timed(services: Services, spent: dict[str, float]) -> None:
    """The prompted followers catch up, in turn, until none is prompted (each prompts the
    followers of its application when it records something); CPU seconds per edge added
    to ``spent``."""
    for _ in range(50):
        for follower in services.followers:
            if not follower.prompted:
                continue
            began = time.process_time()
            follower.catch_up()
            spent[f"{follower.upstream.name}->{follower.processor.name}"] += (
                time.process_time() - began)
        if not any(follower.prompted for follower in services.followers):
            return
    raise RuntimeError("the followers never settled")


def run_store(store: str, events: list[dict[str, Any]], emulator_url: str, chunk: int
              ) -> dict[str, Any]:
    """Ingest ``events`` into a fresh store on ``store``; the followers' CPU per webhook."""
    with database(store) as (database_url, _):
        settings = Settings.from_env({
            "DATABASE_URL": database_url, "STRIPE_API_KEY": API_KEY,
            "STRIPE_API_BASE": emulator_url, "STRIPE_WEBHOOK_SECRET": "whsec_bench_cpu"},
            serving=False)
        create_tables(settings)
        services = build(settings)
        try:
            spent: dict[str, float] = defaultdict(float)
            ingest_s = 0.0
            wall = time.perf_counter()
            for start in range(0, len(events), chunk):
                began = time.process_time()
                services.inbox.record([stored(e) for e in events[start:start + chunk]])
                for follower in services.followers:  # as the webhook's commit does
                    if follower.upstream is services.inbox:
                        follower.prompt()
                ingest_s += time.process_time() - began
                settle_timed(services, spent)
            wall_s = time.perf_counter() - wall
            fulfilled = sum(
                1 for e in events
                if services.fulfillment.fulfillment(e["data"]["object"]["id"]).fulfilled)
        finally:
            services.stop()
    count = len(events)
    per_edge = {edge: round(s * 1000 / count, 3) for edge, s in
                sorted(spent.items(), key=lambda item: -item[1]) if s * 1000 / count >= 0.005}
    return {"bench": "pipeline_cpu", "store": store, "webhooks": count, "fulfilled": fulfilled,
            "ingest_cpu_ms_per_webhook": round(ingest_s * 1000 / count, 3),
            "worker_cpu_ms_per_webhook": round(sum(spent.values()) * 1000 / count, 3),
            "chunk": chunk, "wall_ms_per_webhook": round(wall_s * 1000 / count, 3),
            "per_edge_cpu_ms": per_edge}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    port = free_port()
    emulator_url = f"http://127.0.0.1:{port}"
    with ExitStack() as stack:
        stack.enter_context(process([sys.executable, "-m", "emulator", "--port", str(port)], {},
                                    f"{emulator_url}/_emulator/health", "emulator"))
        events = prepare(emulator_url, args.events)
        for store in args.stores:
            row = run_store(store, events, emulator_url, args.chunk)
            print(json.dumps(row), flush=True)
            failed = row["fulfilled"] != row["webhooks"]
            if failed:
                print(f"{store}: {row['webhooks'] - row['fulfilled']} sessions not fulfilled")
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
