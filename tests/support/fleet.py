"""The production shape on one machine, for the fault tests and the soak: several
``checkout-ledger serve`` processes (each with the worker it supervises) on one PostgreSQL,
a Stripe-like load of signed webhooks retried until ``2xx``, and the checks that nothing
acknowledged was lost or applied twice.

    fleet = Fleet(env, log_dir)                 # env: service_env(...) plus the FULFILLER
    web = fleet.start_web()                     # a serve process on a free loopback port
    load = WebhookLoad(fleet.urls, secret, events).start()
    os.kill(fleet.lease_holder(url), SIGKILL)   # the worker that follows right now
    load.wait(); fleet.wait_applied(acknowledged)

Every process here is started by this module and stopped by its pid (never by name).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from emulator.server import free_port

ROOT = Path(__file__).resolve().parents[2]
LEASE_HOLDER = (
    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE l.locktype = 'advisory' AND l.granted"
    " AND a.application_name LIKE 'checkout-ledger lease pid=%'"
)


def wait_for(condition: Callable[[], bool], timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


class WebProcess:
    """One ``checkout-ledger serve`` on its own loopback port; its worker is its child."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env = {**env, "PORT": str(port), "HOST": "127.0.0.1"}
        self.port = port
        self.log = log
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> WebProcess:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "api", "serve"], cwd=ROOT, env=self.env,
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        if not wait_for(self.answers, timeout):
            raise RuntimeError(f"serve on {self.url} did not start; see {self.log}")
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=5, trust_env=False).status_code \
                in (200, 503)
        except httpx.HTTPError:
            return False

    def workers(self) -> list[int]:
        return children(self.pid) if self.alive() else []

    def kill9(self) -> None:
        """``kill -9`` the web process (its worker hears SIGTERM from the kernel)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            for pid in self.workers():
                os.kill(pid, signal.SIGKILL)
            self.process.kill()
            self.process.wait(10)


class Fleet:
    """The web processes of one service, and what to ask its store."""

    def __init__(self, env: dict[str, str], log_dir: Path, database_url: str) -> None:
        self.env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
        self.log_dir = log_dir
        self.database_url = database_url
        self.webs: list[WebProcess] = []

    def start_web(self, port: int | None = None) -> WebProcess:
        """A web process on a free port; every one after the first with ``CREATE_TABLE=n``
        (the first created the tables), as docs/operations.md says to run them."""
        port = port or free_port()
        env = {**self.env, **({"CREATE_TABLE": "n"} if self.webs else {})}
        web = WebProcess(env, port, self.log_dir / f"serve-{port}.log").start()
        self.webs.append(web)
        return web

    def restart(self, web: WebProcess) -> WebProcess:
        """Start a web process again on the same port (what systemd's Restart= does)."""
        web.stop()
        return web.start()

    @property
    def urls(self) -> list[str]:
        return [web.url for web in self.webs]

    def lease_holder(self) -> int | None:
        """The pid of the process that holds the follower lease now, if any."""
        try:
            with psycopg.connect(self.database_url, autocommit=True, connect_timeout=3) as db:
                rows = db.execute(LEASE_HOLDER).fetchall()
        except psycopg.Error:
            return None
        for (name,) in rows:
            return int(name.split("pid=")[1].split()[0])
        return None

    def stop(self) -> None:
        for web in self.webs:
            web.stop()


# -- the load ----------------------------------------------------------------------------------


def sign(payload: bytes, secret: str) -> str:
    t = int(time.time())
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


@dataclass
class LoadReport:
    sent: int = 0  # requests, retries included
    acknowledged: set[str] = field(default_factory=set)  # event ids answered 2xx
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0  # no answer (connection refused or reset, timeout)
    latencies_ms: list[float] = field(default_factory=list)  # of the 2xx answers
    gave_up: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms) or [0.0]
        return {"requests": self.sent, "acknowledged": len(self.acknowledged),
                "statuses": dict(sorted(self.statuses.items())), "no_answer": self.errors,
                "p50_ms": round(ordered[len(ordered) // 2], 1),
                "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
                "gave_up": len(self.gave_up)}


class WebhookLoad:
    """Posts each event, signed just before each attempt, to the web processes in turn (as a
    load balancer would), and retries it until ``2xx`` as Stripe does (here within seconds,
    not hours). ``threads`` requests at once; ``repeat`` is the share of events delivered a
    second time after their first ``2xx`` (Stripe's at-least-once)."""

    def __init__(self, urls: Callable[[], Sequence[str]] | Sequence[str], secret: str,
                 events: Iterable[dict[str, Any]], *, threads: int = 8, repeat: float = 0.05,
                 give_up_after: float = 120.0, seed: int = 0, open_ended: bool = False) -> None:
        self._urls = urls if callable(urls) else (lambda: list(urls))  # type: ignore[misc]
        self.secret = secret
        self.queue = list(events)
        self.threads = threads
        self.repeat = repeat
        self.give_up_after = give_up_after
        self.report = LoadReport()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []
        self._next = 0
        # open-ended: more events come through add() until close(); threads wait meanwhile
        self._closed = threading.Event()
        if not open_ended:
            self._closed.set()

    def add(self, events: Iterable[dict[str, Any]]) -> None:
        with self._lock:
            self.queue.extend(events)

    def close(self) -> None:
        """No more events: the threads end once the queue is delivered."""
        self._closed.set()

    def start(self) -> WebhookLoad:
        for n in range(self.threads):
            thread = threading.Thread(target=self._run, name=f"load-{n}", daemon=True)
            thread.start()
            self._workers.append(thread)
        return self

    def wait(self, timeout: float = 300.0) -> LoadReport:
        deadline = time.monotonic() + timeout
        for thread in self._workers:
            thread.join(max(0.0, deadline - time.monotonic()))
        return self.report

    def _take(self) -> dict[str, Any] | None:
        while True:
            closed = self._closed.is_set()
            with self._lock:
                if self._next < len(self.queue):
                    event = self.queue[self._next]
                    self._next += 1
                    return event
            if closed:
                return None
            self._closed.wait(0.05)

    def _run(self) -> None:
        with httpx.Client(timeout=10, trust_env=False) as http:
            while (event := self._take()) is not None:
                payload = json.dumps(event).encode()
                if self._deliver(http, event["id"], payload) and \
                        self._random.random() < self.repeat:
                    self._deliver(http, event["id"], payload)

    def _deliver(self, http: httpx.Client, event_id: str, payload: bytes) -> bool:
        started, backoff = time.monotonic(), 0.05
        while time.monotonic() - started < self.give_up_after:
            urls = self._urls()
            url = urls[self._random.randrange(len(urls))] + "/webhook"
            headers = {"Stripe-Signature": sign(payload, self.secret),
                       "Content-Type": "application/json"}
            sent_at = time.perf_counter()
            try:
                answer = http.post(url, content=payload, headers=headers)
            except httpx.HTTPError:
                with self._lock:
                    self.report.sent += 1
                    self.report.errors += 1
            else:
                with self._lock:
                    self.report.sent += 1
                    self.report.statuses[answer.status_code] += 1
                    if answer.is_success:
                        self.report.acknowledged.add(event_id)
                        self.report.latencies_ms.append((time.perf_counter() - sent_at) * 1000)
                if answer.is_success:
                    return True
            time.sleep(backoff)
            backoff = min(backoff * 2, 1.0)
        with self._lock:
            self.report.gave_up.append(event_id)
        return False


# -- the events --------------------------------------------------------------------------------


def expired_events(count: int) -> list[dict[str, Any]]:
    """``checkout.session.expired`` for ``count`` sessions nobody paid: the ledger applies
    them, and nothing downstream calls Stripe or the fulfiller about them."""
    from tests.support.webhooks import new_session_id, session_event

    return [session_event("checkout.session.expired", new_session_id()) for _ in range(count)]


def paid_sessions(emulator_url: str, api_key: str, count: int, threads: int = 8
                  ) -> list[dict[str, Any]]:
    """``count`` sessions bought and paid by card in the emulator (its own delivery switched
    off); their ``checkout.session.completed`` events as Stripe lists them."""
    from concurrent.futures import ThreadPoolExecutor

    import stripe

    httpx.post(f"{emulator_url}/_emulator/delivery", json={"drop": True},
               trust_env=False).raise_for_status()
    sdk = stripe.StripeClient(api_key, base_addresses={"api": emulator_url})
    price = sdk.v1.prices.create(params={"currency": "usd", "unit_amount": 2500,
                                         "product_data": {"name": "Fleet T-shirt"}})
    bought: list[str] = []

    def buy(_: int) -> None:
        session = sdk.v1.checkout.sessions.create(params={
            "mode": "payment", "line_items": [{"price": price.id, "quantity": 1}],
            "success_url": "http://127.0.0.1/success?session_id={CHECKOUT_SESSION_ID}"})
        httpx.post(f"{emulator_url}/_emulator/checkout/sessions/{session.id}/pay",
                   json={"card": "4242424242424242"}, trust_env=False).raise_for_status()
        bought.append(str(session.id))

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(buy, range(count)))
    wanted = set(bought)
    return [e for e in stripe_events(emulator_url, api_key, "checkout.session.completed")
            if e["data"]["object"]["id"] in wanted]


def stripe_events(emulator_url: str, api_key: str, event_type: str | None = None
                  ) -> list[dict[str, Any]]:
    """Every event the emulator holds (of one type), oldest first."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100, **({"type": event_type} if event_type else {})}
    with httpx.Client(base_url=emulator_url, trust_env=False, timeout=30,
                      headers={"Authorization": f"Bearer {api_key}"}) as http:
        while True:
            page = http.get("/v1/events", params=params)
            page.raise_for_status()
            listed = page.json()
            found.extend(listed["data"])
            if not listed["has_more"]:
                return list(reversed(found))
            params["starting_after"] = listed["data"][-1]["id"]


# -- the checks --------------------------------------------------------------------------------


@dataclass
class LedgerCount:
    """What the ledger holds, counted from ``GET /events``."""

    stripe_events: Counter[str] = field(default_factory=Counter)  # event id -> times applied
    fulfilled: Counter[str] = field(default_factory=Counter)  # session -> Fulfilled recorded
    events: int = 0


def count_ledger(base_url: str, headers: dict[str, str]) -> LedgerCount:
    counted = LedgerCount()
    after = 0
    with httpx.Client(base_url=base_url, headers=headers, trust_env=False, timeout=30) as http:
        while True:
            page = http.get("/events", params={"after": after, "limit": 1000})
            page.raise_for_status()
            body = page.json()
            for entry in body["events"]:
                counted.events += 1
                if entry.get("stripe_event_id"):
                    counted.stripe_events[entry["stripe_event_id"]] += 1
                if entry["type"] == "Fulfilled":
                    counted.fulfilled[entry["session"]] += 1
            if not body["events"]:
                return counted
            after = body["next"]


def wait_applied(base_url: str, headers: dict[str, str], acknowledged: set[str],
                 paid: set[str], timeout: float = 90.0) -> LedgerCount:
    """Wait until the ledger holds every acknowledged event and every paid session's
    ``Fulfilled`` (or the timeout passes); the count as it then stands."""
    counted = LedgerCount()

    def done() -> bool:
        nonlocal counted
        try:
            counted = count_ledger(base_url, headers)
        except httpx.HTTPError:
            return False
        return acknowledged <= counted.stripe_events.keys() and paid <= counted.fulfilled.keys()

    wait_for(done, timeout, every=1.0)
    return counted


def connections_by_process(database_url: str) -> Counter[int]:
    """How many connections each local process has open to the database (matched through
    the client ports PostgreSQL reports and the sockets /proc lists per process)."""
    with psycopg.connect(database_url, autocommit=True, connect_timeout=3) as db:
        ports = {row[0] for row in db.execute(
            "SELECT client_port FROM pg_stat_activity WHERE client_port IS NOT NULL"
            " AND pid <> pg_backend_pid()").fetchall()}
    inodes: dict[str, int] = {}  # socket inode -> local port
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            port = int(fields[1].rsplit(":", 1)[1], 16)
            if port in ports:
                inodes[fields[9]] = port
    found: Counter[int] = Counter()
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            links = [os.readlink(fd) for fd in fd_dir.iterdir()]
        except OSError:
            continue
        for link in links:
            if link.startswith("socket:[") and link[8:-1] in inodes:
                found[int(fd_dir.parent.name)] += 1
    return found
