"""Raw append capacity of one PostgreSQL: N writer processes, each committing batches of B events
as fast as it can for S seconds, through this project's recorder (concurrent commits, readers
held to the visibility watermark) or eventsourcing's own (table lock until commit). Prints one
JSON line per run: events/s, commits/s, and the commit latency p50/p99 in ms.

    .venv/bin/python benchmarks/appends.py [--processes 1,2,4] [--batch 16] [--seconds 10]
                                           [--recorders project,library] [--url postgresql://...]

Without --url it starts a throwaway cluster (as `make bench` does) and stops it after.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.pg_cluster import PostgresCluster  # noqa: E402

RECORDERS = {"project": "adapters.postgres_store:Factory", "library": "eventsourcing.postgres"}
STATE = b'{"id": "evt_0", "type": "checkout.session.completed", "data": {}}' * 40  # ~2.6 kB


def _recorder(url: str, table: str, recorder: str, create: bool) -> Any:
    from eventsourcing.postgres import PostgresFactory
    from eventsourcing.utils import Environment, resolve_topic

    from adapters.stores import Store

    env = Store.from_url(url).env_for(table, create_table=create)
    env["PERSISTENCE_MODULE"] = RECORDERS[recorder]
    module = RECORDERS[recorder]
    factory_class = (resolve_topic(module) if ":" in module else PostgresFactory)
    return factory_class(Environment(table, env)).application_recorder()


def _write(url: str, table: str, recorder: str, batch: int, start: float, until: float,
           out: Any) -> None:
    from eventsourcing.persistence import StoredEvent

    store = _recorder(url, table, recorder, create=False)
    store.max_notification_id()  # connected before the start
    latencies: list[float] = []
    time.sleep(max(0.0, start - time.time()))
    while time.time() < until:
        events = [StoredEvent(originator_id=uuid.uuid4(), originator_version=1, topic="t:E",
                              state=STATE) for _ in range(batch)]
        started = time.perf_counter()
        store.insert_events(events)
        latencies.append(time.perf_counter() - started)
    out.put(latencies)


def run(url: str, recorder: str, processes: int, batch: int, seconds: float) -> dict[str, Any]:
    table = f"appends_{recorder}_{processes}_{uuid.uuid4().hex[:6]}"
    _recorder(url, table, recorder, create=True)
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    start_at = time.time() + 3.0  # every writer started and connected
    workers = [context.Process(target=_write, args=(url, table, recorder, batch, start_at,
                                                    start_at + seconds, out))
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    latencies: list[float] = []
    for _ in workers:
        latencies += out.get(timeout=seconds + 60)
    for worker in workers:
        worker.join()
    latencies.sort()
    commits = len(latencies)
    elapsed = seconds
    return {
        "recorder": recorder, "processes": processes, "batch": batch,
        "events_per_s": round(commits * batch / elapsed), "commits_per_s": round(commits / elapsed),
        "commit_p50_ms": round(1000 * latencies[commits // 2], 2) if commits else None,
        "commit_p99_ms": round(1000 * latencies[int(commits * 0.99)], 2) if commits else None,
        "load_average": os.getloadavg()[0],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--recorders", default="project,library")
    parser.add_argument("--url")
    args = parser.parse_args()
    counts = [int(n) for n in args.processes.split(",")]
    recorders = [r.strip() for r in args.recorders.split(",")]
    if args.url:
        urls = [args.url]
        cluster = None
    else:
        cluster = PostgresCluster().start()
        urls = [cluster.url]
    try:
        for processes in counts:
            for recorder in recorders:
                print(json.dumps(run(urls[0], recorder, processes, args.batch, args.seconds)),
                      flush=True)
    finally:
        if cluster is not None:
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
