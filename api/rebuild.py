"""Rebuild the read models from the event log into fresh stores, and compare.

The read models are the applications that only project what others recorded and never
call Stripe or anyone else (:data:`PROJECTIONS`). Each is rebuilt in memory by following
its upstream logs from position 0 (the same pipeline edges as the live service), then
every aggregate of the rebuilt and the live store is compared. The comparison ignores
when things were recorded (the rebuild records them now) and the order of collections a
projection fills from several logs (the live one read them interleaved, the rebuild one
after the other).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, TypeVar
from uuid import UUID

from adapters.runner import Follower
from adapters.stores import Store
from api.system import Services
from domain.apps.customers import Customers
from domain.apps.directory import Directory
from domain.apps.pipeline import PIPELINE
from domain.apps.processing import BatchProcessor, KeptAggregates
from domain.apps.support import Support

P = TypeVar("P", bound=BatchProcessor)
PROJECTIONS: tuple[type[BatchProcessor], ...] = (Support, Customers, Directory)
_WHEN = {"_created_on", "_modified_on", "_pending_events"}
BATCH = 1000
# The rebuilt projection is its store's only writer: it keeps every aggregate it recorded
# and works on them without copies (``KeptAggregates``), instead of replaying each from its
# log at each batch. A batch started again (an event parked) drops them all first
# (``BatchProcessor._forget_attempt``); the comparison replays the log.
_KEPT = {"AGGREGATE_CACHE_FASTFORWARD": "n", "DEEPCOPY_FROM_AGGREGATE_CACHE": "n"}

#: (projection name, upstream notifications done, upstream notifications in all)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Difference:
    projection: str
    aggregate: UUID
    what: str


def rebuild_all(services: Services, progress: Progress | None = None) -> list[Difference]:
    """Rebuild every projection; the differences with the live ones (none: all agree)."""
    differences: list[Difference] = []
    for projection in PROJECTIONS:
        fresh = rebuild(services, projection, progress)
        differences += compare(getattr(services, _attribute(services, projection)), fresh)
        fresh.close()
    return differences


def rebuild(services: Services, projection: type[BatchProcessor],
            progress: Progress | None = None) -> BatchProcessor:
    """A new ``projection`` in memory, caught up with its upstream logs."""
    # A subscription is copied as its owner shows it: the rebuilt Customers asks the same.
    collaborators = {"views": services.customers.views} if projection is Customers else {}
    fresh = in_memory(projection, **collaborators)
    live = {f.upstream.name: f.upstream for f in services.followers}
    followers = [Follower(live[up.name], fresh, batch_size=BATCH)
                 for up, processor in PIPELINE if processor is projection]
    total = sum(f.upstream.recorder.max_notification_id() or 0 for f in followers)
    done = 0
    for follower in followers:
        while True:
            before = follower.position()
            if not follower.step():
                break
            done += follower.position() - before
            if progress is not None:
                progress(projection.name, done, total)
        head = follower.upstream.recorder.max_notification_id() or 0
        done += head - follower.position()  # topics the projection does not read
    if progress is not None:
        progress(projection.name, total, total)
    fresh.repository.cache = None  # compared as its log replays, not as it was kept
    return fresh


def in_memory(projection: type[P], **collaborators: Any) -> P:
    """A new, empty ``projection`` in memory that keeps every aggregate it records."""
    fresh = projection(env={**Store.from_url("memory://").env_for(projection.name), **_KEPT},
                       **collaborators)
    fresh.repository.cache = KeptAggregates()
    return fresh


def compare(live: BatchProcessor, rebuilt: BatchProcessor) -> list[Difference]:
    """Every aggregate of either store, compared state by state."""
    differences = []
    for aggregate_id in sorted(_ids(live) | _ids(rebuilt), key=str):
        ours, theirs = _state(live, aggregate_id), _state(rebuilt, aggregate_id)
        if ours == theirs:
            continue
        if ours is None or theirs is None:
            what = "only in the rebuilt store" if ours is None else "only in the live store"
        else:
            keys = sorted(k for k in {*ours, *theirs} if ours.get(k) != theirs.get(k))
            what = f"differs in {', '.join(keys)}"
        differences.append(Difference(live.name, aggregate_id, what))
    return differences


def _ids(app: BatchProcessor) -> set[UUID]:
    ids: set[UUID] = set()
    start = 0
    while True:
        page = app.recorder.select_notifications(start=start, limit=BATCH,
                                                 inclusive_of_start=False)
        if not page:
            return ids
        ids.update(UUID(str(n.originator_id)) for n in page)
        start = page[-1].id


def _state(app: BatchProcessor, aggregate_id: UUID) -> dict[str, Any] | None:
    found = app.current(aggregate_id)
    if found is None:
        return None
    return {k: _normal(v) for k, v in vars(found).items() if k not in _WHEN}


def _normal(value: Any) -> Any:
    """Order-free, comparable: collections as sorted lists, dataclasses as dicts."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _normal(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return sorted((_normal(v) for v in value), key=repr)
    return value


def _attribute(services: Services, projection: type[BatchProcessor]) -> str:
    return next(name for name, value in vars(services).items() if type(value) is projection)
