"""The two halves of the fulfillment-lag run: paid sessions in the emulator, and the timed load.

``prepare`` buys ``count`` sessions on the emulator (official SDK + the control API's pay,
delivery switched to ``drop`` so the emulator delivers nothing itself) and answers their
``checkout.session.completed`` events as ``/v1/events`` lists them. ``drive`` posts them,
re-signed, at a fixed rate and notes when each webhook was answered; ``collect`` follows the
ledger's ``GET /events`` stream for the ``Fulfilled`` of each session.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import stripe

from benchmarks import open_loop
from tests.support.fleet import sign, stripe_events

API_KEY = "sk_test_bench_lag"


@dataclass
class Sent:
    """What the load saw: when each session's webhook was answered, and how."""

    answered_at: dict[str, float] = field(default_factory=dict)  # session id -> unix time
    webhook_ms: list[float] = field(default_factory=list)
    non_2xx: int = 0
    errors: int = 0
    seconds: float = 0.0


def prepare(emulator_url: str, count: int, threads: int = 16) -> list[dict[str, Any]]:
    """``count`` paid sessions; their completed events, oldest first."""
    httpx.post(f"{emulator_url}/_emulator/delivery", json={"drop": True},
               trust_env=False).raise_for_status()
    sdk = stripe.StripeClient(API_KEY, base_addresses={"api": emulator_url})
    price = sdk.v1.prices.create(params={"currency": "usd", "unit_amount": 2500,
                                         "product_data": {"name": "Bench T-shirt"}})

    def buy(_: int) -> None:
        session = sdk.v1.checkout.sessions.create(params={
            "mode": "payment", "line_items": [{"price": price.id, "quantity": 1}],
            "success_url": "http://127.0.0.1/success?session_id={CHECKOUT_SESSION_ID}"})
        httpx.post(f"{emulator_url}/_emulator/checkout/sessions/{session.id}/pay",
                   json={"card": "4242424242424242"}, trust_env=False).raise_for_status()

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(buy, range(count)))
    return completed_events(emulator_url)


def completed_events(emulator_url: str) -> list[dict[str, Any]]:
    """Every ``checkout.session.completed`` event the emulator holds, oldest first."""
    return stripe_events(emulator_url, API_KEY, "checkout.session.completed")


async def drive(url: str, secret: str, events: list[dict[str, Any]], rate: float) -> Sent:
    """POST each event to ``url`` at ``rate`` per second (open loop: the schedule does not
    wait for answers), noting the wall-clock time each one was answered.

    Every request is built and signed before the first is sent, and goes out through
    ``benchmarks/open_loop.py`` (raw HTTP/1.1 on kept-alive connections): measured, an httpx
    client doing the same took 0.7 of the 2 cores at 200 webhooks/s, which starved the
    service it was measuring."""
    target = urlsplit(url)
    host, port = target.hostname or "127.0.0.1", target.port or 80
    requests = [_post(target.path, host, port, json.dumps(event).encode(), secret)
                for event in events]
    sessions = [event["data"]["object"]["id"] for event in events]
    sent = Sent()

    def answered(i: int, status: int) -> None:
        if status // 100 == 2:
            sent.answered_at[sessions[i]] = time.time()

    phase = await open_loop.drive(host, port, "webhooks", requests.__getitem__, rate,
                                  len(events) / rate, on_answer=answered)
    sent.webhook_ms = phase.answer_ms
    sent.non_2xx, sent.errors, sent.seconds = phase.non_2xx, phase.errors, phase.seconds
    return sent


def _post(path: str, host: str, port: int, payload: bytes, secret: str) -> bytes:
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
            f"Stripe-Signature: {sign(payload, secret)}\r\n\r\n")
    return head.encode() + payload


def collect(base_url: str, token: str, wanted: set[str], *, patience: float
            ) -> tuple[dict[str, float], dict[str, float]]:
    """Follow ``GET /events`` until every wanted session has its ``Fulfilled`` or nothing new
    was fulfilled for ``patience`` seconds; answers session id -> recorded_at (unix time) of
    its ``Fulfilled``, and of its ``Completed`` (where the ledger's share of the lag ends)."""
    fulfilled: dict[str, float] = {}
    completed: dict[str, float] = {}
    after, last_progress = 0, time.monotonic()
    with httpx.Client(base_url=base_url, trust_env=False, timeout=30,
                      headers={"Authorization": f"Bearer {token}"}) as http:
        while not wanted <= fulfilled.keys():
            page = http.get("/events", params={"after": after, "limit": 1000})
            page.raise_for_status()
            body = page.json()
            for entry in body["events"]:
                if entry["session"] not in wanted:
                    continue
                moment = datetime.fromisoformat(entry["recorded_at"]).timestamp()
                if entry["type"] == "Completed":
                    completed[entry["session"]] = moment
                elif entry["type"] == "Fulfilled":
                    fulfilled[entry["session"]] = moment
                    last_progress = time.monotonic()
            if body["next"] == after:
                if time.monotonic() - last_progress > patience:
                    break
                time.sleep(0.2)
            after = body["next"]
    return fulfilled, completed


def fulfilled_times(base_url: str, token: str, session_ids: set[str]) -> dict[str, float]:
    """Session id -> when its ``Fulfilled`` was recorded by the fulfillment application
    (``fulfillment.fulfilled_at``; the ledger copies it into the session's history a hop
    later). Asked after the load, so the asking costs the measured run nothing."""
    times: dict[str, float] = {}
    with httpx.Client(base_url=base_url, trust_env=False, timeout=30,
                      headers={"Authorization": f"Bearer {token}"}) as http:
        for session_id in session_ids:
            answer = http.get(f"/sessions/{session_id}")
            moment = answer.json()["fulfillment"]["fulfilled_at"] if answer.is_success else None
            if moment:
                times[session_id] = datetime.fromisoformat(moment).timestamp()
    return times


def cpu_seconds(root: int) -> float:
    """CPU (user + system) used so far by a process, its children and its process group."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid = int(stat.parent.name)
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if root in (pid, int(fields[1]), int(fields[2])):  # the state, then ppid, pgrp
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]
