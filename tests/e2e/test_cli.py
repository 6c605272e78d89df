"""The console script, as an operator runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from starlette.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.system import create_tables
from tests.conftest import service_env, settle
from tests.support.webhooks import new_session_id, session_event, signed

CLI = [sys.executable, "-m", "api"]


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=60, check=False)


def test_history_and_state_replay_a_session_from_the_store(tmp_path: Path) -> None:
    env = service_env(f"sqlite:///{tmp_path}/ledger.sqlite3")
    session_id = new_session_id()
    with TestClient(create_app(Settings.from_env(env), follow=False)) as client:
        for kind, status in (("checkout.session.completed", "unpaid"),
                             ("checkout.session.async_payment_failed", "unpaid")):
            payload, headers = signed(session_event(kind, session_id, payment_status=status))
            client.post("/webhook", content=payload, headers=headers)
        settle(client)

    history = json.loads(run("history", session_id, env=env).stdout)
    now = json.loads(run("state", session_id, env=env).stdout)
    then = json.loads(run("state", session_id, "--version", "1", env=env).stdout)

    assert [e["type"] for e in history["events"]] == ["Completed", "AsyncPaymentFailed"]
    assert (now["version"], now["payment_outcome"]) == (2, "failed")
    assert (then["version"], then["payment_outcome"]) == (1, "pending")


def test_an_unknown_session_exits_1_with_one_line(tmp_path: Path) -> None:
    env = service_env(f"sqlite:///{tmp_path}/l.sqlite3")
    create_tables(Settings.from_env(env))  # a store exists; the session is not in it

    done = run("state", "cs_test_nobody", env=env)

    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and "not found" in done.stderr


def test_bad_settings_stop_start_up_with_one_line_each_and_no_traceback(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "mysql://x", "STRIPE_API_KEY": "pk_test_x", "PORT": "0",
           "STRIPE_WEBHOOK_SECRET": "", "STAFF_TOKENS": ""}

    done = run("serve", env=env)

    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2
    assert [line.split(":")[1].strip() for line in lines] == [
        "DATABASE_URL", "STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET", "PORT"]
    assert "Traceback" not in done.stderr


def test_failures_lists_nothing_on_a_fresh_store(tmp_path: Path) -> None:
    env = service_env(f"sqlite:///{tmp_path}/l.sqlite3")
    create_tables(Settings.from_env(env))

    done = run("failures", "--json", env=env)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"failures": []}


def test_state_refuses_version_and_at_together(tmp_path: Path) -> None:
    done = run("state", "cs_test_x", "--version", "1", "--at", "2026-01-01T00:00:00Z",
               env=service_env(f"sqlite:///{tmp_path}/l.sqlite3"))

    assert done.returncode == 2
    assert "not both" in done.stderr
