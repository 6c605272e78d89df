"""Support's domain: a declined charge retried or given a new link, the directory of search
keys, and the reconciled point."""

from __future__ import annotations

from copy import deepcopy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from adapters.stores import Store
from api.settings import Settings, SettingsError
from api.system import CUSTOMERS_CACHE, DIRECTORY_CACHE
from domain.apps.customers import Customers
from domain.apps.directory import Directory
from domain.apps.processing import Unreadable
from domain.model.charge import SUCCEEDED, Charge
from domain.model.customer import customer_uuid
from domain.model.directory_entry import DirectoryEntry, directory_key, directory_uuid
from domain.model.payment_facts import Decline
from domain.model.reconciliation import Reconciliation

DECLINE = Decline("card_declined", "insufficient_funds", "Your card has insufficient funds.")


def declined() -> Charge:
    charge = Charge.of("chg_1")
    charge.request("chg_1", "cus_1", "pm_1", 2000, "usd", None, "k", "ada@example.com", "alice")
    charge.record_decline("pi_1", "requires_payment_method", DECLINE)
    return charge


def test_a_retry_is_a_new_attempt_with_its_own_stripe_key() -> None:
    charge = declined()
    first_key = charge.stripe_key

    started = charge.start_retry()

    assert started and charge.attempt == 2 and charge.status == "pending"
    assert charge.stripe_key == f"{first_key}:retry:2"
    assert charge.record_success("pi_2", SUCCEEDED)


def test_a_charge_that_succeeded_or_is_in_flight_is_not_retried() -> None:
    charge = declined()
    charge.start_retry()

    in_flight = charge.start_retry()
    charge.record_success("pi_2", SUCCEEDED)
    after_success = charge.start_retry()

    assert (in_flight, after_success) == (False, False)
    assert charge.open_for_support == "already charged"


def test_renewed_recovery_links_are_numbered_and_each_has_its_own_notice() -> None:
    charge = declined()
    charge.offer_recovery("cs_1", "https://pay/1")

    charge.renew_recovery("cs_2", "https://pay/2", "bob", "lost the email")

    renewed = charge.pending_events[-1]
    assert isinstance(renewed, Charge.RecoveryRenewed)
    assert (renewed.number, renewed.notice, renewed.actor) == (2, "charge_failed:2", "bob")
    assert charge.recovery == ("cs_2", "https://pay/2")


def test_a_directory_entry_files_each_target_once_and_emails_in_lower_case() -> None:
    entry = DirectoryEntry.of("Ada@Example.com")

    first = entry.point("Ada@Example.com", "customer", "cus_1")
    again = entry.point("ada@example.com", "customer", "cus_1")

    assert (first, again) == (True, False)
    assert entry.key == directory_key("ADA@example.COM") == "ada@example.com"
    assert entry.targets == (("customer", "cus_1"),)


def test_a_copy_of_a_directory_entry_changes_apart_from_the_original() -> None:
    entry = DirectoryEntry.of("ada@example.com")
    entry.point("ada@example.com", "session", "cs_1")
    entry.collect_events()

    copied = deepcopy(entry)
    copied.point("ada@example.com", "session", "cs_2")

    assert entry.targets == (("session", "cs_1"),)
    assert (entry.version, entry.pending_events) == (1, [])
    assert entry.point("ada@example.com", "session", "cs_2")  # not filed in the original
    assert copied.targets == (("session", "cs_1"), ("session", "cs_2"))
    assert copied.version == 2


def test_a_process_keeping_directory_entries_sees_what_another_filed(tmp_path: Path) -> None:
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite",
           "SQLITE_DBNAME": str(tmp_path / "directory.sqlite3"), **DIRECTORY_CACHE}
    web, worker = Directory(env=env), Directory(env=env)

    def file(target: str) -> None:
        found = worker.current(directory_uuid("ada@example.com"))
        entry = found if isinstance(found, DirectoryEntry) else DirectoryEntry.of("ada@example.com")
        entry.point("ada@example.com", "session", target)
        worker.save(entry)

    file("cs_1")
    assert [t for _, t in web.lookup("ada@example.com")] == ["cs_1"]  # now kept by web
    file("cs_2")
    file("cs_3")

    assert [t for _, t in web.lookup("ADA@example.com")] == ["cs_1", "cs_2", "cs_3"]
    assert [t for _, t in worker.lookup("ada@example.com")] == ["cs_1", "cs_2", "cs_3"]


def charged(charge_id: str, customer: str, payment_intent: str) -> list[Any]:
    """A charge's Requested (the customer's email) and Succeeded (its PaymentIntent)."""
    charge = Charge.of(charge_id)
    charge.request(charge_id, customer, "pm_1", 2000, "usd", None, "k", "Ada@example.com", "bob")
    charge.record_success(payment_intent, SUCCEEDED)
    return list(charge.collect_events())


