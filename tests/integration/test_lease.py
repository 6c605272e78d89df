"""One process at a time follows a store; another stands by and takes over."""

from __future__ import annotations

import time

from api.settings import Settings
from api.system import build
from tests.conftest import service_env


def wait_for(condition, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def following(services) -> bool:  # type: ignore[no-untyped-def]
    return any(runner.running for runner in services.runners)


def test_a_second_follower_stands_by_until_the_first_lets_go(database_url: str) -> None:
    settings = Settings.from_env(service_env(database_url))
    first, second = build(settings), build(settings)
    try:
        first.start(follow=True)
        assert wait_for(lambda: following(first))
        second.start(follow=True)
        time.sleep(0.5)
        assert not following(second)

        first.stop()

        assert wait_for(lambda: following(second))
    finally:
        first.stop()
        second.stop()
