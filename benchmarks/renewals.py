"""`make bench`, fourth part: a year of monthly renewals on the service's test clock.

It starts the emulator as a process (``python -m emulator``), builds the service's
applications in this process (``api.system.build``, ``TEST_CLOCK=1``, a fresh SQLite file)
and saves a card for each of ``--subscriptions`` customers through setup-mode Checkout (the
cards application does the Stripe side). It starts one monthly subscription per customer
(``Subscriptions.start``: the first period is charged at once), then plays ``--months``
months and a week a day at a time, calling the application directly, not over HTTP:
``Subscriptions.move_clock`` to the next day, ``Subscriptions.run_due`` (renewals,
retries, what the worker's scheduler runs) and ``Services.settle`` (every follower catches
up, as the worker would). Webhook delivery is off: the renewals are off-session charges,
answered in the call.

``--failing`` of the subscriptions (every tenth, by default) start failing after their
first period was paid: before the clock reaches period ``m`` (1 to ``--months``, spread over
the year) the emulator is told to decline the next four charges of that customer (a fault
rule with ``params: {"customer": ...}`` answering Stripe's 402 ``card_error``,
``insufficient_funds``): the renewal and its three retries.

Then it checks the outcome, at the emulator and in the subscriptions' histories:

- a healthy subscription: ``months + 1`` PaymentIntents at the emulator (the first period
  and each renewal), one ``Attempted`` and exactly one ``PeriodPaid`` per period, active and
  entitled;
- a failing one: PaymentIntents only for the periods before ``m``; period ``m`` attempted
  at its start and 1, 3 and 5 days after (the default dunning schedule), four
  ``AttemptFailed``, then ``RetriesExhausted`` and ``unpaid``, nothing recorded about any
  later period, no entitlement; each of its fault rules used exactly four times.

It prints one JSON line: the wall time of the year, renewals (and every charge attempt)
per second, and what the checks found; exit status 1 when a check fails.

    .venv/bin/python benchmarks/renewals.py [--subscriptions 1000] [--months 12] [--failing 0.1]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import stripe

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `benchmarks` and `api` importable

from adapters.stripe_webhook import translate  # noqa: E402
from api.settings import Settings  # noqa: E402
from api.system import Services, build  # noqa: E402
from benchmarks.fulfillment_lag import process  # noqa: E402
from benchmarks.lag_load import API_KEY, completed_events  # noqa: E402
from domain.apps.subscriptions import SubscriptionOrder  # noqa: E402
from domain.model.card_setup import card_setup_uuid  # noqa: E402
from domain.model.dunning import DEFAULT_SCHEDULE  # noqa: E402
from domain.model.subscription import Plan, Subscription  # noqa: E402
from emulator.server import free_port  # noqa: E402

DAY = timedelta(days=1)
PLAN = Plan(1500, "usd", "month", 1, "Bench monthly plan")
DECLINE = {"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds",
           "message": "Your card has insufficient funds."}
RETRIES = len(DEFAULT_SCHEDULE)
SUCCESS_URL = "http://127.0.0.1/success?session_id={CHECKOUT_SESSION_ID}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--failing", type=float, default=0.1,
                        help="fraction of the subscriptions whose renewals are declined")
    parser.add_argument("--threads", type=int, default=8,
                        help="threads saving cards and starting the subscriptions")
    parser.add_argument("--store", choices=("sqlite", "memory"), default="sqlite")
    args = parser.parse_args(argv)
    if args.subscriptions < 1 or args.months < 1 or not 0 <= args.failing <= 1:
        parser.error("--subscriptions and --months at least 1, --failing from 0 to 1")
    return args


@contextmanager
def emulator() -> Iterator[str]:
    """The emulator as its own process, webhook delivery off; its base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with process([sys.executable, "-m", "emulator", "--port", str(port)], {},
                 f"{url}/_emulator/health", "emulator"):
        httpx.post(f"{url}/_emulator/delivery", json={"drop": True},
                   trust_env=False).raise_for_status()
        yield url


def save_cards(services: Services, url: str, count: int, threads: int) -> list[str]:
    """``count`` customers with a saved card: setup-mode sessions paid at the emulator (in
    ``threads``), their ``checkout.session.completed`` events recorded as the webhook
    records them, and the followers settled (the cards application asks Stripe for each
    card). Answers the customers, in the order of their sessions."""
    sdk = stripe.StripeClient(API_KEY, base_addresses={"api": url})
    with httpx.Client(base_url=url, trust_env=False, timeout=30) as control:
        def one(n: int) -> str:
            session = sdk.v1.checkout.sessions.create(params={  # type: ignore[arg-type]
                "mode": "setup", "currency": "usd", "success_url": SUCCESS_URL,
                "payment_method_types": ["card"], "customer_email": f"renew{n}@example.com"})
            control.post(f"/_emulator/checkout/sessions/{session.id}/pay",
                         json={"card": "4242424242424242"}).raise_for_status()
            return str(session.id)

        with ThreadPoolExecutor(threads) as pool:
            sessions = list(pool.map(one, range(count)))
    events = completed_events(url)
    for start in range(0, len(events), 500):
        services.inbox.record([translate(e, json.dumps(e)) for e in events[start:start + 500]])
    services.settle(rounds=200)
    customers = []
    for session_id in sessions:
        setup = services.cards.current(card_setup_uuid(session_id))
        saved = getattr(setup, "saved", None)
        if saved is None:
            raise RuntimeError(f"no card saved from {session_id}: {getattr(setup, 'error', '')}")
        customers.append(saved.customer)
    return customers


