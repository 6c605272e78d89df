"""PostgreSQL restarts under two workers: every paid session is still fulfilled exactly once.

A restart ends the connection that holds the follower lease (an advisory lock), so the
standby worker can take the lease as soon as the server is back. Before the lease was
checked per batch, the old holder kept following too and the merchant's fulfiller ran
twice for some sessions.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from adapters.stripe_gateway import StripeGateway
from emulator.config import EmulatorConfig
from emulator.server import EmulatorServer, free_port
from tests.conftest import STAFF, service_env
from tests.support.counting_fulfiller import DELAY_SETTING, LOG_SETTING, calls
from tests.support.pg_cluster import PostgresCluster
from tests.support.purchases import API_KEY, Shop

WAVE = 60  # paid sessions before the restart, and again after it


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL of this module's own, to restart."""
    with PostgresCluster() as running:
        yield running


@pytest.fixture(scope="module")
def stripe() -> Iterator[EmulatorServer]:
    """An emulator of this module's own: it delivers its webhooks to the service under test,
    and keeps retrying them (like Stripe) while the service answers 503."""
    config = EmulatorConfig(retry_base_seconds=0.2, max_attempts=12, settle_delay_seconds=None)
    with EmulatorServer(config=config) as running:
        yield running


def wait_for(condition, timeout: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_every_session_is_fulfilled_exactly_once_across_a_postgres_restart_under_two_workers(
    cluster: PostgresCluster, stripe: EmulatorServer, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    secret = StripeGateway(API_KEY, stripe.url).create_webhook_endpoint(f"{base}/webhook")
    log = tmp_path / "fulfiller.log"
    env = {**os.environ, **service_env(
        cluster.url, PORT=str(port), STRIPE_API_BASE=stripe.url, STRIPE_WEBHOOK_SECRET=secret,
        FULFILLER="tests.support.counting_fulfiller:ship", **{LOG_SETTING: str(log), DELAY_SETTING: "0.5"})}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": (tmp_path / "service.log").open("wb")}
    server = subprocess.Popen([sys.executable, "-m", "api", "serve"], env=env, **quiet)
    standby = None
    try:
        assert wait_for(lambda: _healthy(base), timeout=30)
        standby = subprocess.Popen([sys.executable, "-m", "api", "worker"],
                                   env={**env, "CREATE_TABLE": "n"}, **quiet)
        with Shop(stripe.url) as shop, httpx.Client(base_url=base, headers=STAFF) as service:
            before = _buy(shop, WAVE)
            assert wait_for(lambda: _all_fulfilled(service, before))

            cluster.pause()  # pg_ctl stop -m fast, then start: a restart
            cluster.resume()
            after = _buy(shop, WAVE)
            assert wait_for(lambda: _all_fulfilled(service, before + after), timeout=90)
            time.sleep(1.0)  # a second worker would have called the fulfiller by now

        counted = calls(log)
        assert {s: n for s, n in counted.items() if n != 1} == {}
        assert set(counted) == set(before + after)
    finally:
        for process in (standby, server):
            if process is not None:
                process.send_signal(signal.SIGTERM)
                process.wait(20)


def _buy(shop: Shop, count: int) -> list[str]:
    """Paid sessions; the emulator delivers their checkout.session.completed itself."""
    bought = []
    for _ in range(count):
        session_id = shop.session()
        shop.pay(session_id)
        bought.append(session_id)
    return bought


def _all_fulfilled(service: httpx.Client, session_ids: list[str]) -> bool:
    for session_id in session_ids:
        try:
            answer = service.get(f"/sessions/{session_id}")
        except httpx.HTTPError:
            return False
        if answer.status_code != 200 or answer.json()["fulfillment"]["status"] != "fulfilled":
            return False
    return True


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz").status_code == 200
    except httpx.HTTPError:
        return False
