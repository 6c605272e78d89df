"""A server process keeps what start-up made out of the cycle collector's way; a service
built in a test process (built and dropped again and again) does not."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from tests.conftest import service_env


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # what a test froze would never be freed


@pytest.mark.parametrize("freeze_heap", [True, False])
def test_a_server_freezes_its_start_up_heap_once_ready(unfrozen: None, freeze_heap: bool
                                                       ) -> None:
    settings = Settings.from_env(service_env("memory://"))

    with TestClient(create_app(settings, follow=False, freeze_heap=freeze_heap)) as client:
        frozen = gc.get_freeze_count()
        assert client.get("/healthz").status_code == 200

    assert (frozen > 10_000) is freeze_heap  # the modules, the SDK, the applications