def failing_plan(customers: list[str], fraction: float, months: int) -> dict[str, int]:
    """Customer -> the period from which their charges are declined (every k-th customer;
    periods 1 to ``months`` in turn)."""
    count = round(len(customers) * fraction)
    if not count:
        return {}
    step = len(customers) / count
    chosen = [customers[int(i * step)] for i in range(count)]
    return {c: 1 + i % months for i, c in enumerate(chosen)}


def decline(control: httpx.Client, customer: str) -> str:
    """Arm the emulator: the customer's next 1 + RETRIES charges are declined; the rule id."""
    answer = control.post("/_emulator/faults", json={
        "method": "POST", "path": "/v1/payment_intents", "fault": "error", "status": 402,
        "error": DECLINE, "params": {"customer": customer}, "count": 1 + RETRIES})
    answer.raise_for_status()
    return str(answer.json()["id"])


def play_year(services: Services, control: httpx.Client, anchor: datetime, months: int,
              failing: dict[str, int]) -> dict[str, Any]:
    """Move the clock a day at a time from ``anchor`` to a week past the start of period
    ``months``, running what is due and settling the followers after each move; arm each
    failing customer's declines before the start of their period. Its figures."""
    subs = services.subscriptions
    boundary = {m: PLAN.every.boundary(anchor, m) for m in range(months + 2)}
    end = boundary[months] + timedelta(seconds=max(DEFAULT_SCHEDULE)) + 2 * DAY
    by_period: dict[int, list[str]] = {}
    for customer, period in failing.items():
        by_period.setdefault(period, []).append(customer)
    rules: dict[str, str] = {}
    armed = set()
    ran: Counter[str] = Counter()
    run_s = settle_s = 0.0
    days = 0
    began = time.perf_counter()
    now = anchor
    while now < end:
        now += DAY
        for period in [m for m in by_period if m not in armed and boundary[m] <= now]:
            armed.add(period)
            rules.update({decline(control, c): c for c in by_period[period]})
        t0 = time.perf_counter()
        subs.move_clock(now, "bench")
        ran.update(subs.run_due(now))
        t1 = time.perf_counter()
        services.settle(rounds=200)
        run_s += t1 - t0
        settle_s += time.perf_counter() - t1
        days += 1
    return {"seconds": time.perf_counter() - began, "run_due_s": run_s, "settle_s": settle_s,
            "days": days, "ran": dict(ran), "rules": rules, "boundary": boundary, "now": now}


def check(services: Services, control: httpx.Client, url: str, started: dict[str, str],
          failing: dict[str, int], played: dict[str, Any], months: int) -> list[str]:
    """Everything the run should have left; one line per problem (none: all held)."""
    problems: list[str] = []
    boundary: dict[int, datetime] = played["boundary"]
    grace = services.settings.grace_period
    with httpx.Client(base_url=url, trust_env=False, timeout=30,
                      headers={"Authorization": f"Bearer {API_KEY}"}) as api:
        for customer, sub_id in started.items():
            listed = api.get("/v1/payment_intents", params={"customer": customer, "limit": 100})
            listed.raise_for_status()
            intents = listed.json()["data"]
            m = failing.get(customer)
            expected = months + 1 if m is None else m
            if len(intents) != expected or any(i["status"] != "succeeded" for i in intents):
                problems.append(f"{customer}: {len(intents)} PaymentIntents "
                                f"({sorted({i['status'] for i in intents})}), expected "
                                f"{expected} succeeded")
            problems += _history_problems(services, sub_id, m, months, boundary)
            entitled = [e.source for e in services.customers.entitlements(
                customer, played["now"], grace)]
            if entitled != ([sub_id] if m is None else []):
                problems.append(f"{customer}: entitled to {entitled}")
    faults = control.get("/_emulator/faults").json()
    used = Counter(i["rule"] for i in faults["injected"])
    if faults["faults"]:
        problems.append(f"{len(faults['faults'])} decline rules not used up")
    for rule, customer in played["rules"].items():
        if used[rule] != 1 + RETRIES:
            problems.append(f"{customer}: declined {used[rule]} times, expected {1 + RETRIES}")
    if set(played["rules"].values()) != set(failing):
        problems.append("not every failing customer had its declines armed")
    return problems


