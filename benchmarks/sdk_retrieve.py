"""`make bench`, eighth part: CPU the Stripe SDK spends per fulfillment retrieve.

It starts the emulator (``python -m emulator``), buys ``--sessions`` paid Checkout Sessions
(most with one line item, some with 3, one in ten with 12 so that ``line_items`` is paginated
past its expanded first page of 10), then retrieves each of them the way fulfillment does, with
each path below, in alternating rounds after a warm-up:

- **objects**: the first ``StripeGateway.retrieve_checkout``: the SDK's resource services
  over its ``HTTPXClient``, every answer built into ``StripeObject``s, then ``to_dict()``;
- **httpx**: the next one: plain dicts through ``raw_request``, over the SDK's ``HTTPXClient``;
- **gateway**: ``StripeGateway.retrieve_checkout`` as it is now: plain dicts, over the SDK's
  ``PycurlClient`` with a handle per thread (``adapters/stripe_http.py``).

CPU is ``time.process_time()`` of this process only (the emulator runs in its own), over all
the sessions of a round; the figure per path is the median round. Every path must answer the
same ``CheckoutSnapshot`` for every session, or the bench fails. Prints one JSON line and the
ratios to the gateway. ``--explore`` adds the variants measured to choose the gateway's path: the
SDK's telemetry header off (``stripe.enable_telemetry``), and the SDK's ``RequestsClient`` and
``UrllibClient``. ``UrllibClient`` opens a connection per request: cheap over the emulator's
plain HTTP, a TLS handshake per call at Stripe.

    .venv/bin/python benchmarks/sdk_retrieve.py [--sessions 500] [--rounds 5] [--explore]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import stripe

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `benchmarks` and `adapters` importable

from adapters.stripe_gateway import StripeGateway, _line_item  # noqa: E402
from adapters.stripe_objects import session_facts  # noqa: E402
from benchmarks.renewals import emulator  # noqa: E402
from domain.ports import CheckoutSnapshot  # noqa: E402

API_KEY = "sk_test_bench_sdk_retrieve"
SIZES = (1,) * 6 + (3,) * 3 + (12,)  # line items per session, in turn
Retrieve = Callable[[str], CheckoutSnapshot]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5, help="rounds per path, alternating")
    parser.add_argument("--warmup", type=int, default=50, help="retrieves per path first")
    parser.add_argument("--explore", action="store_true", help="measure more variants")
    return parser.parse_args(argv)


def buy(url: str, count: int) -> list[str]:
    """``count`` paid sessions of SIZES line items in turn; their ids."""
    sdk = stripe.StripeClient(API_KEY, base_addresses={"api": url})
    prices = [sdk.v1.prices.create(params={
        "currency": "usd", "unit_amount": 500 + n, "product_data": {"name": f"Sticker {n}"}}).id
        for n in range(max(SIZES))]

    def one(n: int) -> str:
        size = SIZES[n % len(SIZES)]
        session = sdk.v1.checkout.sessions.create(params={
            "mode": "payment", "customer_email": f"buyer{n}@example.com",
            "metadata": {"order": str(n), "_type_": "merchant-set"},
            "line_items": [{"price": p, "quantity": 1 + i % 3}
                           for i, p in enumerate(prices[:size])],
            "success_url": "http://127.0.0.1/success?session_id={CHECKOUT_SESSION_ID}"})
        httpx.post(f"{url}/_emulator/checkout/sessions/{session.id}/pay",
                   json={"card": "4242424242424242"}, trust_env=False).raise_for_status()
        return str(session.id)

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(count)))


def objects_path(client: stripe.StripeClient) -> Retrieve:
    """The former gateway path: resource services and StripeObjects (errors not mapped)."""
    def retrieve(session_id: str) -> CheckoutSnapshot:
        session = client.v1.checkout.sessions.retrieve(
            session_id, params={"expand": ["line_items"]})
        data = session.to_dict()
        page = session.line_items
        if page is not None and page.has_more:
            items = [i.to_dict() for i in client.v1.checkout.sessions.line_items
                     .list(session_id, params={"limit": 100}).auto_paging_iter()]
        else:
            items = [i.to_dict() for i in (page.data if page else [])]
        return CheckoutSnapshot(facts=session_facts(data),
                                line_items=tuple(_line_item(i) for i in items))
    return retrieve


def with_client(url: str, http_client: stripe.HTTPClient) -> StripeGateway:
    """The gateway on another of the SDK's HTTP clients."""
    gateway = StripeGateway(API_KEY, url)
    gateway.client = stripe.StripeClient(API_KEY, base_addresses={"api": url},
                                         max_network_retries=2, http_client=http_client)
    return gateway


