"""The table `make bench` prints."""

from __future__ import annotations

import statistics
from typing import Any

COLUMNS = [("store", 9), ("endpoint", 12), ("round", 5), ("rps", 9), ("p50_ms", 8),
           ("p99_ms", 8), ("non_2xx", 8), ("errors", 7), ("cpu_ms_per_req_app", 11),
           ("cpu_ms_per_req_worker", 10), ("cpu_ms_per_req_pg", 10),
           ("other_cpu_pct_of_core", 8), ("worker_backlog_max", 8), ("worker_drain_s", 7),
           ("worker_cpu_ms_per_webhook", 9),
           ("load_average_before", 6)]
# "other %": CPU that processes outside the run used meanwhile; high means a noisy figure.
# "app" is every process of the endpoint, its worker included; "worker" is that worker alone.
# "wrk ms/wh": the worker's CPU until it applied everything, per webhook sent.
HEADERS = {"cpu_ms_per_req_app": "app ms/req", "cpu_ms_per_req_worker": "wrk ms/req",
           "cpu_ms_per_req_pg": "pg ms/req",
           "other_cpu_pct_of_core": "other %", "worker_backlog_max": "backlog",
           "worker_drain_s": "drain s", "worker_cpu_ms_per_webhook": "wrk ms/wh",
           "load_average_before": "load"}
# The targets for the service on PostgreSQL.
TARGET_RPS, TARGET_RATIO, TARGET_P99_MS = 2000.0, 1.5, 100.0


def print_table(rows: list[dict[str, Any]]) -> None:
    """One line per run, then the service/reference ratio per store."""
    print()
    print(" ".join(HEADERS.get(name, name).rjust(width) for name, width in COLUMNS))
    for row in rows:
        if "failed" in row:
            print(f"{row['store']:>9} {row['endpoint']:>10}  FAILED: {row['failed'][:200]}")
            continue
        print(" ".join(_cell(row.get(name), width) for name, width in COLUMNS))
    print()
    for store in dict.fromkeys(row["store"] for row in rows):
        _ratios(store, [r for r in rows if r["store"] == store and "rps" in r])


def _ratios(store: str, measured: list[dict[str, Any]]) -> None:
    """Each service run against the reference of its round; with several rounds, the
    median ratio of each service configuration."""
    ratios: dict[str, list[float]] = {}
    ones: dict[int, float] = {}
    for round_ in dict.fromkeys(r.get("round", 1) for r in measured):
        runs = [r for r in measured if r.get("round", 1) == round_]
        reference = next((r for r in runs if r["endpoint"].startswith("reference")), None)
        services = [r for r in runs if r["endpoint"].startswith("service")]
        if not (reference and reference["rps"] and services):
            print(f"{store}, round {round_}: no ratio (needs both endpoints)")
            continue
        for service in services:
            ratio = service["rps"] / reference["rps"]
            ratios.setdefault(service["endpoint"], []).append(ratio)
            print(f"{store}, round {round_}: {service['endpoint']} / {reference['endpoint']} "
                  f"= {ratio:.2f}x rps")
            if store == "postgres":
                print(f"  targets: rps >= {TARGET_RPS:.0f} {_mark(service['rps'] >= TARGET_RPS)}, "
                      f"ratio >= {TARGET_RATIO}x {_mark(ratio >= TARGET_RATIO)}, "
                      f"p99 < {TARGET_P99_MS:.0f} ms {_mark(service['p99_ms'] < TARGET_P99_MS)}, "
                      f"all 2xx {_mark(not service.get('non_2xx') and not service.get('errors'))}")
        if len(services) > 1 and services[0]["rps"]:
            ones[round_] = services[-1]["rps"] / services[0]["rps"]
            print(f"{store}, round {round_}: {services[-1]['endpoint']} / "
                  f"{services[0]['endpoint']} = {ones[round_]:.2f}x rps")
    for endpoint, found in ratios.items():
        if len(found) > 1:
            print(f"{store}: {endpoint} / reference, median of {len(found)} rounds = "
                  f"{statistics.median(found):.2f}x (rounds: "
                  f"{', '.join(f'{r:.2f}' for r in found)})")


def _cell(value: Any, width: int) -> str:
    if value is None:
        return "-".rjust(width)
    if isinstance(value, float):
        return f"{value:.1f}".rjust(width) if value >= 100 else f"{value:.2f}".rjust(width)
    return str(value).rjust(width)


def _mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"
