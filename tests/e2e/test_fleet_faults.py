"""The production shape under faults: two ``serve`` processes (two web processes, each with the
worker it supervises: the lease lets one follow) on one PostgreSQL, under a load of signed
webhooks that are retried until ``2xx`` as Stripe does.

- ``kill -9`` of a web process, and of the worker that follows, at random moments;
- PostgreSQL stopped for 10 s, then started again.

Afterwards every acknowledged event is applied exactly once, every paid session has exactly one
``Fulfilled`` and was shipped once (the fulfiller's calls are counted: a worker killed between
its fulfiller's answer and ``Fulfilled`` makes the next one call again, with the same
idempotency key, as the README says), and no two workers ever ran the fulfiller at once.
``make soak`` runs the same for longer (``benchmarks/soak.py``).
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator.config import EmulatorConfig
from emulator.server import EmulatorServer
from tests.conftest import STAFF, service_env
from tests.support.counting_fulfiller import DELAY_SETTING, LOG_SETTING, calls, overlaps, shipments
from tests.support.fleet import (
    Fleet,
    LoadReport,
    WebhookLoad,
    expired_events,
    paid_sessions,
    wait_applied,
    wait_for,
)
from tests.support.pg_cluster import PostgresCluster
from tests.support.purchases import API_KEY
from tests.support.webhooks import SECRET

PAID = 200  # sessions paid in the emulator, fulfilled by the worker
EXPIRED = 1800  # sessions nobody paid: applied by the ledger, nothing to fulfil
BATCH = 16  # sessions the fulfillment follower fulfils per batch (api/system.py)


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL of this module's own, to stop and start."""
    with PostgresCluster() as running:
        yield running


@pytest.fixture(scope="module")
def stripe() -> Iterator[EmulatorServer]:
    """The emulator the workers retrieve sessions from; the load delivers the webhooks."""
    with EmulatorServer(config=EmulatorConfig(settle_delay_seconds=None)) as running:
        yield running


def fleet_env(database_url: str, stripe: EmulatorServer, log: Path) -> dict[str, str]:
    return service_env(database_url, STRIPE_API_BASE=stripe.url, RECONCILE_EVERY="off",
                       FULFILLER="tests.support.counting_fulfiller:ship",
                       **{LOG_SETTING: str(log), DELAY_SETTING: "0.01"})


def events(stripe: EmulatorServer) -> tuple[list[dict[str, Any]], set[str]]:
    paid = paid_sessions(stripe.url, API_KEY, PAID)
    load = paid + expired_events(EXPIRED)
    random.Random(7).shuffle(load)
    return load, {e["data"]["object"]["id"] for e in paid}


def check(fleet: Fleet, report: LoadReport, everything: list[dict[str, Any]], paid: set[str],
          log: Path) -> dict[str, Any]:
    """The guarantees, asserted; the figures, answered."""
    assert report.gave_up == []
    assert report.acknowledged == {e["id"] for e in everything}
    counted = wait_applied(fleet.urls[0], STAFF, report.acknowledged, paid)

    applied = {e: counted.stripe_events[e] for e in report.acknowledged}
    assert {e: n for e, n in applied.items() if n != 1} == {}, "applied twice, or never"
    assert {s: counted.fulfilled[s] for s in paid if counted.fulfilled[s] != 1} == {}
    assert set(counted.fulfilled) == paid  # nothing unpaid fulfilled
    shipped = shipments(log)
    assert {s: shipped[s] for s in paid if shipped[s] != 1} == {}, "shipped under two keys"
    assert set(shipped) == paid
    assert overlaps(log) == [], "two workers ran the fulfiller at once"
    called = calls(log)
    return {**report.figures(), "ledger_events": counted.events,
            "fulfiller_calls": sum(called.values()),
            "sessions_called_again": sum(1 for n in called.values() if n > 1)}


