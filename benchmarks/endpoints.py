"""Starting and stopping the two endpoints `make bench` compares, each as its own process."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from tests.support.pg_cluster import free_port

HERE = Path(__file__).resolve().parent
SECRET = "whsec_bench"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


class EndpointFailed(RuntimeError):
    """An endpoint did not start, or the load run against it failed; the message says why."""


def _reference_command() -> list[str]:
    return [sys.executable, str(HERE / "reference.py")]


def _service_command() -> list[str]:
    # The console script of the venv that runs the bench, so both use the same packages.
    script = Path(sys.executable).parent / "checkout-ledger"
    found = str(script) if script.exists() else shutil.which("checkout-ledger")
    if not found:
        raise EndpointFailed("no checkout-ledger script: run make install")
    return [found, "serve"]


ENDPOINTS = {"reference": _reference_command, "service": _service_command}

# A Stripe key and an API base nobody listens on keep the service out of local mode (no emulator)
# and make any Stripe call inside a webhook request fail loudly instead of reaching Stripe.
SERVICE_ENV = {"STRIPE_API_KEY": "sk_test_bench", "STRIPE_API_BASE": "http://127.0.0.1:9"}


@contextmanager
def running(endpoint: str, database_url: str, processes: int = 1, *, worker: bool = True
            ) -> Iterator[tuple[str, int]]:
    """Start `endpoint` on a free port of 127.0.0.1, with `processes` web processes (and,
    for the service, its worker unless not ``worker``); yields (webhook URL, PID); stops it
    after."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "STRIPE_WEBHOOK_SECRET": SECRET,
           "HOST": "127.0.0.1", "PORT": str(port), "REFERENCE_WORKERS": str(processes)}
    command = ENDPOINTS[endpoint]()
    if endpoint == "service":
        env.update(SERVICE_ENV)
        command += ["--workers", str(processes), *([] if worker else ["--no-worker"])]
    with tempfile.TemporaryFile() as log:
        # Its own session, so stopping it also stops any worker it forks, and nothing else.
        process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                   cwd=HERE.parent)
        try:
            _wait_healthy(process, f"http://127.0.0.1:{port}/healthz", endpoint, log)
            yield f"http://127.0.0.1:{port}/webhook", process.pid
        finally:
            stop_group(process)


def _wait_healthy(process: subprocess.Popen[bytes], url: str, name: str, log: IO[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EndpointFailed(f"{name} exited with {process.returncode}: {_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise EndpointFailed(f"{name} did not answer 200 on {url} within {START_TIMEOUT_S:.0f} s: "
                         f"{_tail(log)}")


def _tail(log: IO[bytes], limit: int = 1500) -> str:
    log.seek(0)
    text = log.read().decode(errors="replace").strip()
    return text[-limit:] or "(no output)"


def stop_group(process: subprocess.Popen[Any]) -> None:
    """SIGTERM to a process started in its own session (it and its children), then SIGKILL.

    Only while the process is not yet reaped: until then its PID, and so its group, is ours.
    """
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
            process.wait(STOP_TIMEOUT_S)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue
