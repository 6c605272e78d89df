"""``checkout-ledger serve`` as an operator runs it: web process plus a supervised worker."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from emulator.server import free_port
from tests.conftest import STAFF, service_env
from tests.support.webhooks import new_session_id, session_event, signed


def wait_for(condition, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in found.stdout.split()]


def test_a_dead_worker_is_replaced_and_catches_up_with_what_was_acknowledged(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, **service_env(f"sqlite:///{tmp_path}/ledger.sqlite3", PORT=str(port))}
    server = subprocess.Popen([sys.executable, "-m", "api", "serve"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: _healthy(base) and children(server.pid))
        [worker] = children(server.pid)
        os.kill(worker, signal.SIGKILL)
        session_id = new_session_id()  # setup mode: nothing to fulfil, no Stripe call
        payload, headers = signed(session_event("checkout.session.completed", session_id,
                                                mode="setup", payment_status="no_payment_required"))

        answer = httpx.post(f"{base}/webhook", content=payload, headers=headers)

        assert answer.json() == {"received": True, "duplicate": False}
        assert wait_for(lambda: httpx.get(f"{base}/sessions/{session_id}",
                                          headers=STAFF).status_code == 200)
        replacement = children(server.pid)
        assert replacement and replacement != [worker]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(20)

    assert wait_for(lambda: not any(_running(p) for p in replacement), timeout=10)


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz").status_code == 200
    except httpx.HTTPError:
        return False


def test_serve_without_a_worker_acknowledges_and_a_worker_of_its_own_applies(
        tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, **service_env(f"sqlite:///{tmp_path}/ledger.sqlite3", PORT=str(port))}
    server = subprocess.Popen([sys.executable, "-m", "api", "serve", "--no-worker"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    worker = None
    try:
        assert wait_for(lambda: _answers(base))
        session_id = new_session_id()
        payload, headers = signed(session_event("checkout.session.completed", session_id,
                                                mode="setup", payment_status="no_payment_required"))

        answer = httpx.post(f"{base}/webhook", content=payload, headers=headers)

        assert answer.json() == {"received": True, "duplicate": False}
        assert children(server.pid) == []
        time.sleep(1.5)  # past a worker's poll: nobody applies it
        assert httpx.get(f"{base}/sessions/{session_id}", headers=STAFF).status_code == 404
        worker = subprocess.Popen([sys.executable, "-m", "api", "worker"],
                                  env={**env, "CREATE_TABLE": "n"},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_for(lambda: httpx.get(f"{base}/sessions/{session_id}",
                                          headers=STAFF).status_code == 200)
    finally:
        for process in (worker, server):
            if process is not None:
                process.send_signal(signal.SIGTERM)
                process.wait(20)


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz").status_code in (200, 503)
    except httpx.HTTPError:
        return False


def test_a_worker_stops_within_seconds_while_stripe_hangs(tmp_path: Path) -> None:
    """Every follower may be inside a Stripe call that takes its full timeout (and the SDK's
    retries) when SIGTERM comes: the worker still ends promptly. What it was doing is
    either committed or done again by the next worker (as after kill -9)."""
    with _silent_server() as stripe_port:
        port = free_port()
        env = {**os.environ, **service_env(f"sqlite:///{tmp_path}/ledger.sqlite3",
                                           PORT=str(port),
                                           STRIPE_API_BASE=f"http://127.0.0.1:{stripe_port[0]}")}
        server = subprocess.Popen([sys.executable, "-m", "api", "serve", "--no-worker"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        worker = None
        try:
            assert wait_for(lambda: _answers(base))
            for mode, status in (("payment", "paid"), ("setup", "no_payment_required")):
                payload, headers = signed(session_event(
                    "checkout.session.completed", new_session_id(), mode=mode,
                    payment_status=status))
                assert httpx.post(f"{base}/webhook", content=payload,
                                  headers=headers).status_code == 200
            worker = subprocess.Popen([sys.executable, "-m", "api", "worker"],
                                      env={**env, "CREATE_TABLE": "n"},
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # Fulfillment and saved cards both wait on the silent "Stripe".
            assert wait_for(lambda: stripe_port[1] >= 2)
            started = time.monotonic()
            worker.send_signal(signal.SIGTERM)
            worker.wait(30)
            assert time.monotonic() - started < STOP_WITHIN_SECONDS
        finally:
            for process in (worker, server):
                if process is not None and process.poll() is None:
                    process.kill()
                    process.wait(20)


STOP_WITHIN_SECONDS = 10.0


@contextlib.contextmanager
def _silent_server() -> Iterator[list[int]]:
    """A TCP server on loopback that accepts connections and never answers (a Stripe that
    hangs): yields [its port, how many connections it has accepted so far]."""
    listener = socket.create_server(("127.0.0.1", 0))
    state = [listener.getsockname()[1], 0]
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            accepted.append(connection)
            state[1] += 1

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        listener.close()
        for connection in accepted:
            connection.close()


def test_a_worker_signalled_again_and_again_still_stops(tmp_path: Path) -> None:
    """SIGTERM from the operator and from its dying parent (PR_SET_PDEATHSIG) can arrive
    together: a signal handled while the last one is still being handled must not hang the
    worker (it once did, waiting on a lock its own main thread held)."""
    env = {**os.environ, **service_env(f"sqlite:///{tmp_path}/ledger.sqlite3")}
    worker = subprocess.Popen([sys.executable, "-m", "api", "worker"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        lock = tmp_path / "ledger.worker.lock"
        assert wait_for(lambda: lock.exists() and lock.read_text().strip() == str(worker.pid))
        until = time.monotonic() + 1.0
        while time.monotonic() < until and worker.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGTERM)

        # Ended (by the signal itself when one lands after Python gave its handlers back).
        assert worker.wait(STOP_WITHIN_SECONDS) in (0, -signal.SIGTERM)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(20)


def test_a_signal_after_the_stop_ends_the_worker_cleanly() -> None:
    """Once the worker has stopped, its signals have their default action again, and the
    socket they were written to is gone with nothing still pointing at it (a signal written
    to a closed descriptor is raised as an error in the main thread wherever it is, and one
    raised inside a lock's bookkeeping hung the worker)."""
    script = (
        "import os, signal, time\n"
        "from api.worker import _StopSignal\n"
        "with _StopSignal() as stop_signal:\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    print(signal.Signals(stop_signal.wait()).name, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "time.sleep(10)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=STOP_WITHIN_SECONDS)

    assert done.stdout == "SIGTERM\n"
    assert done.returncode == -signal.SIGTERM
    assert done.stderr == ""


def test_the_worker_and_every_thread_it_starts_run_at_the_configured_niceness(
        tmp_path: Path) -> None:
    env = {**os.environ, **service_env(f"sqlite:///{tmp_path}/ledger.sqlite3", WORKER_NICE="7")}
    worker = subprocess.Popen([sys.executable, "-m", "api", "worker"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        threads = Path(f"/proc/{worker.pid}/task")
        # The runners' threads, the file watcher, the lease's: following.
        assert wait_for(lambda: len(list(threads.iterdir())) > 5)
        tasks = list(threads.iterdir())

        assert {_niceness(task / "stat") for task in tasks} == {7}
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(20)


def _niceness(stat: Path) -> int:
    return int(stat.read_text().rsplit(")", 1)[1].split()[16])
