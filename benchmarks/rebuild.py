"""`make bench`, sixth part: ``checkout-ledger rebuild-projections`` over ~100,000 events.

It seeds a store (a fresh SQLite file; a throwaway PostgreSQL cluster) with a realistic mix,
written through the applications themselves in this process (``api.system.build`` with an
in-memory Stripe, :class:`tests.support.fake_stripe.FakeStripeGateway`; no HTTP), in rounds
until the store holds ``--events`` events (every application's log counted):

- Checkout sessions as ``benchmarks/load/gen_events.py`` makes them (paid, delayed payments
  that succeed or fail, expired, setup mode saving a card), recorded in the Inbox as the
  webhook records them (``adapters.stripe_webhook.translate``), then followed and fulfilled
  (``services.settle()``);
- off-session charges of some of the saved cards (about one in five declined);
- a few Stripe subscriptions (``customer.subscription.created``, then monthly
  ``invoice.paid``, now and then an ``invoice.payment_failed`` first).

Then, on that store, in the same process and one after the other:

- **read**: every upstream log the projections follow (Support, Customers, Directory; the
  same pipeline edges and topic filters as the rebuild), page by page
  (``recorder.select_notifications``), each event decoded (``mapper.to_domain_event``):
  what any rebuild must at least do. Run before and after the rebuild; the faster counts.
- **rebuild**: :func:`api.rebuild.rebuild` of each projection (in memory, with a progress
  callback), then :func:`api.rebuild.compare` with the live one, as the command does.

It prints one JSON line per store: the events read, events/s of each and the ratio, in wall
clock time and in this process's CPU time (the steadier figure on a shared machine).
Targets (the support issue): the rebuild at least 10,000 events/s, and at least half the
speed of reading and decoding the same events.

``--profile`` also runs one rebuild under cProfile and prints its top functions.

    .venv/bin/python benchmarks/rebuild.py [--events 100000] [--stores sqlite,postgres]
        [--round 2000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import os
import pstats
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `benchmarks`, `api` and `tests` importable
sys.path.insert(0, str(ROOT / "benchmarks" / "load"))

import gen_events  # noqa: E402

from adapters.runner import _topics  # noqa: E402
from adapters.stripe_objects import session_facts  # noqa: E402
from adapters.stripe_webhook import translate  # noqa: E402
from api.rebuild import PROJECTIONS, compare, rebuild  # noqa: E402
from api.settings import Settings  # noqa: E402
from api.system import Seams, Services, build  # noqa: E402
from benchmarks import options  # noqa: E402
from benchmarks.fulfillment_lag import database  # noqa: E402
from domain.apps.charges import ChargeOrder  # noqa: E402
from domain.apps.pipeline import PIPELINE  # noqa: E402
from domain.model.facts import LineItem  # noqa: E402
from tests.support.billing import invoice_event, subscription_event  # noqa: E402
from tests.support.fake_stripe import FakeStripeGateway  # noqa: E402

STORES = ("sqlite", "postgres")
TARGET_EVENTS_PER_S = 10_000
TARGET_RATIO = 0.5
PAGE = 1000  # notifications per page when reading (the rebuild's batch)
MIX = "paid=40,async_ok=12,async_fail=8,expired=15,setup=25"
DECLINING = "pm_card_chargeDeclinedInsufficientFunds"
DAY = 86_400


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000,
                        help="seed until the store holds this many events (all logs)")
    parser.add_argument("--stores", default=",".join(STORES), help="sqlite,postgres")
    parser.add_argument("--round", type=int, default=2000, help="sessions per seeding round")
    parser.add_argument("--profile", action="store_true",
                        help="also profile one rebuild (cProfile, top functions)")
    parser.add_argument("--measure", metavar="DATABASE_URL",
                        help="only measure, on this seeded store (what each run does in a "
                             "fresh process)")
    args = parser.parse_args(argv)
    args.stores = options.stores(parser, args.stores, STORES)
    return args


# Seeding ----------------------------------------------------------------------------------


def bench_services(database_url: str, stripe: FakeStripeGateway, *, create: bool = True
                   ) -> Services:
    """The service's applications on ``database_url``, Stripe in memory."""
    return build(Settings.from_env({
        "DATABASE_URL": database_url, "STRIPE_API_KEY": "sk_test_bench_rebuild",
        "STRIPE_WEBHOOK_SECRET": "whsec_bench", "CREATE_TABLE": "y" if create else "n"}),
        seams=Seams(stripe=stripe))


