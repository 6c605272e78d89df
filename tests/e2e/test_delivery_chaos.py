"""Stripe delivers badly, and the ledger ends as if it had delivered well.

One Stripe world (the emulator): card payments, bank debits that settle or fail, expired
sessions, saved cards, subscriptions renewed (and one declined) on a test clock. Two services on
PostgreSQL watch it:

- **chaos** is the emulator's webhook endpoint, and the emulator delivers every event twice,
  holds the first half and then releases each session's newest first, delivers some late (after
  newer ones) and drops some; then staff run ``POST /support/reconcile``.
- **clean** receives every event exactly once, oldest first, and nothing else.

Every session, subscription and customer (cards, subscriptions, entitlements) then reads the
same on both, but for when each service recorded things.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from adapters.stripe_events import HANDLED
from adapters.stripe_gateway import StripeGateway
from emulator.config import EmulatorConfig
from emulator.server import EmulatorServer, free_port
from tests.conftest import STAFF, service_env
from tests.integration.emulator.billing_support import DAY, advance, attach, clock, price, ts
from tests.support.fleet import Fleet, count_ledger, stripe_events, wait_for
from tests.support.purchases import API_KEY, Shop
from tests.support.webhooks import SECRET, sign

START = ts(2027, 3, 1, 12)
CHAOS = {"duplicate": True, "late_share": 0.3, "late_seconds": 1.0, "drop_share": 0.15}
# Recorded by each service on its own clock, or in the order it heard of things: not state.
OWN_CLOCK = {"fulfilled_at", "recorded_at", "linked_at", "as_of"}
# A history is the order in which the service heard of things (the state is the point).
HEARD = {"history"}


@pytest.fixture(scope="module")
def stripe() -> Iterator[EmulatorServer]:
    config = EmulatorConfig(retry_base_seconds=0.1, max_attempts=8, settle_delay_seconds=None)
    with EmulatorServer(config=config) as running:
        yield running


def database(postgres_url: str, name: str) -> str:
    full = f"{name}_{time.time_ns()}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{full}"')
    return postgres_url.rsplit("/", 1)[0] + f"/{full}"


def test_duplicated_reordered_late_and_dropped_deliveries_end_as_a_clean_ordered_one(
    postgres_url: str, stripe: EmulatorServer, tmp_path: Path
) -> None:
    port = free_port()
    secret = StripeGateway(API_KEY, stripe.url).create_webhook_endpoint(
        f"http://127.0.0.1:{port}/webhook")
    chaos_db, clean_db = database(postgres_url, "chaos"), database(postgres_url, "clean")
    common = {"STRIPE_API_BASE": stripe.url, "RECONCILE_EVERY": "off"}
    chaos = Fleet(service_env(chaos_db, STRIPE_WEBHOOK_SECRET=secret, **common),
                  tmp_path, chaos_db)
    clean = Fleet(service_env(clean_db, **common), tmp_path, clean_db)
    try:
        chaos.start_web(port)
        clean.start_web()
        control = httpx.Client(base_url=stripe.url, trust_env=False, timeout=90)
        control.post("/_emulator/delivery",
                     json={**CHAOS, "reverse_order": True}).raise_for_status()
        with Shop(stripe.url) as shop:
            _first_half(shop)
            control.post("/_emulator/delivery", json={"reverse_order": False}).raise_for_status()
            _second_half(shop)
        control.post("/_emulator/flush", json={"timeout": 60}).raise_for_status()
        control.post("/_emulator/delivery", json={"drop_share": 0.0}).raise_for_status()

        with httpx.Client(base_url=chaos.urls[0], headers=STAFF, trust_env=False,
                          timeout=60) as service:
            reconciled = service.post("/support/reconcile", json={"reason": "chaos test"})
        assert reconciled.status_code == 200, reconciled.text
        everything = stripe_events(stripe.url, API_KEY)
        _deliver_in_order(clean.urls[0], everything)
        handled = {e["id"] for e in everything if e["type"] in HANDLED}
        for fleet in (chaos, clean):
            assert wait_for(lambda f=fleet: handled <= set(
                count_ledger(f.urls[0], STAFF).stripe_events), 60, every=1.0)

        objects = _objects(everything)
        differences: dict[str, Any] = {}

        def same() -> bool:
            differences.clear()
            for path in objects:
                mine, theirs = (_state(f.urls[0], path) for f in (chaos, clean))
                if mine != theirs:
                    differences[path] = _diff(mine, theirs)
            return not differences

        assert wait_for(same, 30, every=1.0), json.dumps(differences, indent=1)[:6000]
        deliveries = control.get("/_emulator/deliveries").json()
        control.post("/_emulator/delivery", json={k: 0.0 if isinstance(v, float) else False
                                                  for k, v in CHAOS.items()})
    finally:
        chaos.stop()
        clean.stop()

    attempts = deliveries["deliveries"] if isinstance(deliveries, dict) else deliveries
    print(f"\nchaos delivery: {len(everything)} Stripe events, {len(attempts)} delivery attempts"
          f", reconcile {reconciled.json()}; {len(objects)} objects compared")
    assert reconciled.json()["new"] > 0, "nothing was dropped: the test proved less than it says"


def _first_half(shop: Shop) -> None:
    """Held while ``reverse_order`` is on, then released each session's newest first."""
    for _ in range(6):
        session = shop.session()
        shop.pay(session)
    for outcome in ("bank_debit_succeeds", "bank_debit_fails", "bank_debit_succeeds"):
        session = shop.session()
        shop.http.post(f"/_emulator/checkout/sessions/{session}/pay",
                       json={"method": outcome}).raise_for_status()
        shop.http.post(f"/_emulator/checkout/sessions/{session}/settle").raise_for_status()
    shop.sdk.v1.checkout.sessions.expire(shop.session())


