"""`make bench`: the service against the reference endpoint, on PostgreSQL and on SQLite.

For each store it starts both endpoints, each on its own fresh database, drives each with
`benchmarks/load/load.py` (signed Checkout events, 5% duplicates, 64 connections), prints the
figures and the service/reference ratio, and writes them all to `benchmarks/results/latest.json`.

    .venv/bin/python benchmarks/run.py [--events 10000] [--stores postgres,sqlite]
                                       [--only reference|service]
                                       [--web-processes 1,2] [--reference-processes 2]
                                       [--rounds 3]

With `--web-processes 1,2` the service runs once per count on PostgreSQL (`serve --workers N`,
its worker beside them), each on a fresh database; SQLite runs one web process only. While
the load runs, the service's `/healthz` is read every 250 ms: `worker_backlog_max` is the
most Inbox events the ledger's follower (in the worker) had not yet applied, and
`worker_drain_s` how long after the last answer it took to apply them all;
`worker_cpu_ms_per_webhook` is the worker's CPU from the start of the load until then, per
webhook sent (the worker falls behind under load, so its CPU during the load alone says
how much it got, not what each webhook costs it).

The reference's own figure moves by 15% or more from one run to the next on a shared
machine: `--rounds N` runs the whole sequence N times, each ratio within its round, and
reports the median ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `tests.support` and `benchmarks` importable

from benchmarks.endpoints import ENDPOINTS, EndpointFailed, running, stop_group  # noqa: E402
from benchmarks.report import print_table  # noqa: E402
from tests.support.pg_cluster import PostgresCluster, PostgresClusterError  # noqa: E402

LOAD = ROOT / "benchmarks" / "load" / "load.py"  # the load tools, kept in the repository
RESULTS = ROOT / "benchmarks" / "results" / "latest.json"
STORES = ("postgres", "sqlite")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000, help="measured requests per run")
    parser.add_argument("--stores", default=",".join(STORES), help="postgres,sqlite")
    parser.add_argument("--only", choices=sorted(ENDPOINTS), help="run one endpoint only")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--dup-fraction", type=float, default=0.05)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--load", type=Path, default=LOAD,
                        help="the load generator (default: benchmarks/load/load.py)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--web-processes", default="1",
                        help="service web processes per run on PostgreSQL, e.g. 1,2")
    parser.add_argument("--reference-processes", type=int, default=1,
                        help="web processes of the reference endpoint")
    parser.add_argument("--no-worker", action="store_true",
                        help="the service without its worker: ingestion alone (nothing is "
                             "applied, so no backlog is measured)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every endpoint this many times, alternating; each ratio "
                             "is taken within a round and the median is reported")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds: at least 1")
    args.web_processes = [int(n) for n in args.web_processes.split(",") if n.strip()]
    args.stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    unknown = set(args.stores) - set(STORES)
    if unknown:
        parser.error(f"--stores: unknown {', '.join(sorted(unknown))} (known: {', '.join(STORES)})")
    if not args.load.is_file():
        parser.error(f"load generator not found at {args.load} (--load PATH)")
    return args


@contextmanager
def databases(store: str) -> Iterator[tuple[Callable[[str], str], int | None]]:
    """(function endpoint -> fresh DATABASE_URL, PID of the database server or None)."""
    if store == "postgres":
        with PostgresCluster() as cluster:
            def fresh_postgres(endpoint: str) -> str:
                cluster.checkpoint()  # the last run's dirty pages are not this run's work
                return cluster.create_database(f"bench_{endpoint}")

            yield fresh_postgres, cluster.pid
    else:
        with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as tmp:
            yield (lambda endpoint: f"sqlite:///{tmp}/{endpoint}.sqlite3"), None


class Backlog:
    """Samples the ledger follower's backlog from the service's /healthz while load runs."""

    def __init__(self, webhook_url: str) -> None:
        self.url = webhook_url.rsplit("/", 1)[0] + "/healthz"
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Backlog:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def read(self) -> int | None:
        try:
            with urllib.request.urlopen(self.url, timeout=5) as response:
                body = json.loads(response.read())
        except (OSError, ValueError):
            return None
        follower = body.get("followers", {}).get("Ledger<-Inbox")
        return None if follower is None else int(follower["lag"])

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            lag = self.read()
            if lag is not None:
                self.samples.append((time.monotonic(), lag))

    def drain(self, timeout: float = 120.0) -> float | None:
        """Seconds from now until the backlog is 0 (None: not within ``timeout``)."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.read() == 0:
                return round(time.monotonic() - start, 2)
            time.sleep(0.05)
        return None


