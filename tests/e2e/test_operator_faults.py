"""Faults an operator meets at start-up and on the command line: one line, no traceback."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psycopg

from emulator.server import free_port

CLI = [sys.executable, "-m", "api"]
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str], cwd: Path | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The console script with exactly these settings (nothing inherited but the basics)."""
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    return subprocess.run([*CLI, *args], env={**base, "PYTHONPATH": str(ROOT), **env},
                          cwd=cwd or ROOT, capture_output=True, text=True, timeout=timeout,
                          check=False)


def unreachable_postgres() -> str:
    return f"postgresql://ledger:secret@127.0.0.1:{free_port()}/ledger"


def test_serve_with_postgres_unreachable_says_so_in_one_line_before_any_banner() -> None:
    done = run("serve", env={"DATABASE_URL": unreachable_postgres(), "PORT": str(free_port())})

    assert done.returncode == 2
    assert done.stdout == ""  # no local-mode banner
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("checkout-ledger: DATABASE_URL: cannot reach postgresql://127.0.0.1:")
    assert "secret" not in line and "refused" in line


def test_a_second_serve_on_a_busy_port_says_so_in_one_line_before_anything_starts(
    tmp_path: Path,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        done = run("serve", env={"DATABASE_URL": f"sqlite:///{tmp_path}/ledger.sqlite3",
                                 "PORT": str(port)})

    assert done.returncode == 2
    assert done.stdout == ""  # no banner, no staff token, no emulator
    assert done.stderr.strip() == (f"checkout-ledger: PORT: 127.0.0.1:{port} is already in use "
                                   "(is another checkout-ledger serve running?)")
    assert list(tmp_path.iterdir()) == []  # not even the store was touched


def test_reads_from_another_directory_create_nothing_and_say_where_they_looked(
    tmp_path: Path,
) -> None:
    for command in (["history", "cs_test_x"], ["state", "cs_test_x"], ["failures"]):
        done = run(*command, env={}, cwd=tmp_path)

        assert done.returncode == 2, command
        [line] = done.stderr.strip().splitlines()
        assert f"no ledger database at {tmp_path.resolve()}/var/ledger." in line
        assert list(tmp_path.iterdir()) == [], command  # no ./var/, no files


def test_reads_with_postgres_unreachable_say_so_in_one_line() -> None:
    done = run("history", "cs_test_x", env={"DATABASE_URL": unreachable_postgres()})

    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("checkout-ledger: DATABASE_URL: cannot reach postgresql://")


def test_reads_on_an_empty_postgres_database_create_no_tables(postgres_url: str) -> None:
    name = f"empty_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    empty = postgres_url.rsplit("/", 1)[0] + f"/{name}"

    done = run("history", "cs_test_x", env={"DATABASE_URL": empty})

    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert "cannot read the ledger in postgresql://127.0.0.1:" in line and name in line
    with psycopg.connect(empty) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        assert tables.fetchone() == (0,)


def test_the_emulator_on_port_0_prints_the_port_it_bound() -> None:
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    emulator = subprocess.Popen([*CLI, "emulator", "--port", "0"], cwd=ROOT, text=True,
                                env={**base, "PYTHONPATH": str(ROOT)},
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert emulator.stdout is not None
        line = emulator.stdout.readline()
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)", line).group(1))  # type: ignore[union-attr]

        assert port != 0
        assert _answers(f"http://127.0.0.1:{port}/_emulator/health")
    finally:
        emulator.terminate()
        emulator.wait(10)


def _answers(url: str, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2, trust_env=False).status_code == 200:
                return True
        except httpx.HTTPError:
            time.sleep(0.1)
    return False
