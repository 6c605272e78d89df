"""The comparison of a rebuild reads each store in pages, never one aggregate at a time:
one difference among more aggregates than a page holds is still found, and so is an
aggregate only one store has."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.stores import Store
from api.rebuild import BATCH, Difference, compare, in_memory
from domain.apps.directory import Directory
from domain.model.directory_entry import DirectoryEntry, directory_uuid

ENTRIES = BATCH + 300  # more than one page of either log


@pytest.fixture
def live(own_database_url: str) -> Iterator[Directory]:
    app = Directory(env=Store.from_url(own_database_url).env_for(Directory.name))
    yield app
    app.close()


def filed(app: Directory, count: int = ENTRIES) -> None:
    """``count`` directory entries, each pointing at one or two sessions."""
    entries = []
    for n in range(count):
        entry = DirectoryEntry.of(f"pi_{n:05d}")
        entry.point(f"pi_{n:05d}", "session", f"cs_{n:05d}")
        if n % 3 == 0:
            entry.point(f"pi_{n:05d}", "session", f"cs_again_{n:05d}")
        entries.append(entry)
    app.save(*entries)


def point(app: Directory, key: str, target: str) -> None:
    found = app.current(directory_uuid(key))
    entry = found if isinstance(found, DirectoryEntry) else DirectoryEntry.of(key)
    entry.point(key, "session", target)
    app.save(entry)


def test_the_same_aggregates_in_both_stores_show_no_difference(live: Directory) -> None:
    rebuilt = in_memory(Directory)
    filed(live)
    filed(rebuilt)

    assert compare(live, rebuilt) == []


def test_one_difference_among_many_aggregates_is_found(live: Directory) -> None:
    rebuilt = in_memory(Directory)
    filed(live)
    filed(rebuilt)
    point(live, "pi_00500", "cs_only_live")  # first page of the log, then after the last

    assert compare(live, rebuilt) == [
        Difference("Directory", directory_uuid("pi_00500"), "differs in _filed, _targets, _version")]


def test_an_aggregate_missing_from_either_store_is_found(live: Directory) -> None:
    rebuilt = in_memory(Directory)
    filed(live)
    filed(rebuilt)
    point(live, "pi_live_only", "cs_1")
    point(rebuilt, "pi_rebuilt_only", "cs_2")

    found = {d.aggregate: d.what for d in compare(live, rebuilt)}

    assert found == {directory_uuid("pi_live_only"): "only in the live store",
                     directory_uuid("pi_rebuilt_only"): "only in the rebuilt store"}


def test_an_aggregate_whose_log_is_out_of_version_order_is_read_on_its_own(
        live: Directory) -> None:
    rebuilt = in_memory(Directory)
    entry = DirectoryEntry.of("pi_late")
    entry.point("pi_late", "session", "cs_1")
    entry.point("pi_late", "session", "cs_2")
    point(rebuilt, "pi_late", "cs_1")
    point(rebuilt, "pi_late", "cs_2")
    first, second = (live.mapper.to_stored_event(e) for e in entry.collect_events())
    live.recorder.insert_events([second])  # the log holds version 2 before version 1
    live.recorder.insert_events([first])

    assert compare(live, rebuilt) == []
