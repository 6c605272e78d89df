"""The followers of one upstream log decode each of its events once between them."""

from __future__ import annotations

from typing import Any

from adapters.decoded import Decoded
from adapters.runner import Follower
from tests.unit.test_runner_prompts import MEMORY, Notes, Reader


class Counting(Notes):
    """An upstream log that counts how often its events are read back."""

    def __init__(self) -> None:
        super().__init__(env=MEMORY)
        self.decodes = 0
        decode = self.mapper.to_domain_event

        def counted(stored: Any) -> Any:
            self.decodes += 1
            return decode(stored)

        self.mapper.to_domain_event = counted  # type: ignore[method-assign]


class Named(Reader):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__()


def test_followers_sharing_decoded_events_read_each_once_and_see_the_same() -> None:
    notes = Counting()
    for text in ("a", "b", "c"):
        notes.write(text)
    shared = Decoded()
    readers = [Named("One"), Named("Two"), Named("Three")]

    for reader in readers:
        Follower(notes, reader, decoded=shared).catch_up()

    assert notes.decodes == 3
    assert [reader.read for reader in readers] == [["Counting:a", "Counting:b", "Counting:c"]] * 3


def test_without_sharing_each_follower_decodes_for_itself() -> None:
    notes = Counting()
    notes.write("a")

    for name in ("One", "Two"):
        Follower(notes, Named(name)).catch_up()

    assert notes.decodes == 2


def test_the_first_decoded_are_the_first_forgotten() -> None:
    decoded = Decoded(size=2)
    for notification_id in (1, 2, 3):
        decoded.put(notification_id, f"event {notification_id}")

    assert [decoded.get(n) for n in (1, 2, 3)] == [None, "event 2", "event 3"]
