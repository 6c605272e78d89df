"""Wakes the worker's followers when another process commits (PostgreSQL ``LISTEN``).

Every append to an application's table sends ``NOTIFY <table>`` once committed (see
:mod:`adapters.postgres_store`). The worker holds one connection that listens on the
channels of the applications its followers read, and prompts those followers on each
notification, so they read within a round trip of the commit instead of polling every
few milliseconds. The followers still poll, slowly, for whatever a lost connection or a
process that died between its commit and its NOTIFY leaves unannounced.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

import psycopg
from psycopg import sql

from adapters.background import Background
from adapters.stores import Store

log = logging.getLogger(__name__)
RECONNECT_SECONDS = 1.0


class CommitListener(Background):
    """Calls ``channels[name]()`` for each notification on channel ``name``, in a thread of
    its own, until :meth:`stop`. On (re)connecting it calls them all once (what was
    committed while it was not listening)."""

    def __init__(self, store: Store, channels: Mapping[str, Callable[..., None]]) -> None:
        assert store.kind == "postgres"
        self.store = store
        self.channels = dict(channels)
        self.listening = threading.Event()  # set while LISTEN is in place
        super().__init__("commit-listener")

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._listen()
            except psycopg.Error as error:
                log.warning("not listening for commits (followers poll meanwhile): %s",
                            " ".join(str(error).split()))
            self.listening.clear()
            self._stopping.wait(RECONNECT_SECONDS)

    def _listen(self) -> None:
        store = self.store
        with psycopg.connect(host=store.host, port=store.port, user=store.user,
                             password=store.password, dbname=store.dbname, autocommit=True,
                             connect_timeout=5, keepalives=1, keepalives_idle=5,
                             keepalives_interval=5, keepalives_count=3) as connection:
            for channel in self.channels:
                connection.execute(sql.SQL("LISTEN {0}").format(sql.Identifier(channel)))
            self.listening.set()
            for prompt in self.channels.values():
                prompt()
            while not self._stopping.is_set():
                # Returns at least every half second, so stop() is heard.
                for notify in connection.notifies(timeout=0.5):
                    prompted = self.channels.get(notify.channel)
                    if prompted is not None:
                        prompted()
                    if self._stopping.is_set():
                        return
