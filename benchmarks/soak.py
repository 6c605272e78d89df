"""`make soak`: the fault tests (tests/e2e/test_fleet_faults.py), for longer, with mixed traffic.

Starts a throwaway PostgreSQL, the Stripe emulator and two ``checkout-ledger serve`` processes
(two web processes and two workers, one following), with ``TEST_CLOCK=1`` and the counting
fulfiller. For ``--minutes`` (``SOAK_MINUTES``, 30 by default) it keeps buying in the emulator:
card payments, bank debits that settle a few seconds later (succeeded or failed), declined cards
(the session then expires), saved cards with a merchant subscription each (one in five on a card
that fails every charge), renewed by moving the service's clock a month every ``--renew-every``
seconds (``POST /support/clock/advance``). Every Stripe event is posted, signed, to a web process
at random and retried until ``2xx`` (Stripe's way), 5% of them twice. Every ``--fault-every``
seconds one fault, in turn: ``kill -9`` of a web process (then started again), of the worker that
follows, and PostgreSQL stopped for 10 s.

At the end it waits for the backlog and checks what the tests check: every acknowledged event
applied exactly once, every paid session ``Fulfilled`` once and shipped once (calls counted),
no two workers at once. It prints the figures as JSON and exits 1 if a check failed.

    .venv/bin/python benchmarks/soak.py [--minutes 30] [--fault-every 60] [--renew-every 20]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `tests.support` importable

import httpx  # noqa: E402

from adapters.stripe_events import HANDLED  # noqa: E402
from emulator.config import EmulatorConfig  # noqa: E402
from emulator.server import EmulatorServer  # noqa: E402
from tests.conftest import STAFF, service_env  # noqa: E402
from tests.support.counting_fulfiller import (  # noqa: E402
    DELAY_SETTING,
    LOG_SETTING,
    calls,
    overlaps,
    shipments,
)
from tests.support.fleet import (  # noqa: E402
    Fleet,
    WebhookLoad,
    connections_by_process,
    stripe_events,
    wait_applied,
)
from tests.support.pg_cluster import PostgresCluster  # noqa: E402
from tests.support.purchases import API_KEY, Shop  # noqa: E402
from tests.support.webhooks import SECRET  # noqa: E402

GOOD, DECLINED, FAILS_LATER = "4242424242424242", "4000000000000002", "4000000000000341"
MONTH = 31 * 86400


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float,
                        default=float(os.environ.get("SOAK_MINUTES") or 30))
    parser.add_argument("--fault-every", type=float, default=60.0,
                        help="seconds between faults (0: none)")
    parser.add_argument("--renew-every", type=float, default=20.0,
                        help="seconds between moves of the service's clock by a month")
    parser.add_argument("--rate", type=float, default=4.0, help="purchases per second")
    return parser.parse_args(argv)


class Traffic:
    """Buys in the emulator; hands every new Stripe event to the load."""

    def __init__(self, shop: Shop, stripe_url: str, load: WebhookLoad, service: str) -> None:
        self.shop, self.stripe_url, self.load, self.service = shop, stripe_url, load, service
        self.seen: set[str] = set()
        self.kinds: Counter[str] = Counter()
        self.random = random.Random(5)
        self.pending_cards: list[tuple[str, bool]] = []  # customers whose card is being saved
        self.subscriptions: list[str] = []

    def buy(self) -> None:
        kind = self.random.choices(["card", "bank_ok", "bank_fails", "declined", "save_card"],
                                   [60, 12, 6, 10, 12])[0]
        self.kinds[kind] += 1
        if kind == "save_card":
            customer = self.shop.customer()
            self.shop.pay(self.shop.setup_session(customer=customer),
                          card=FAILS_LATER if self.random.random() < 0.2 else GOOD)
            self.pending_cards.append((customer, False))
            return
        session = self.shop.session()
        if kind == "card":
            self.shop.pay(session)
        elif kind == "declined":
            self.shop.http.post(f"/_emulator/checkout/sessions/{session}/pay",
                                json={"card": DECLINED})  # refused: the session stays open
            self.shop.expire(session)
        else:
            self.shop.pay_by_bank(session, succeeds=kind == "bank_ok")  # settles in 2 s

    def subscribe_saved(self, http: httpx.Client) -> None:
        """A merchant subscription for each customer whose card the service has saved."""
        waiting = []
        for customer, _ in self.pending_cards:
            try:
                cards = http.get(f"/customers/{customer}/payment-methods")
                if cards.status_code != 200 or not cards.json()["payment_methods"]:
                    waiting.append((customer, False))
                    continue
                started = http.post(f"/customers/{customer}/subscriptions", json={
                    "amount": 1500, "currency": "usd", "interval": "month"})
            except httpx.HTTPError:
                waiting.append((customer, False))
                continue
            if started.status_code == 201:
                self.subscriptions.append(started.json()["id"])
            elif started.status_code >= 500:
                waiting.append((customer, False))
        self.pending_cards = waiting

    def forward_events(self) -> None:
        """Hand the load the events Stripe made since the last call, oldest first (reads
        ``/v1/events``, newest first, only down to the first event already seen)."""
        fresh: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": 100}
        while True:
            page = self.shop.http.get("/v1/events", params=params,
                                      headers={"Authorization": f"Bearer {API_KEY}"}).json()
            new = [e for e in page["data"] if e["id"] not in self.seen]
            fresh.extend(new)
            if len(new) < len(page["data"]) or not page["has_more"]:
                break
            params["starting_after"] = page["data"][-1]["id"]
        self.seen.update(e["id"] for e in fresh)
        self.load.add(reversed(fresh))


def paid_sessions(events: list[dict[str, Any]]) -> set[str]:
    paid = set()
    for event in events:
        obj = event["data"]["object"]
        if obj.get("mode") != "payment":
            continue
        if event["type"] == "checkout.session.async_payment_succeeded" or (
                event["type"] == "checkout.session.completed" and obj["payment_status"] == "paid"):
            paid.add(obj["id"])
    return paid


def fault(fleet: Fleet, cluster: PostgresCluster, turn: int, chaos: random.Random) -> str:
    kind = ("web", "worker", "postgres")[turn % 3]
    if kind == "worker":
        holder = fleet.lease_holder()
        if holder in {pid for web in fleet.webs for pid in web.workers()}:
            os.kill(holder, signal.SIGKILL)
            return "kill -9 following worker"
        kind = "web"
    if kind == "web":
        web = fleet.webs[chaos.randrange(len(fleet.webs))]
        web.kill9()
        web.start()
        return "kill -9 web process"
    cluster.pause()
    time.sleep(10)
    cluster.resume()
    return "PostgreSQL stopped 10 s"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM (a CI timeout, kill PID) unwinds like Ctrl-C: every process it started is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = Path(tempfile.mkdtemp(prefix="checkout-ledger-soak-"))  # logs, kept for reading
    log = work / "fulfiller.log"
    started = time.monotonic()
    faults: list[str] = []
    renewals: Counter[str] = Counter()
    peak_connections = 0
    with PostgresCluster() as cluster, \
            EmulatorServer(config=EmulatorConfig(settle_delay_seconds=2.0)) as stripe:
        httpx.post(f"{stripe.url}/_emulator/delivery", json={"drop": True},
                   trust_env=False).raise_for_status()
        env = service_env(cluster.url, STRIPE_API_BASE=stripe.url, TEST_CLOCK="1",
                          RECONCILE_EVERY="off", FULFILLER="tests.support.counting_fulfiller:ship",
                          **{LOG_SETTING: str(log), DELAY_SETTING: "0.005"})
        fleet = Fleet(env, work, cluster.url)
        try:
            fleet.start_web()
            fleet.start_web()
            load = WebhookLoad(lambda: fleet.urls, SECRET, [], threads=6, open_ended=True,
                               give_up_after=600).start()
            staff = httpx.Client(base_url=fleet.urls[0], headers=STAFF, trust_env=False,
                                 timeout=60)
            with Shop(stripe.url) as shop:
                traffic = Traffic(shop, stripe.url, load, fleet.urls[0])
                end = started + args.minutes * 60
                next_fault = started + args.fault_every if args.fault_every else float("inf")
                next_renewal = started + args.renew_every
                turn, chaos = 0, random.Random(3)
                while time.monotonic() < end:
                    tick = time.monotonic()
                    for _ in range(max(1, round(args.rate))):
                        traffic.buy()
                    traffic.forward_events()
                    traffic.subscribe_saved(staff)
                    if time.monotonic() >= next_renewal:
                        moved = staff.post("/support/clock/advance", json={"seconds": MONTH})
                        if moved.status_code == 200:
                            renewals.update(moved.json()["ran"])
                        next_renewal = time.monotonic() + args.renew_every
                    if time.monotonic() >= next_fault:
                        faults.append(fault(fleet, cluster, turn, chaos))
                        turn += 1
                        next_fault = time.monotonic() + args.fault_every
                    peak_connections = max(peak_connections,
                                           sum(connections_by_process(cluster.url).values()))
                    time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
                loop_minutes = (time.monotonic() - started) / 60
                time.sleep(3)  # the last bank debits settle
                httpx.post(f"{stripe.url}/_emulator/flush", json={"timeout": 60},
                           trust_env=False)
                traffic.forward_events()
            load.close()
            report = load.wait(900)
            everything = stripe_events(stripe.url, API_KEY)
            paid = paid_sessions(everything)
            handled = {e["id"] for e in everything if e["type"] in HANDLED}  # others: raw log
            counted = wait_applied(fleet.urls[0], STAFF, report.acknowledged & handled, paid,
                                   timeout=600)
            subs = [staff.get(f"/subscriptions/{s}").json() for s in traffic.subscriptions]
            staff.close()
        finally:
            fleet.stop()

    applied = {e: counted.stripe_events[e] for e in report.acknowledged & handled}
    shipped, called = shipments(log), calls(log)
    checks = {
        "every event acknowledged": report.acknowledged == {e["id"] for e in everything}
        and not report.gave_up,
        "every acknowledged event applied once": all(n == 1 for n in applied.values()),
        "every paid session Fulfilled once": all(counted.fulfilled[s] == 1 for s in paid)
        and set(counted.fulfilled) == paid,
        "every paid session shipped once": all(shipped[s] == 1 for s in paid)
        and set(shipped) == paid,
        "no two workers at once": overlaps(log) == [],
    }
    statuses = Counter(s.get("status") for s in subs)
    figures = {
        "minutes_of_traffic": round(loop_minutes, 1),
        "minutes_in_all": round((time.monotonic() - started) / 60, 1),
        "purchases": dict(traffic.kinds), "stripe_events": len(everything),
        "webhooks": report.figures(), "paid_sessions": len(paid),
        "fulfiller_calls": sum(called.values()),
        "sessions_called_again": sum(1 for n in called.values() if n > 1),
        "merchant_subscriptions": len(traffic.subscriptions),
        "subscription_statuses": dict(statuses), "clock_advances_ran": dict(renewals),
        "faults": dict(Counter(faults)), "peak_connections": peak_connections,
        "ledger_events": counted.events, "logs": str(work), "checks": checks,
    }
    print(json.dumps(figures, indent=1))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
