"""eventsourcing's in-memory (POPO) recorders, for the stores a rebuild fills.

The same recorders, with one change: the library keys its index of each aggregate's
events by ``str(originator_id)``, made twice per event it records (measured as most of a
rebuilt projection's cost of storing its events). Here each id's key is made once. Selected
with ``PERSISTENCE_MODULE=adapters.memory_store:Factory`` (see ``api/rebuild.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, ProcessRecorder, StoredEvent
from eventsourcing.popo import POPOFactory, POPOProcessRecorder


class KeyedProcessRecorder(POPOProcessRecorder):
    def __init__(self) -> None:
        super().__init__()
        self._keys: dict[Any, str] = {}

    def _key(self, originator_id: Any) -> str:
        key = self._keys.get(originator_id)
        if key is None:
            key = self._keys[originator_id] = str(originator_id)
        return key

    def _assert_uniqueness(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        index = self._stored_events_index
        new = set()
        for s in stored_events:
            key = self._key(s.originator_id)
            if key in index and s.originator_version in index[key]:
                raise IntegrityError(f"Stored event already recorded: {s}")
            new.add((key, s.originator_version))
        if len(new) < len(stored_events):
            raise IntegrityError(f"Stored events are not unique: {stored_events}")
        tracking = kwargs.get("tracking")
        if tracking:
            self._assert_tracking_uniqueness(tracking)

    def _update_table(self, stored_events: Sequence[StoredEvent], **kwargs: Any
                      ) -> Sequence[int] | None:
        events, index = self._stored_events, self._stored_events_index
        notification_ids = []
        for s in stored_events:
            events.append(s)
            index[self._key(s.originator_id)][s.originator_version] = len(events) - 1
            notification_ids.append(len(events))
        tracking = kwargs.get("tracking")
        if tracking:
            self._insert_tracking(tracking)
        return notification_ids


class Factory(POPOFactory):
    def process_recorder(self) -> ProcessRecorder:
        return KeyedProcessRecorder()
