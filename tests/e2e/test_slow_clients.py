"""Slow and greedy clients: a body that never finishes is cut off, and too many
connections at once hear 503, while the service goes on answering everyone else."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from api.serve import BODY_SECONDS, MAX_CONCURRENCY
from emulator.server import free_port
from tests.conftest import service_env


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``checkout-ledger serve`` as an operator runs it; its base URL."""
    port = free_port()
    database = tmp_path_factory.mktemp("slow") / "ledger.sqlite3"
    env = {**os.environ, **service_env(f"sqlite:///{database}", PORT=str(port))}
    server = subprocess.Popen([sys.executable, "-m", "api", "serve"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _healthy(base):
            assert time.monotonic() < deadline, "serve did not start"
            time.sleep(0.1)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(20)


def test_a_body_that_never_finishes_is_answered_408_and_closed_within_the_bound(
    service: str,
) -> None:
    port = int(service.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as slow:
        slow.sendall(b"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n"
                     b"Content-Type: application/json\r\n\r\n{\"id\": \"e")
        started = time.monotonic()
        others = [httpx.get(f"{service}/healthz", timeout=5).status_code for _ in range(3)]
        slow.settimeout(BODY_SECONDS + 5)

        answer = _read_until_closed(slow)
        took = time.monotonic() - started

    assert others == [200, 200, 200]  # answered while the slow body was pending
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert BODY_SECONDS - 1 < took < BODY_SECONDS + 2


def test_connections_beyond_the_limit_hear_503_and_the_service_recovers(service: str) -> None:
    port = int(service.rsplit(":", 1)[1])
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(MAX_CONCURRENCY)]
    try:  # the server accepts the idle connections at its own pace: ask until it is full
        crowded = _answer_until(service, 503)
    finally:
        for connection in idle:
            connection.close()

    assert crowded == 503
    assert _answer_until(service, 200) == 200  # and it notices the closes


def _answer_until(service: str, wanted: int, seconds: float = 10) -> int:
    """``/healthz``'s status, asked every 0.1 s until it is ``wanted`` or time is up."""
    deadline = time.monotonic() + seconds
    while (status := httpx.get(f"{service}/healthz", timeout=5).status_code) != wanted:
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    return status


def _read_until_closed(connection: socket.socket) -> bytes:
    received = b""
    while chunk := connection.recv(4096):
        received += chunk
    return received


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz").status_code == 200
    except httpx.HTTPError:
        return False