def _history_problems(services: Services, sub_id: str, failing_from: int | None, months: int,
                      boundary: dict[int, datetime]) -> list[str]:
    history = services.subscriptions.history(sub_id)
    sub = services.subscriptions.subscription(sub_id)
    paid = [e.period for e in history if isinstance(e, Subscription.PeriodPaid)]
    attempted = [(e.period, e.attempt, e.due_at) for e in history
                 if isinstance(e, Subscription.Attempted)]
    failed = [(e.period, e.attempt) for e in history if isinstance(e, Subscription.AttemptFailed)]
    exhausted = [e.final_status for e in history if isinstance(e, Subscription.RetriesExhausted)]
    problems = []
    if failing_from is None:
        if paid != list(range(months + 1)):
            problems.append(f"{sub_id}: periods paid {paid}, expected 0..{months} once each")
        if attempted != [(p, 0, boundary[p]) for p in range(months + 1)] or failed:
            problems.append(f"{sub_id}: attempts {[(p, a) for p, a, _ in attempted]}, "
                            f"failures {failed}")
        if sub.status != "active":
            problems.append(f"{sub_id}: {sub.status}, expected active")
        return problems
    m = failing_from
    start = boundary[m]
    schedule = [start] + [start + timedelta(seconds=s) for s in DEFAULT_SCHEDULE]
    if paid != list(range(m)):
        problems.append(f"{sub_id}: periods paid {paid}, expected 0..{m - 1}")
    if attempted != [(p, 0, boundary[p]) for p in range(m)] + [
            (m, a, at) for a, at in enumerate(schedule)]:
        problems.append(f"{sub_id}: attempts {[(p, a, at.isoformat()) for p, a, at in attempted]}"
                        f", expected period {m} at {[s.isoformat() for s in schedule]}")
    if failed != [(m, a) for a in range(1 + RETRIES)] or exhausted != ["unpaid"]:
        problems.append(f"{sub_id}: failures {failed}, then {exhausted}")
    if sub.status != "unpaid" or sub.period != m:
        problems.append(f"{sub_id}: {sub.status} in period {sub.period}, expected unpaid in {m}")
    return problems


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Each decline emails the customer a recovery link: with no SMTP_URL, a log line each.
    logging.getLogger("adapters.notifiers").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="bench-renewals-") as tmp, emulator() as url, \
            httpx.Client(base_url=url, trust_env=False, timeout=30) as control:
        database = "memory://" if args.store == "memory" else f"sqlite:///{tmp}/l.sqlite3"
        services = build(Settings.from_env({
            "DATABASE_URL": database, "STRIPE_API_KEY": API_KEY, "STRIPE_API_BASE": url,
            "STRIPE_WEBHOOK_SECRET": "whsec_bench", "TEST_CLOCK": "1"}))
        try:
            began = time.perf_counter()
            customers = save_cards(services, url, args.subscriptions, args.threads)
            cards_s = time.perf_counter() - began

            began = time.perf_counter()
            services.subscriptions.clock_now()  # the test clock stops here: one anchor for all
            with ThreadPoolExecutor(args.threads) as pool:
                subs = list(pool.map(lambda c: services.subscriptions.start(
                    SubscriptionOrder(c, PLAN), "bench"), customers))
            services.settle(rounds=200)
            start_s = time.perf_counter() - began
            started = {s.customer: s.subscription_id for s in subs}
            anchors = {s.anchor for s in subs}
            assert len(anchors) == 1, anchors
            anchor = anchors.pop()
            assert anchor is not None

            failing = failing_plan(customers, args.failing, args.months)
            played = play_year(services, control, anchor, args.months, failing)
            began = time.perf_counter()
            problems = check(services, control, url, started, failing, played, args.months)
            check_s = time.perf_counter() - began
        finally:
            services.stop()
    ran = played["ran"]
    renewals = ran.get("renew", 0)
    attempts = renewals + ran.get("retry", 0)
    row = {
        "bench": "renewals", "store": args.store, "subscriptions": args.subscriptions,
        "months": args.months, "failing": len(failing), "days_played": played["days"],
        "renewals": renewals, "retries": ran.get("retry", 0),
        "ran": {k: v for k, v in sorted(ran.items())},
        "year_s": round(played["seconds"], 1),
        "renewals_per_s": round(renewals / played["seconds"], 1),
        "charge_attempts_per_s": round(attempts / played["seconds"], 1),
        "ms_per_renewal": round(played["seconds"] * 1000 / max(renewals, 1), 2),
        "run_due_s": round(played["run_due_s"], 1), "settle_s": round(played["settle_s"], 1),
        "cards_s": round(cards_s, 1), "start_s": round(start_s, 1), "check_s": round(check_s, 1),
        "checks": "ok" if not problems else f"{len(problems)} problems",
        "problems": problems[:10],
        "cpus": os.cpu_count(), "loadavg_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(row))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
