"""pytest fixtures for the real stores; tests/conftest.py imports them.

`postgres_url` is the URL of a PostgreSQL database shared by the whole session: `TEST_POSTGRES_URL`
when set (`.ci/run` starts one cluster for the run), otherwise a throwaway cluster started here and
stopped when the session ends. Tests share the database, so they use unique ids.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

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
