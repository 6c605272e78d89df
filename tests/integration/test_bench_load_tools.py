"""`make bench` needs nothing beside the repository: its load generator ships in benchmarks/load/."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import stripe

from benchmarks.run import LOAD, parse_args

ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec_bench_tools"


@pytest.fixture
def verifying_endpoint() -> Iterator[str]:
    """A webhook endpoint on 127.0.0.1 that answers 200 only to events Stripe's SDK verifies."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as load.py's clients expect

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                stripe.Webhook.construct_event(body, self.headers.get("Stripe-Signature", ""),
                                               SECRET)
                status = 200
            except (ValueError, stripe.SignatureVerificationError):
                status = 400
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/webhook"
    finally:
        server.shutdown()
        server.server_close()


def test_the_bench_finds_its_load_generator_inside_the_repository() -> None:
    args = parse_args([])

    assert args.load == LOAD
    assert LOAD.is_relative_to(ROOT)
    assert {p.name for p in LOAD.parent.iterdir()} >= {"load.py", "gen_events.py",
                                                       "wrk_signed.lua", "README.md"}


def test_the_load_generator_sends_events_that_stripes_sdk_verifies(verifying_endpoint: str) -> None:
    command = [sys.executable, str(LOAD), "--url", verifying_endpoint, "--secret", SECRET,
               "--events", "40", "--concurrency", "4", "--duration", "20", "--engine", "python",
               "--dup-fraction", "0.1"]

    run = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)

    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert (result["ok_2xx"], result["non_2xx"], result["errors"]) == (40, 0, 0)
    assert result["unique_events"] < 40  # the duplicates asked for are re-sends of the same id