def _second_half(shop: Shop) -> None:
    """Duplicated, late and dropped as they happen: more payments, saved cards, and
    subscriptions renewed (one declined) on a test clock."""
    for _ in range(6):
        shop.pay(shop.session())
    shop.sdk.v1.checkout.sessions.expire(shop.session())
    for _ in range(2):
        shop.pay(shop.setup_session())
    test_clock = clock(shop.sdk, START).id
    plan = price(shop.sdk, 1500)
    for failing in (False, True, False):
        customer = shop.sdk.v1.customers.create(params={
            "email": "ada@example.com", "test_clock": test_clock}).id
        session = shop.sdk.v1.checkout.sessions.create(params={
            "mode": "subscription", "customer": customer,
            "success_url": "http://127.0.0.1/success?session_id={CHECKOUT_SESSION_ID}",
            "line_items": [{"price": plan.id, "quantity": 1}]})
        shop.pay(session.id)
        if failing:
            subscription = shop.sdk.v1.checkout.sessions.retrieve(session.id).subscription
            card = attach(shop.sdk, customer, "pm_card_chargeCustomerFail")
            shop.sdk.v1.subscriptions.update(str(subscription),
                                             params={"default_payment_method": card})
    advance(shop.sdk, test_clock, START + 40 * DAY)


def _deliver_in_order(base_url: str, events: list[dict[str, Any]]) -> None:
    with httpx.Client(base_url=base_url, trust_env=False, timeout=30) as http:
        for event in events:
            payload = json.dumps(event).encode()
            answer = http.post("/webhook", content=payload, headers={
                "Stripe-Signature": sign(payload, SECRET), "Content-Type": "application/json"})
            assert answer.status_code == 200, answer.text


def _objects(events: list[dict[str, Any]]) -> list[str]:
    """The staff routes of every session, subscription and customer the events are about."""
    paths: dict[str, None] = {}
    for event in events:
        obj = event["data"]["object"]
        if event["type"].startswith("checkout.session."):
            paths[f"/sessions/{obj['id']}"] = None
        if event["type"].startswith("customer.subscription."):
            paths[f"/subscriptions/{obj['id']}"] = None
        customer = obj.get("customer")
        if event["type"] in HANDLED and isinstance(customer, str):
            paths[f"/customers/{customer}"] = None
    return list(paths)


def _state(base_url: str, path: str) -> Any:
    answer = httpx.get(f"{base_url}{path}", headers=STAFF, trust_env=False, timeout=30)
    return {"status": answer.status_code, "body": _settled(answer.json())}


def _settled(value: Any) -> Any:
    """The state without what each service recorded on its own clock; lists compared as
    sets (collections filled from several logs have no order of their own)."""
    if isinstance(value, dict):
        return {k: _settled(v) for k, v in value.items() if k not in OWN_CLOCK | HEARD}
    if isinstance(value, list):
        return sorted((_settled(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


def _diff(mine: Any, theirs: Any, where: str = "") -> dict[str, Any]:
    """The leaves where two states differ: path -> (chaos, clean)."""
    if isinstance(mine, dict) and isinstance(theirs, dict):
        found: dict[str, Any] = {}
        for key in {*mine, *theirs}:
            found.update(_diff(mine.get(key), theirs.get(key), f"{where}.{key}"))
        return found
    if isinstance(mine, list) and isinstance(theirs, list) and len(mine) == len(theirs):
        found = {}
        for i, (a, b) in enumerate(zip(mine, theirs, strict=True)):
            found.update(_diff(a, b, f"{where}[{i}]"))
        return found
    return {} if mine == theirs else {where: (mine, theirs)}