def store_events(services: Services) -> int:
    """Every event in the store: the sum of every application's log."""
    apps = {f.upstream.name: f.upstream for f in services.followers}
    apps |= {f.processor.name: f.processor for f in services.followers}
    apps[services.payment_links.name] = services.payment_links
    return sum(app.recorder.max_notification_id() or 0 for app in apps.values())


class Seeder:
    """Writes rounds of a realistic mix through the applications (see the module docstring)."""

    def __init__(self, services: Services, stripe: FakeStripeGateway, seed: int = 1) -> None:
        self.services, self.stripe = services, stripe
        self.rng = random.Random(seed)
        self.t = 1_735_689_600  # 2025-01-01: the sessions' Stripe times move on from here
        self.customers: list[str] = []  # with a saved card
        self.sessions: list[str] = []
        self.subscriptions: list[tuple[str, str, int]] = []  # (sub, customer, months paid)
        self.counts: dict[str, int] = {}

    def round(self, sessions: int) -> None:
        """``sessions`` sessions, their charges and subscriptions' next month."""
        first, later = [], []
        names, weights = zip(*gen_events.parse_mix(MIX).items(), strict=True)
        for _ in range(sessions):
            scenario = self.rng.choices(names, weights)[0]
            self._count(scenario)
            events = gen_events.session_events(self.rng, scenario, self.t, gen_events.API_VERSION)
            self.t += 30
            self._arrange(scenario, events)
            self.sessions.append(events[0]["data"]["object"]["id"])
            first.append(events[0])
            later += events[1:]
        self._record(first)
        for event in later:  # Stripe's view moves on before the delayed outcome is sent
            obj = event["data"]["object"]
            if obj["payment_status"] == "paid":
                self.stripe.update_session(obj["id"], payment_status="paid")
        self._record(later)
        self._charges()
        self._subscriptions(max(1, sessions // 100))

    def _count(self, kind: str, n: int = 1) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + n

    def _arrange(self, scenario: str, events: list[dict[str, Any]]) -> None:
        """Make the in-memory Stripe know the session as Stripe would."""
        obj = events[0]["data"]["object"]
        if scenario == "setup":
            card = DECLINING if self.rng.random() < 0.2 else "pm_card_visa"
            session_id = self.stripe.add_setup_session(card, email=obj["customer_email"])
            for event in events:
                event["data"]["object"].update(id=session_id, customer=None)
        elif scenario != "expired":
            amount, currency = obj["amount_total"], obj["currency"]
            items = [LineItem(f"price_{amount}", 1, f"Bench item {amount}", amount, currency)]
            self.stripe.add_session(session_facts(obj), items)

    def _record(self, events: list[dict[str, Any]]) -> None:
        for start in range(0, len(events), 500):
            self.services.inbox.record([translate(e, json.dumps(e))
                                        for e in events[start:start + 500]])
        self.services.settle(rounds=200)

    def _charges(self) -> None:
        """Saved cards made this round; charge about half of them once."""
        known = set(self.customers)
        new = sorted({c for c in self.stripe.customers if c not in known})
        self.customers += new
        charges = self.services.charges
        for customer in new:
            if self.rng.random() < 0.5:
                charge = charges.charge(ChargeOrder(customer, self.rng.choice([900, 1500, 4900]),
                                                    "usd", description="Bench top-up"), "bench")
                self._count(f"charge_{charge.status}")
        self.services.settle(rounds=200)

    def _subscriptions(self, new: int) -> None:
        """``new`` subscriptions start; every one so far is paid for another month (one in
        ten after a failed attempt)."""
        events = []
        for _ in range(min(new, len(self.customers))):
            sub = f"sub_bench_{len(self.subscriptions):06d}"
            customer = self.rng.choice(self.customers)
            self.subscriptions.append((sub, customer, 0))
            events.append(subscription_event("customer.subscription.created", sub,
                                             created=self.t, customer=customer))
            self._count("subscription")
        for i, (sub, customer, months) in enumerate(self.subscriptions):
            start = self.t + months * 30 * DAY
            if self.rng.random() < 0.1:
                events.append(invoice_event("invoice.payment_failed", sub, created=start,
                                            customer=customer))
                self._count("invoice_failed")
            events.append(invoice_event("invoice.paid", sub, created=start + DAY,
                                        customer=customer))
            self.subscriptions[i] = (sub, customer, months + 1)
            self._count("invoice_paid")
        self._record(events)


def seed(services: Services, stripe: FakeStripeGateway, events: int, round_size: int,
         min_rounds: int = 1) -> tuple[Seeder, dict[str, Any]]:
    """Rounds of ``round_size`` sessions until the store holds ``events`` events (and at
    least ``min_rounds`` rounds); the seeder (what it made) and the seeding's figures."""
    began = time.perf_counter()
    seeder = Seeder(services, stripe)
    rounds = 0
    while (total := store_events(services)) < events or rounds < min_rounds:
        seeder.round(round_size)
        rounds += 1
        print(f"   seeded {total} -> {store_events(services)} events "
              f"({time.perf_counter() - began:.0f} s)", file=sys.stderr, flush=True)
    return seeder, {"store_events": store_events(services), "mix": seeder.counts,
                    "seed_s": round(time.perf_counter() - began, 1)}


# Measuring --------------------------------------------------------------------------------


def edges(services: Services) -> list[tuple[Any, tuple[str, ...]]]:
    """(upstream application, topics read) of every pipeline edge into a projection."""
    live = {f.upstream.name: f.upstream for f in services.followers}
    return [(live[up.name], _topics(processor.interests))
            for projection in PROJECTIONS
            for up, processor in PIPELINE if processor is projection]


def read_and_decode(services: Services) -> int:
    """Read every upstream log the rebuild reads, with its topics, a page at a time, and
    decode each event; how many were read."""
    count = 0
    for upstream, topics in edges(services):
        recorder, mapper = upstream.recorder, upstream.mapper
        start = 0
        while True:
            page = recorder.select_notifications(start=start, limit=PAGE, topics=topics,
                                                 inclusive_of_start=False)
            if not page:
                break
            for notification in page:
                mapper.to_domain_event(notification)
            count += len(page)
            start = page[-1].id
    return count


def now() -> tuple[float, float]:
    """(wall seconds, this process's CPU seconds): on a shared machine the CPU time is the
    steadier figure (on PostgreSQL it leaves out the server's)."""
    return time.perf_counter(), time.process_time()


def since(began: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = now()
    return wall - began[0], cpu - began[1]


def rebuild_and_compare(services: Services) -> dict[str, Any]:
    """What ``rebuild-projections`` does, each phase timed (wall, CPU); the differences."""
    rebuild_s, compare_s = [0.0, 0.0], [0.0, 0.0]
    differences = 0
    covered: dict[str, int] = {}
    for projection in PROJECTIONS:
        began = now()
        fresh = rebuild(services, projection,
                        lambda name, done, total: covered.__setitem__(name, total))
        built, spent = now(), since(began)
        live = next(v for v in vars(services).values() if type(v) is projection)
        differences += len(compare(live, fresh))
        compared = since(built)
        for i in (0, 1):
            rebuild_s[i] += spent[i]
            compare_s[i] += compared[i]
        fresh.close()
    return {"rebuild_s": rebuild_s, "compare_s": compare_s, "differences": differences,
            "upstream_positions": sum(covered.values())}


def timed_read(services: Services) -> tuple[int, tuple[float, float]]:
    began = now()
    count = read_and_decode(services)
    return count, since(began)


def measure(services: Services, profile: bool) -> dict[str, Any]:
    read_and_decode(services)  # warm: the OS's file cache, the mapper's topic cache
    read, first = timed_read(services)
    load_before = os.getloadavg()[0]
    built = rebuild_and_compare(services)
    _, second = timed_read(services)
    row: dict[str, Any] = {"events_read": read, "upstream_positions": built["upstream_positions"]}
    for i, kind in ((0, "wall"), (1, "cpu")):
        suffix = "" if kind == "wall" else "_cpu"
        read_s = min(first[i], second[i])  # the faster of the two reads
        rebuild_s, compare_s = built["rebuild_s"][i], built["compare_s"][i]
        row.update({
            f"read_decode{suffix}_s": round(read_s, 3),
            f"read_decode{suffix}_events_per_s": round(read / read_s),
            f"rebuild{suffix}_s": round(rebuild_s, 3),
            f"rebuild{suffix}_events_per_s": round(read / rebuild_s),
            f"compare{suffix}_s": round(compare_s, 3),
            f"rebuild_and_compare{suffix}_events_per_s": round(read / (rebuild_s + compare_s)),
            f"ratio{suffix}_rebuild_to_read": round(read_s / rebuild_s, 2),
            f"ratio{suffix}_rebuild_and_compare_to_read": round(read_s / (rebuild_s + compare_s),
                                                                2),
        })
    row["differences"] = built["differences"]
    row["loadavg_1m"] = round((load_before + os.getloadavg()[0]) / 2, 2)
    row["target_met"] = (row["rebuild_events_per_s"] >= TARGET_EVENTS_PER_S
                         and row["ratio_rebuild_to_read"] >= TARGET_RATIO
                         and built["differences"] == 0)
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        rebuild_and_compare(services)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
        print(out.getvalue(), file=sys.stderr)
    return row


def run_store(store: str, args: argparse.Namespace) -> dict[str, Any]:
    with database(store) as (database_url, _):
        stripe = FakeStripeGateway()
        services = bench_services(database_url, stripe)
        try:
            _, seeded_with = seed(services, stripe, args.events, args.round)
        finally:
            services.stop()
        # Measured in a fresh process, as the command runs: nothing cached, and no heap of
        # seeding leftovers for the garbage collector to walk.
        measured = subprocess.run(
            [sys.executable, __file__, "--measure", database_url,
             *(["--profile"] if args.profile else [])],
            stdout=subprocess.PIPE, text=True, check=True)
        figures = json.loads(measured.stdout.splitlines()[-1])
    return {"bench": "rebuild", "store": store, **seeded_with, **figures,
            "target_events_per_s": TARGET_EVENTS_PER_S, "target_ratio": TARGET_RATIO,
            "cpus": os.cpu_count()}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.getLogger("adapters.notifiers").setLevel(logging.ERROR)
    logging.getLogger("domain").setLevel(logging.ERROR)
    if args.measure:
        services = bench_services(args.measure, FakeStripeGateway(), create=False)
        try:
            print(json.dumps(measure(services, args.profile)), flush=True)
        finally:
            services.stop()
        return 0
    rows = []
    for store in args.stores:
        print(f"-- rebuild / {store}", file=sys.stderr, flush=True)
        row = run_store(store, args)
        print(json.dumps(row), flush=True)
        rows.append(row)
    print()
    for row in rows:
        print(f"{row['store']}: rebuild of {row['events_read']} events "
              f"({row['store_events']} in the store) {row['rebuild_events_per_s']}/s, "
              f"reading and decoding them {row['read_decode_events_per_s']}/s "
              f"(ratio {row['ratio_rebuild_to_read']}; in CPU time "
              f"{row['rebuild_cpu_events_per_s']}/s vs {row['read_decode_cpu_events_per_s']}/s, "
              f"ratio {row['ratio_cpu_rebuild_to_read']}); with the comparison "
              f"{row['rebuild_and_compare_events_per_s']}/s; {row['differences']} differences; "
              f"targets >= {TARGET_EVENTS_PER_S}/s and >= {TARGET_RATIO}x: "
              f"{'met' if row['target_met'] else 'NOT met'} (load {row['loadavg_1m']})")
    return 0 if all(row["differences"] == 0 for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
