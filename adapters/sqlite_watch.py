"""Wakes the worker's followers when a SQLite file changes (SQLite's stand-in for ``LISTEN``).

SQLite has no notifications, and the web process writes into the files the worker follows
(webhooks into the Inbox; the success page, staff actions and commands into others).
Rather than have every follower poll its upstream table every few milliseconds, one thread
asks each followed file ``PRAGMA data_version`` (a counter SQLite keeps per connection,
which changes when any other connection commits to the file: no table is read) and prompts
the followers of a file that changed. The followers still poll, slowly, as a fallback.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path

from adapters.background import Background

log = logging.getLogger(__name__)
CHECK_SECONDS = 0.025


class FileWatcher(Background):
    """Calls ``files[path]()`` when the SQLite file at ``path`` has a new commit, checking
    every ``every`` seconds in a thread of its own until :meth:`stop` (and once at start)."""

    def __init__(self, files: Mapping[Path, Callable[..., None]],
                 every: float = CHECK_SECONDS) -> None:
        self.files = dict(files)
        self.every = every
        super().__init__("sqlite-watch")

    def _run(self) -> None:
        connections: dict[Path, sqlite3.Connection] = {}
        seen: dict[Path, int] = {}
        try:
            while not self._stopping.is_set():
                for path, prompt in self.files.items():
                    version = self._version(connections, path)
                    if version is None or seen.get(path) == version:
                        continue
                    seen[path] = version
                    prompt()
                self._stopping.wait(self.every)
        finally:
            for connection in connections.values():
                connection.close()

    @staticmethod
    def _version(connections: dict[Path, sqlite3.Connection], path: Path) -> int | None:
        """The file's data version as this watcher's connection sees it (None while the
        file cannot be read: its followers keep to their poll)."""
        try:
            connection = connections.get(path)
            if connection is None:
                connection = connections[path] = sqlite3.connect(
                    f"file:{path}?mode=ro", uri=True, isolation_level=None,
                    check_same_thread=False)
            row = connection.execute("PRAGMA data_version").fetchone()
        except sqlite3.Error as error:
            log.debug("cannot watch %s: %s", path, error)
            dropped = connections.pop(path, None)
            if dropped is not None:
                dropped.close()
            return None
        return int(row[0])
