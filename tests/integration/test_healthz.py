"""``GET /healthz`` is cheap to poll: the store is asked at most every half second and the
followers read at most every second, each by one request at a time, the requests meanwhile
sharing the answer (an outage is in test_store_outage.py). On the real stores."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

from eventsourcing.persistence import OperationalError
from starlette.testclient import TestClient

from adapters.progress import read_progress
from api.health import ProgressWatch, Reading
from domain.ports import PositionReader
from tests.support.webhooks import new_session_id, session_event, signed

INBOX = "Ledger<-Inbox"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def post_unpaid_session(client: TestClient) -> None:
    payload, headers = signed(session_event("checkout.session.completed", new_session_id(),
                                            payment_status="unpaid"))
    assert client.post("/webhook", content=payload, headers=headers).status_code == 200


def test_the_reading_is_reused_within_the_interval_and_taken_again_after_it(
    client: TestClient,
) -> None:
    clock = Clock()
    watch = client.app.state.progress = ProgressWatch(clock=clock)  # type: ignore[attr-defined]
    first = client.get("/healthz").json()
    post_unpaid_session(client)  # one more event for the ledger to follow
    clock.now += 0.4
    within = client.get("/healthz").json()
    clock.now += 0.2
    probed_again = client.get("/healthz").json()
    clock.now += 0.4
    after = client.get("/healthz").json()

    assert (watch.probes.taken, watch.readings.taken) == (2, 2)
    assert within["followers"] == probed_again["followers"] == first["followers"]
    assert [a["age_ms"] for a in (first, within, probed_again, after)] == [
        {"store": 0, "followers": 0}, {"store": 400, "followers": 400},
        {"store": 0, "followers": 600}, {"store": 400, "followers": 0}]
    assert after["followers"][INBOX]["lag"] == first["followers"][INBOX]["lag"] + 1
    assert after["status"] == "ok"


def test_concurrent_requests_wait_for_one_reading(client: TestClient) -> None:
    class Slow(ProgressWatch):
        def report(self, services: Any) -> Reading:
            time.sleep(0.3)
            return super().report(services)

    # The clock stands still: a request that comes late on a loaded machine finds the reading
    # fresh, not due again; what is tested is that those that came together share one.
    watch = client.app.state.progress = Slow(clock=Clock())  # type: ignore[attr-defined]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: client.get("/healthz"), range(8)))

    assert [a.status_code for a in answers] == [200] * 8
    assert (watch.probes.taken, watch.readings.taken) == (1, 1)
    assert len({str(a.json()["followers"]) for a in answers}) == 1


def test_a_failed_reading_is_shared_by_its_waiters_and_not_kept() -> None:
    class Failing(ProgressWatch):
        def report(self, services: Any) -> Reading:
            time.sleep(0.2)
            raise OperationalError("the store did not answer")

    watch = Failing()
    services: Any = SimpleNamespace(followers=(), inbox=SimpleNamespace(ping=lambda: None))

    async def readings(count: int) -> list[Any]:
        return await asyncio.gather(*(watch.health(services) for _ in range(count)),
                                    return_exceptions=True)

    together = asyncio.run(readings(5))
    again = asyncio.run(readings(1))

    assert all(isinstance(r, OperationalError) for r in together + again)
    assert watch.readings.taken == 2  # one for the five at once, one more for the next


def test_all_positions_and_lags_read_at_once_match_each_follower_asked_alone(
    client: TestClient,
) -> None:
    services = client.app.state.services  # type: ignore[attr-defined]
    post_unpaid_session(client)
    services.ledger_follower.catch_up()  # the ledger moves; those that follow it do not
    post_unpaid_session(client)

    at_once = read_progress(services.followers)
    alone = {f.name: (f.position(), f.lag()) for f in services.followers}

    assert at_once == alone
    assert at_once[INBOX][1] >= 1
    assert at_once["Fulfillment<-Ledger"][1] >= 1
    assert all(isinstance(f.processor.recorder, PositionReader) for f in services.followers)


def test_with_no_interval_every_request_takes_a_reading(client: TestClient) -> None:
    watch = client.app.state.progress = ProgressWatch(  # type: ignore[attr-defined]
        every=0.0, probe_every=0.0)
    for _ in range(3):
        client.get("/healthz")

    assert (watch.probes.taken, watch.readings.taken) == (3, 3)


def test_a_request_gone_while_the_reading_is_taken_leaves_the_others_their_answer() -> None:
    class Slow(ProgressWatch):
        def report(self, services: Any) -> Reading:
            time.sleep(0.2)
            return Reading(True, {})

    watch = Slow()
    services: Any = SimpleNamespace(followers=(), inbox=SimpleNamespace(ping=lambda: None))

    async def one_gone_then_another() -> Any:
        gone = asyncio.create_task(watch.health(services))
        await asyncio.sleep(0)  # it started the take
        gone.cancel()
        return await asyncio.wait_for(watch.health(services), 5)

    health = asyncio.run(one_gone_then_another())

    assert health.reading == Reading(True, {})
    assert (watch.probes.taken, watch.readings.taken) == (1, 1)
