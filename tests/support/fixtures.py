"""pytest fixtures for the real stores; tests/conftest.py imports them.

`postgres_url` is the URL of a PostgreSQL database shared by the whole session: `TEST_POSTGRES_URL`
when set (`.ci/run` starts one cluster for the run), otherwise a throwaway cluster started here and
stopped when the session ends. Tests share the database, so they use unique ids; tests of
what a service keeps once per store use `own_database_url`, a database of their own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support.pg_cluster import PostgresCluster, PostgresClusterError


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """`postgresql://USER:PASSWORD@HOST:PORT/DBNAME` of a database the session may write to."""
    url = os.environ.get("TEST_POSTGRES_URL")
    if url:
        yield url
        return
    cluster = PostgresCluster()
    try:
        cluster.start()
    except PostgresClusterError as exc:
        # Fail, not skip: every store test must run on PostgreSQL too.
        pytest.fail(str(exc), pytrace=False)
    try:
        yield cluster.url
    finally:
        cluster.stop()


_databases = iter(range(1, 1_000_000))


@pytest.fixture(params=["sqlite", "postgres"])
def own_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Like ``database_url``, but on PostgreSQL a database of the test's own: for tests of
    what one service keeps once per store (its test clock, every subscription's schedule)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/ledger.sqlite3"
    shared = str(request.getfixturevalue("postgres_url"))
    name = f"own_{os.getpid()}_{next(_databases)}"
    with psycopg.connect(shared, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return shared.rsplit("/", 1)[0] + f"/{name}"