def worker_pid(root: int, wait: float = 10.0) -> int | None:
    """The PID of the `checkout-ledger worker` process under ``root`` (serve starts it)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if command[-2:] == [b"worker", b""] and _descends(parent, root):
                return int(entry.name)
        time.sleep(0.1)
    return None


def cpu_seconds(pid: int) -> float:
    """The CPU (user + system, every thread) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _descends(pid: int, root: int) -> bool:
    while pid > 1:
        if pid == root:
            return True
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
    return False


def drive(args: argparse.Namespace, url: str, cpu_pids: dict[str, int]) -> dict[str, Any]:
    """One load.py run against `url`; its JSON result."""
    command = [sys.executable, str(args.load), "--url", url, "--secret", "whsec_bench",
               "--events", str(args.events), "--concurrency", str(args.concurrency),
               "--dup-fraction", str(args.dup_fraction), "--warmup", str(args.warmup),
               "--duration", "240"]
    if cpu_pids:
        command += ["--cpu-pids", ",".join(f"{k}={v}" for k, v in cpu_pids.items())]
    # Its own process group, so an interrupted run also ends the wrk that load.py started.
    load = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = load.communicate()
    finally:
        stop_group(load)
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if load.returncode != 0 or not lines:
        raise EndpointFailed(f"load.py failed ({load.returncode}): {stderr.strip()[-800:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _runs(args: argparse.Namespace, store: str) -> list[tuple[str, int]]:
    """(endpoint, web processes) of each run of one round on ``store``, in order."""
    runs = []
    for endpoint in [args.only] if args.only else list(ENDPOINTS):
        if endpoint == "reference":
            runs.append((endpoint, args.reference_processes))
        elif store == "postgres":
            runs += [(endpoint, n) for n in args.web_processes]
        else:
            runs.append((endpoint, 1))  # SQLite: one web process
    return runs


def bench_store(args: argparse.Namespace, store: str) -> list[dict[str, Any]]:
    """Both endpoints (or `--only` one) on one store, one after the other."""
    rows: list[dict[str, Any]] = []
    with databases(store) as (fresh_url, db_pid):
        for round_, (endpoint, processes) in ((r, run) for r in range(1, args.rounds + 1)
                                              for run in _runs(args, store)):
            name = f"{endpoint} x{processes}"
            if endpoint == "service" and args.no_worker:
                name += " alone"  # ingestion without its worker
            row: dict[str, Any] = {"store": store, "endpoint": name, "processes": processes,
                                   "round": round_, "load_average_before": os.getloadavg()[0]}
            print(f"-- {store} / {name}, round {round_}  (load average "
                  f"{os.getloadavg()[0]:.2f})", file=sys.stderr, flush=True)
            try:
                database = fresh_url(f"{endpoint}{processes}r{round_}")
                with running(endpoint, database, processes,
                             worker=not args.no_worker) as (url, app_pid):
                    pids = {"app": app_pid, **({"pg": db_pid} if db_pid else {})}
                    with_worker = endpoint == "service" and not args.no_worker
                    worker = worker_pid(app_pid) if with_worker else None
                    if worker is not None:
                        pids["worker"] = worker  # inside "app" too: web = app - worker
                    if not with_worker:
                        row.update(drive(args, url, pids))
                    else:
                        spent = cpu_seconds(worker) if worker is not None else None
                        with Backlog(url) as backlog:
                            row.update(drive(args, url, pids))
                            row["worker_drain_s"] = backlog.drain()
                        if spent is not None and worker is not None:
                            row["worker_cpu_ms_per_webhook"] = round(
                                1000 * (cpu_seconds(worker) - spent)
                                / (args.events + args.warmup), 3)
                        row["worker_backlog_max"] = max((lag for _, lag in backlog.samples),
                                                        default=None)
            except EndpointFailed as exc:
                row["failed"] = str(exc)
                print(f"   {store} / {name}: {exc}", file=sys.stderr, flush=True)
            row["load_average_after"] = os.getloadavg()[0]
            rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 1 when any endpoint failed to start or to answer."""
    args = parse_args(argv)
    # SIGTERM (and SIGINT, even when a shell started us with it ignored) unwinds like Ctrl-C,
    # so every `with` above stops what it started.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    rows: list[dict[str, Any]] = []
    try:
        for store in args.stores:
            rows += bench_store(args, store)
    except PostgresClusterError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; everything it started is stopped", file=sys.stderr)
        return 130
    print_table(rows)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": platform.node(),
        "cpus": os.cpu_count(), "events": args.events, "concurrency": args.concurrency,
        "dup_fraction": args.dup_fraction, "warmup": args.warmup, "results": rows,
    }, indent=2) + "\n")
    print(f"\nresults written to {args.output}")
    return 1 if any("failed" in row for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