def test_the_directory_files_a_batch_of_new_keys_beside_ones_it_keeps(tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path}/ledger.sqlite3")  # reads a batch at once
    env = {**store.env_for("Directory"), **DIRECTORY_CACHE}
    directory = Directory(env=env)
    first = charged("chg_1", "cus_1", "pi_1")
    directory.process_batch("Charges", list(enumerate(first, start=1)))
    later = charged("chg_2", "cus_2", "pi_2") + charged("chg_3", "cus_3", "pi_3")

    directory.process_batch("Charges", list(enumerate(later, start=3)))

    kept = directory.repository.cache
    assert kept is not None and directory_uuid("ada@example.com") in kept.cache  # not replayed
    for reader in (directory, Directory(env=env)):  # as kept here, and as stored
        assert reader.lookup("ada@example.com") == [
            ("customer", "cus_1"), ("customer", "cus_2"), ("customer", "cus_3")]
        assert [reader.lookup(f"pi_{n}") for n in (1, 2, 3)] == [
            [("charge", "chg_1")], [("charge", "chg_2")], [("charge", "chg_3")]]


def test_the_reconciled_point_only_moves_forward() -> None:
    later, earlier = (datetime(2026, 1, d, tzinfo=UTC) for d in (2, 1))
    record = Reconciliation.of()

    record.record_run(None, later, 3, 1, "alice")
    record.record_run(later, earlier, 1, 0, "system:schedule")
    record.record_run(later, None, 0, 0, "system:schedule")

    assert (record.point, record.runs) == (later, 3)
    assert record.pending_events[0].already_known == 2


@pytest.mark.parametrize(("raw", "seconds"), [("10m", 600), ("30s", 30), ("1h", 3600),
                                              ("90", 90), ("off", None), ("0", None)])
def test_reconcile_every_takes_a_duration_or_off(raw: str, seconds: float | None) -> None:
    settings = Settings.from_env({"RECONCILE_EVERY": raw, "STRIPE_API_KEY": "sk_test_x"},
                                 serving=False)

    assert settings.reconcile_every == seconds


def test_reconcile_every_defaults_to_ten_minutes_and_to_off_in_local_mode() -> None:
    assert Settings.from_env({"STRIPE_API_KEY": "sk_test_x"}, serving=False
                             ).reconcile_every == 600
    assert Settings.from_env({}, serving=False).reconcile_every is None


@pytest.mark.parametrize("raw", ["soon", "-5m", "0.1s", "90d"])
def test_a_malformed_reconcile_every_is_one_clear_line(raw: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"RECONCILE_EVERY": raw}, serving=False)

    assert refused.value.problems[0].startswith("RECONCILE_EVERY: ")


def test_customers_read_a_batch_ahead_beside_the_ones_they_keep(tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path}/ledger.sqlite3")  # reads a batch at once
    env = {**store.env_for("Customers"), **CUSTOMERS_CACHE}
    customers = Customers(env=env)
    requested = [e for n in (1, 2, 3) for e in charged(f"chg_{n}", "cus_1" if n < 3 else "cus_2",
                                                        f"pi_{n}")[:1]]
    customers.process_batch("Charges", [(1, requested[0])])

    customers.process_batch("Charges", [(2, requested[1]), (3, requested[2])])

    kept = customers.repository.cache
    assert kept is not None and customer_uuid("cus_1") in kept.cache
    for reader in (customers, Customers(env=env)):  # as kept here, and as stored
        first, second = reader.customer("cus_1"), reader.customer("cus_2")
        assert first is not None and first.charges == ("chg_1", "chg_2")
        assert second is not None and second.charges == ("chg_3",)


def test_a_batch_started_again_reads_its_customers_ahead_as_recorded(tmp_path: Path) -> None:
    """The first attempt changes the customer it read ahead, then an event of the batch
    cannot be applied: the second attempt must start from the customer as recorded."""
    store = Store.from_url(f"sqlite:///{tmp_path}/ledger.sqlite3")
    env = {**store.env_for("Customers"), **CUSTOMERS_CACHE}
    Customers(env=env).process_batch("Charges", [(1, charged("chg_1", "cus_1", "pi_1")[0])])
    worker = Customers(env=env)  # another process: does not keep cus_1 yet
    poison = Unreadable(uuid4(), 1, "cannot be read")

    worker.process_batch("Charges", [(2, charged("chg_2", "cus_1", "pi_2")[0]), (3, poison)])

    for reader in (worker, Customers(env=env)):
        found = reader.customer("cus_1")
        assert found is not None and found.charges == ("chg_1", "chg_2")