def test_kill_9_of_web_processes_and_of_the_following_worker_loses_and_doubles_nothing(
    cluster: PostgresCluster, stripe: EmulatorServer, tmp_path: Path
) -> None:
    database_url = cluster.create_database("kills")
    log = tmp_path / "fulfiller.log"
    fleet = Fleet(fleet_env(database_url, stripe, log), tmp_path, database_url)
    everything, paid = events(stripe)
    faults: list[str] = []
    try:
        fleet.start_web()
        fleet.start_web()
        load = WebhookLoad(lambda: fleet.urls, SECRET, everything, threads=6).start()
        chaos = random.Random(11)
        # Four faults at random points of the load: two web processes, two following workers.
        moments = sorted(chaos.uniform(0.1, 0.85) * len(everything) for _ in range(4))
        kinds = chaos.sample(["web", "web", "worker", "worker"], 4)
        for moment, kind in zip(moments, kinds, strict=True):
            wait_for(lambda m=moment: len(load.report.acknowledged) >= m, 60, every=0.05)
            faults.append(_fault(fleet, kind, chaos))
        report = load.wait(120)
        figures = check(fleet, report, everything, paid, log)
    finally:
        fleet.stop()

    print(f"\nkill -9 under load: faults {faults}; {figures}")
    worker_kills = sum(f.startswith("worker") for f in faults)
    assert figures["sessions_called_again"] <= BATCH * worker_kills + BATCH * 2


def _fault(fleet: Fleet, kind: str, chaos: random.Random) -> str:
    if kind == "worker":
        holder = fleet.lease_holder()
        workers = {pid for web in fleet.webs for pid in web.workers()}
        if holder in workers:
            os.kill(holder, signal.SIGKILL)  # its serve starts another one within seconds
            return f"worker {holder}"
    web = fleet.webs[chaos.randrange(len(fleet.webs))]
    pid = web.pid
    web.kill9()  # its worker hears SIGTERM (PR_SET_PDEATHSIG)
    web.start()  # as systemd's Restart= would
    return f"web {pid}"


def test_postgres_stopped_for_10_s_is_503_meanwhile_and_loses_and_doubles_nothing(
    cluster: PostgresCluster, stripe: EmulatorServer, tmp_path: Path
) -> None:
    database_url = cluster.create_database("outage")
    log = tmp_path / "fulfiller.log"
    fleet = Fleet(fleet_env(database_url, stripe, log), tmp_path, database_url)
    everything, paid = events(stripe)
    health: list[tuple[int, str]] = []
    try:
        fleet.start_web()
        fleet.start_web()
        load = WebhookLoad(lambda: fleet.urls, SECRET, everything, threads=6).start()
        wait_for(lambda: len(load.report.acknowledged) >= len(everything) // 4, 60, every=0.05)
        before = load.report.statuses[503]
        cluster.pause()
        stopped = time.monotonic()
        sampler = threading.Thread(target=_sample_health, args=(fleet, stopped + 10, health))
        sampler.start()
        sampler.join()
        during = load.report.statuses[503] - before
        cluster.resume()
        report = load.wait(120)
        figures = check(fleet, report, everything, paid, log)
    finally:
        if cluster.basedir is not None and not (cluster.basedir / "data" / "postmaster.pid").exists():
            cluster.resume()
        fleet.stop()

    print(f"\nPostgreSQL stopped 10 s under load: {during} webhooks answered 503 meanwhile; "
          f"/healthz {sorted(set(health))}; {figures}")
    assert during > 0, "no webhook met the outage"
    assert health and {status for status, _ in health} == {503}
    assert {state for _, state in health} == {"unavailable"}


def _sample_health(fleet: Fleet, until: float, found: list[tuple[int, str]]) -> None:
    with httpx.Client(timeout=10, trust_env=False) as http:
        while time.monotonic() < until:
            for url in fleet.urls:
                try:
                    answer = http.get(f"{url}/healthz")
                except httpx.HTTPError:
                    continue
                found.append((answer.status_code, answer.json().get("status", "")))
            time.sleep(0.5)
