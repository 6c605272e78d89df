"""A worker that loses its follower lease stops following at once and stands by again."""

from __future__ import annotations

import time

import psycopg
import pytest

from adapters.lease import Lease, LeaseLost
from adapters.stores import Store
from api.settings import Settings
from api.system import Services, build
from tests.conftest import service_env


def wait_for(condition, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def following(services: Services) -> bool:
    return any(runner.running for runner in services.runners)


def end_lease_connection(lease: Lease, database_url: str) -> None:
    """What a server restart does to the lease: its backend is gone."""
    assert lease._connection is not None
    pid = lease._connection.info.backend_pid
    with psycopg.connect(Store.from_url(database_url).url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_lease_whose_connection_ended_is_no_longer_held(postgres_url: str) -> None:
    lease = Lease(Store.from_url(postgres_url))
    assert lease.acquire()
    try:
        assert lease.held()

        end_lease_connection(lease, postgres_url)

        assert not lease.held()
        with pytest.raises(LeaseLost):
            lease.ensure_held()
    finally:
        lease.release()


def test_a_holder_that_loses_its_lease_stops_following_and_the_standby_takes_over(
    postgres_url: str,
) -> None:
    settings = Settings.from_env(service_env(postgres_url))
    first, second = build(settings), build(settings)
    try:
        first.start(follow=True)
        assert wait_for(lambda: following(first))
        second.start(follow=True)
        time.sleep(0.3)
        assert not following(second)

        lost = first.lease._connection
        end_lease_connection(first.lease, postgres_url)

        assert wait_for(lambda: first.lease._connection is not lost, timeout=3)  # let go
        assert wait_for(lambda: following(first) != following(second), timeout=5)
        time.sleep(2.5)  # a standby asks every 2 s: still exactly one follows
        assert following(first) != following(second)
    finally:
        first.stop()
        second.stop()


def test_a_file_lease_stays_held_until_released(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lease = Lease(Store.from_url(f"sqlite:///{tmp_path}/ledger.sqlite3"))
    assert lease.acquire()

    assert lease.held()
    lease.ensure_held()
    lease.release()

    assert not lease.held()
