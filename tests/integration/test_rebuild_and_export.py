"""After a long mixed scenario (purchases, a failed bank debit, declines, a recovery, staff
actions, a parked event, a reconciliation, a subscription renewed, declined, retried and
canceled on the test clock), every read model rebuilt from the event log equals the live
one; the CLI's support commands work on the same store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from adapters.stores import Store
from api.rebuild import PROJECTIONS, compare, rebuild, rebuild_all
from domain.apps.customers import Customers
from emulator.server import EmulatorServer
from tests.conftest import STAFF, service_env, settle
from tests.integration.test_charges import charge
from tests.integration.test_saved_cards import save_card
from tests.integration.test_subscriptions import advance, decline_next, subscribe
from tests.support.purchases import Shop
from tests.support.webhooks import signed

pytest_plugins = ["tests.support.purchase_fixtures"]

CLI = [str(Path(sys.executable).with_name("checkout-ledger"))]
COMPLETED = "checkout.session.completed"


@pytest.fixture
def database_url(own_database_url: str) -> str:
    """A store of the test's own: the test clock and the schedule are one per store."""
    return own_database_url


@pytest.fixture
def service(make_service: Callable[..., TestClient]) -> TestClient:
    return make_service(TEST_CLOCK="1")


def renewals(service: TestClient, shop: Shop) -> str:
    """A monthly subscription: renewed, declined, retried, canceled at its period's end."""
    customer = save_card(service, shop)
    started = subscribe(service, customer)
    advance(service, to=started["current_period_end"])
    decline_next(shop)
    advance(service, seconds=31 * 86_400)
    advance(service, seconds=86_400)
    service.post(f"/customers/{customer}/subscriptions/{started['id']}/cancel", headers=STAFF,
                 json={"at_period_end": True, "reason": "moving"})
    advance(service, seconds=40 * 86_400)
    return str(started["id"])


def mixed_scenario(service: TestClient, shop: Shop) -> dict[str, str]:
    """Something of everything the service records; the ids worth looking at."""
    paid = shop.session(("Mug", 1200, 2))
    shop.pay(paid)
    shop.deliver(service, paid, COMPLETED)
    debit = shop.session(customer_email="bea@example.com")
    shop.pay_by_bank(debit, succeeds=False)
    shop.deliver(service, debit, COMPLETED)
    shop.settle(debit)
    shop.deliver(service, debit, "checkout.session.async_payment_failed")
    customer = save_card(service, shop, card="4000000000009995")
    _, declined = charge(service, customer)
    _, other = charge(service, customer, amount=900)
    settle(service, fulfil=True)
    recovery = service.get(f"/charges/{declined['id']}", headers=STAFF).json()
    shop.pay(recovery["history"][2]["data"]["session_id"])
    shop.deliver(service, recovery["history"][2]["data"]["session_id"], COMPLETED)
    service.post(f"/support/charges/{other['id']}/retry", headers=STAFF, json={"reason": "x"})
    service.post(f"/support/charges/{other['id']}/recovery-link", headers=STAFF)
    service.post(f"/support/sessions/{paid}/fulfill", headers=STAFF, json={"reason": "again"})
    unreadable = json.dumps({"id": "evt_unreadable_rebuild", "type": COMPLETED, "created": 1,
                             "data": {"object": {"id": "cs_test_unreadable", "object":
                                                 "checkout.session", "mode": "payment",
                                                 "amount_total": "lots"}}}).encode()
    payload, headers = signed(unreadable)
    assert service.post("/webhook", content=payload, headers=headers).status_code == 200
    service.post("/support/reconcile", headers=STAFF)
    subscription = renewals(service, shop)
    settle(service, fulfil=True)
    return {"customer": customer, "declined": declined["id"], "other": other["id"],
            "debit": debit, "subscription": subscription}


def test_every_projection_rebuilt_from_the_log_equals_the_live_one(
    service: TestClient, shop: Shop
) -> None:
    ids = mixed_scenario(service, shop)
    services = service.app.state.services  # type: ignore[attr-defined]
    seen: dict[str, int] = {}

    differences = rebuild_all(services, lambda name, done, total: seen.update({name: total}))

    assert differences == []
    assert set(seen) == {p.name for p in PROJECTIONS} and all(seen.values())
    kinds = {c.kind for c in services.support.failures()}
    assert {"charge_failed", "async_payment_failed"} <= kinds
    assert ids["declined"] not in {c.id for c in services.support.failures()}  # recovered
    history = [e.__class__.__name__ for e in services.subscriptions.history(ids["subscription"])]
    assert {"AttemptFailed", "PeriodPaid", "CancelScheduled", "Canceled"} <= set(history)


def test_a_projection_that_drifted_is_reported(service: TestClient, shop: Shop) -> None:
    mixed_scenario(service, shop)
    services = service.app.state.services  # type: ignore[attr-defined]
    rebuilt = rebuild(services, Customers)
    drifted = Customers(env=Store.from_url("memory://").env_for(Customers.name))

    differences = compare(drifted, rebuilt)

    assert differences and all(d.what == "only in the rebuilt store" for d in differences)


@pytest.fixture
def cli_env(database_url: str, stripe_emulator: EmulatorServer) -> dict[str, str]:
    return {**os.environ, **service_env(database_url, STRIPE_API_BASE=stripe_emulator.url),
            "USER": "carol"}


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=120,
                          check=False)


def test_the_support_commands_work_on_the_same_store(
    service: TestClient, shop: Shop, cli_env: dict[str, str]
) -> None:
    ids = mixed_scenario(service, shop)

    rebuilt = run(cli_env, "rebuild-projections", "--json")
    listed = run(cli_env, "failures")
    retried = run(cli_env, "retry-charge", ids["other"], "--reason", "from the shell", "--json")
    reconciled = run(cli_env, "reconcile", "--json")
    exported = run(cli_env, "export", "--since", "2000-01-01T00:00:00Z")

    assert (rebuilt.returncode, json.loads(rebuilt.stdout)) == (0, {"differences": []}), \
        rebuilt.stderr
    assert listed.returncode == 0 and "charge_failed" in listed.stdout
    assert retried.returncode == 0, retried.stderr
    assert (json.loads(retried.stdout)["outcome"], json.loads(retried.stdout)["actor"]) == (
        "retried", "cli:carol")
    assert set(json.loads(reconciled.stdout)) >= {"seen", "new", "already_known"}
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    assert lines and [e["position"] for e in lines] == sorted(e["position"] for e in lines)
    assert {"CheckoutSession.Completed", "ParkedEvent.Parked"} <= {e["type"] for e in lines}


@pytest.mark.parametrize("args", [("retry-charge", "ch_1"), ("export", "--since", "yesterday"),
                                  ("export", "--app", "Nope")])
def test_the_support_commands_refuse_malformed_arguments(
    cli_env: dict[str, str], service: TestClient, args: tuple[str, ...]
) -> None:
    done = run(cli_env, *args)

    assert done.returncode == 2
    assert done.stderr.startswith("checkout-ledger: ")
