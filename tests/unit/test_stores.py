from __future__ import annotations

from pathlib import Path

import pytest

from adapters.stores import Store


def test_relative_and_absolute_sqlite_paths() -> None:
    assert Store.from_url("sqlite:///var/ledger.sqlite3").path == Path("var/ledger.sqlite3")
    assert Store.from_url("sqlite:////tmp/x/ledger.db").path == Path("/tmp/x/ledger.db")


def test_each_application_gets_its_own_sqlite_file_beside_the_configured_one() -> None:
    store = Store.from_url("sqlite:////data/ledger.sqlite3")

    assert store.env_for("Inbox")["SQLITE_DBNAME"] == "/data/ledger.inbox.sqlite3"
    assert store.env_for("Ledger")["SQLITE_DBNAME"] == "/data/ledger.ledger.sqlite3"


def test_a_postgres_url_is_split_into_the_library_settings() -> None:
    store = Store.from_url("postgresql://us%40er:p%3Ass@db.local:6543/ledger")

    env = store.env_for("Inbox", create_table=False)

    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("us@er", "p:ss")
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == (
        "db.local", "6543", "ledger")
    assert env["CREATE_TABLE"] == "n"


@pytest.mark.parametrize("url", ["", "mysql://x/y", "sqlite://", "sqlite:///", "sqlite:///dir/",
                                 "postgresql://host", "postgresql:///db", "postgresql://h:99x/db"])
def test_malformed_urls_are_refused_with_a_reason(url: str) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        Store.from_url(url)


def test_postgres_pools_keep_few_connections_at_rest_and_the_inbox_warm() -> None:
    store = Store.from_url("postgresql://ledger:secret@127.0.0.1:5432/ledger")

    inbox, ledger = store.env_for("Inbox"), store.env_for("Ledger")

    assert (inbox["POSTGRES_POOL_SIZE"], inbox["POSTGRES_MAX_OVERFLOW"]) == ("4", "8")
    assert (ledger["POSTGRES_POOL_SIZE"], ledger["POSTGRES_MAX_OVERFLOW"]) == ("1", "11")
