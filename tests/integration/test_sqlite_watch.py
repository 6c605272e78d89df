"""SQLite's stand-in for LISTEN: a commit to a followed file, from another process, wakes its
followers within a check; a file nobody writes wakes nobody."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from adapters.sqlite_watch import FileWatcher


def write_from_another_process(path: Path) -> None:
    subprocess.run([sys.executable, "-c", (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        "c.execute('INSERT INTO t VALUES (1)'); c.commit()"), str(path)], check=True)


def test_a_commit_from_another_process_wakes_only_the_followers_of_that_file(
        tmp_path: Path) -> None:
    written, quiet = tmp_path / "inbox.sqlite3", tmp_path / "charges.sqlite3"
    for path in (written, quiet):
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("CREATE TABLE t (x INTEGER)")
    woken = {written: threading.Event(), quiet: threading.Event()}
    watcher = FileWatcher({path: event.set for path, event in woken.items()}, every=0.01)
    watcher.start()
    try:
        assert woken[written].wait(5) and woken[quiet].wait(5)  # once at start
        for event in woken.values():
            event.clear()
        assert not woken[written].wait(0.3)  # nothing committed: nobody woken

        write_from_another_process(written)

        assert woken[written].wait(5), "no wake after the commit"
        assert not woken[quiet].is_set()
    finally:
        watcher.stop()


def test_a_file_that_is_not_there_yet_is_watched_once_it_is(tmp_path: Path) -> None:
    path = tmp_path / "later.sqlite3"
    woken = threading.Event()
    watcher = FileWatcher({path: woken.set}, every=0.01).start()
    try:
        assert not woken.wait(0.2)
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE t (x INTEGER)")
        assert woken.wait(5)
    finally:
        watcher.stop()