def without_telemetry(run: Retrieve) -> Retrieve:
    """``run`` with the SDK's telemetry header off (a module-wide setting)."""
    def retrieve(session_id: str) -> CheckoutSnapshot:
        stripe.enable_telemetry = False
        try:
            return run(session_id)
        finally:
            stripe.enable_telemetry = True
    return retrieve


def paths(url: str, explore: bool) -> dict[str, Retrieve]:
    """The paths to measure, by name."""
    gateway = StripeGateway(API_KEY, url)
    before = with_client(url, stripe.HTTPXClient(allow_sync_methods=True, timeout=10))
    chosen: dict[str, Retrieve] = {
        "objects": objects_path(before.client),
        "httpx": before.retrieve_checkout,
        "gateway": gateway.retrieve_checkout,
    }
    if explore:
        chosen["gateway_no_telemetry"] = without_telemetry(gateway.retrieve_checkout)
        chosen["gateway_requests"] = with_client(url, stripe.RequestsClient(timeout=10)).retrieve_checkout
        chosen["gateway_urllib"] = with_client(url, stripe.UrllibClient()).retrieve_checkout
        chosen["objects_no_telemetry"] = without_telemetry(objects_path(before.client))
    return chosen


def measure(run: Retrieve, ids: list[str]) -> tuple[float, float]:
    """(CPU ms, wall ms) per retrieve over ``ids``."""
    cpu, wall = time.process_time(), time.perf_counter()
    for session_id in ids:
        run(session_id)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return cpu * 1000 / len(ids), wall * 1000 / len(ids)


def check_same(chosen: dict[str, Retrieve], ids: list[str]) -> None:
    """Every path answers the same snapshot for every session."""
    for session_id in ids:
        answers = {name: run(session_id) for name, run in chosen.items()}
        first = answers["objects"]
        for name, answer in answers.items():
            if answer != first:
                raise SystemExit(f"{name} differs on {session_id}: {answer} != {first}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with emulator() as url:
        ids = buy(url, args.sessions)
        chosen = paths(url, args.explore)
        check_same(chosen, ids)
        for run in chosen.values():
            for session_id in ids[:args.warmup]:
                run(session_id)
        load_before = os.getloadavg()[0]
        rounds: dict[str, list[tuple[float, float]]] = {name: [] for name in chosen}
        for _ in range(args.rounds):
            for name, run in chosen.items():
                rounds[name].append(measure(run, ids))
        load_after = os.getloadavg()[0]
    result: dict[str, Any] = {"sessions": len(ids), "rounds": args.rounds,
                              "load_average": [round(load_before, 2), round(load_after, 2)]}
    for name, figures in rounds.items():
        result[name] = {"cpu_ms": round(statistics.median(f[0] for f in figures), 3),
                        "wall_ms": round(statistics.median(f[1] for f in figures), 3)}
    gateway_cpu = result["gateway"]["cpu_ms"]
    result["cpu_ratio"] = round(result["objects"]["cpu_ms"] / gateway_cpu, 2)
    result["httpx_cpu_ratio"] = round(result["httpx"]["cpu_ms"] / gateway_cpu, 2)
    print(json.dumps(result))
    for name in chosen:
        print(f"{name:>20}: {result[name]['cpu_ms']:.3f} ms CPU, "
              f"{result[name]['wall_ms']:.3f} ms wall per retrieve")
    print(f"objects / gateway CPU: {result['cpu_ratio']}x; "
          f"httpx / gateway CPU: {result['httpx_cpu_ratio']}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
