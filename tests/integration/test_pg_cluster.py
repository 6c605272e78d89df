"""The throwaway PostgreSQL cluster the store tests and the benchmark run on."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.support.pg_cluster import PostgresCluster, find_bindir


def test_the_session_database_keeps_what_is_written_to_it(postgres_url: str) -> None:
    table = f"probe_{uuid.uuid4().hex}"

    with psycopg.connect(postgres_url) as conn:
        conn.execute(f"CREATE TABLE {table} (id text PRIMARY KEY, amount integer NOT NULL)")
        conn.execute(f"INSERT INTO {table} VALUES (%s, %s)", ("cs_test_1", 1500))
    with psycopg.connect(postgres_url) as conn:
        rows = conn.execute(f"SELECT id, amount FROM {table}").fetchall()

    assert rows == [("cs_test_1", 1500)]


def test_the_session_database_is_reached_over_loopback_with_a_password(postgres_url: str) -> None:
    url = urlsplit(postgres_url)

    assert url.scheme == "postgresql"
    assert url.hostname == "127.0.0.1"
    assert url.username and url.password and url.port


@pytest.fixture
def own_cluster() -> PostgresCluster:
    try:
        find_bindir()
    except RuntimeError as exc:
        pytest.skip(str(exc))  # the session fixture already fails loudly when binaries are missing
    return PostgresCluster()


def test_a_cluster_makes_more_databases_and_leaves_nothing_behind(
    own_cluster: PostgresCluster,
) -> None:
    with own_cluster as cluster:
        basedir = Path(str(cluster.basedir))
        other_url = cluster.create_database("second")
        with psycopg.connect(other_url) as conn:
            name, fsync = conn.execute(
                "SELECT current_database(), current_setting('fsync')"
            ).fetchone() or (None, None)
        postmaster = cluster.pid

    assert (name, fsync) == ("second", "on")
    assert postmaster > 0
    assert not basedir.exists()
    assert not _is_running(postmaster)


def _is_running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    # A zombie has exited; it only waits for init (which may be slow here) to reap it.
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
