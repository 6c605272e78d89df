"""Where every follower stands, read with few queries (``/healthz``, ``/metrics``).

Asking each follower (:meth:`~adapters.runner.Follower.position`, ``lag``) costs two to
four queries per pipeline edge. Here each processor's positions in all its upstream logs
are one query (:meth:`~domain.apps.processing.BatchProcessor.positions`), each upstream
log's head one more, and only a follower behind its head asks whether what is left is
any of its business (one query).
"""

from __future__ import annotations

from collections.abc import Sequence

from adapters.runner import Follower


def read_progress(followers: Sequence[Follower]) -> dict[str, tuple[int, int]]:
    """Per follower name: (position, lag), as the follower itself would answer them."""
    upstreams: dict[str, list[str]] = {}
    for follower in followers:
        upstreams.setdefault(follower.processor.name, []).append(follower.upstream.name)
    processors = {f.processor.name: f.processor for f in followers}
    positions = {name: processors[name].positions(names) for name, names in upstreams.items()}
    # Read after the positions, so a head is never behind them: one query per upstream log.
    logs = {f.upstream.name: f.upstream for f in followers}
    heads = {name: app.recorder.max_notification_id() or 0 for name, app in logs.items()}
    progress: dict[str, tuple[int, int]] = {}
    for follower in followers:
        position = positions[follower.processor.name][follower.upstream.name]
        progress[follower.name] = (position,
                                   follower.lag_from(position, heads[follower.upstream.name]))
    return progress
