"""The production shape's parts: the worker woken by commits, several web processes (PostgreSQL)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from adapters.listener import CommitListener
from adapters.stores import Store
from api.serve import CannotServe, run
from api.settings import Settings
from domain.apps.inbox import Inbox
from tests.integration.test_inbox import stripe_event
from tests.support.webhooks import new_event_id


def test_a_commit_in_another_process_wakes_the_listener(postgres_url: str) -> None:
    store = Store.from_url(postgres_url)
    writer = Inbox(env=store.env_for("Inbox"))
    woken = threading.Event()
    listener = CommitListener(store, {writer.recorder.channel_name: woken.set}).start()  # type: ignore[attr-defined]
    try:
        assert listener.listening.wait(10)
        assert woken.wait(5)  # on connecting: once, for what came before
        woken.clear()
        assert not woken.wait(0.3)
        writer.record([stripe_event(new_event_id())])
        assert woken.wait(2), "no NOTIFY after the inbox's commit"
    finally:
        listener.stop()
        writer.close()


def test_several_web_processes_are_refused_on_sqlite(tmp_path: Path) -> None:
    settings = Settings(store=Store.from_url(f"sqlite:///{tmp_path}/ledger.sqlite3"))
    with pytest.raises(CannotServe, match=r"--workers 2: .*PostgreSQL.*DATABASE_URL is sqlite"):
        run(settings, workers=2)


def test_serving_without_a_worker_is_refused_on_the_in_memory_store() -> None:
    settings = Settings(store=Store.from_url("memory://"))
    with pytest.raises(CannotServe, match=r"--no-worker: .*in-memory store"):
        run(settings, with_worker=False)
