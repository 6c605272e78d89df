"""PostgreSQL is down: every webhook hears 503 well before Stripe's 10 s timeout.

The README promises the 503 within a bound; this measures it on ``checkout-ledger serve``
with a stopped cluster, webhooks arriving one after another and several at once.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from emulator.server import free_port
from tests.conftest import service_env
from tests.support.pg_cluster import PostgresCluster
from tests.support.webhooks import new_session_id, session_event, signed

BOUND_SECONDS = 3.0  # what the README promises
CONCURRENT = 16


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL of this module's own, to stop."""
    with PostgresCluster() as running:
        yield running


def post_webhook(base: str) -> tuple[int, float]:
    """One signed webhook: its status and how long the answer took."""
    payload, headers = signed(session_event("checkout.session.completed", new_session_id(),
                                            mode="setup", payment_status="no_payment_required"))
    started = time.monotonic()
    answer = httpx.post(f"{base}/webhook", content=payload, headers=headers, timeout=30)
    return answer.status_code, time.monotonic() - started


def test_every_webhook_hears_503_within_the_documented_bound_while_postgres_is_down(
    cluster: PostgresCluster,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, **service_env(cluster.url, PORT=str(port))}
    server = subprocess.Popen([sys.executable, "-m", "api", "serve"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _wait_healthy(base)
        assert post_webhook(base)[0] == 200
        cluster.pause()
        try:
            one_by_one = [post_webhook(base) for _ in range(4)]
            with ThreadPoolExecutor(CONCURRENT) as pool:
                at_once = list(pool.map(lambda _: post_webhook(base), range(CONCURRENT * 2)))
        finally:
            cluster.resume()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(20)

    answers = one_by_one + at_once
    took = sorted(t for _, t in answers)
    print(f"\n503 answer time over {len(took)} webhooks: p50 {statistics.median(took):.2f} s, "
          f"max {took[-1]:.2f} s")
    assert {status for status, _ in answers} == {503}
    assert took[-1] < BOUND_SECONDS


def _wait_healthy(base: str, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False
