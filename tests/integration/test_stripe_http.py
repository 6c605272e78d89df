"""The SDK's curl client as the gateway uses it (``adapters/stripe_http.py``), against the
emulator: the gateway's timeout, not the SDK's 80 s; many threads calling at once, each on
its own handle; a connection kept alive from one call to the next, and made again when
Stripe closed it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pycurl
import pytest

from adapters.stripe_gateway import StripeGateway
from adapters.stripe_http import CurlClient
from domain.ports import StripeUnavailable
from emulator.server import EmulatorServer
from tests.support.purchases import API_KEY, Shop


@pytest.fixture
def shop(emulator: EmulatorServer) -> Iterator[Shop]:
    with Shop(emulator.url) as shop:
        yield shop
        shop.clear_faults()


def paid(shop: Shop, name: str) -> str:
    session_id = shop.session((name, 1500, 1))
    shop.pay(session_id)
    return session_id


def test_a_hung_stripe_is_given_up_after_the_gateways_timeout(
    shop: Shop, emulator: EmulatorServer
) -> None:
    session_id = paid(shop, "Poster")
    gateway = StripeGateway(API_KEY, emulator.url, max_network_retries=0, timeout_seconds=0.5)
    shop.fault("GET", "/v1/checkout/sessions/*", "timeout", seconds=3)  # the answer held 3 s

    started = time.monotonic()
    with pytest.raises(StripeUnavailable):
        gateway.retrieve_checkout(session_id)

    assert time.monotonic() - started < 5
    assert gateway.retrieve_checkout(session_id).facts.session_id == session_id


def test_threads_calling_at_once_each_get_their_own_answer(
    shop: Shop, emulator: EmulatorServer
) -> None:
    sessions = [paid(shop, f"Print {n}") for n in range(24)]
    gateway = StripeGateway(API_KEY, emulator.url, max_network_retries=0, timeout_seconds=5)

    with ThreadPoolExecutor(8) as pool:
        snapshots = list(pool.map(gateway.retrieve_checkout, sessions * 3))

    assert [s.facts.session_id for s in snapshots] == sessions * 3
    assert [s.line_items[0].description for s in snapshots] == [
        f"Print {n}" for n in range(24)] * 3


def test_each_thread_has_one_handle_of_its_own() -> None:
    client = CurlClient(timeout=2)

    def twice() -> tuple[object, object]:
        return client._curl, client._curl

    with ThreadPoolExecutor(1) as pool:
        theirs = pool.submit(twice).result()
    ours = twice()

    assert theirs[0] is theirs[1] and ours[0] is ours[1]
    assert theirs[0] is not ours[0]


def test_the_connection_is_kept_alive_and_made_again_when_stripe_closed_it() -> None:
    with EmulatorServer() as emulator, Shop(emulator.url) as shop:
        sessions = [shop.session(*[(f"Badge {n}", 400, 1) for n in range(size)])
                    for size in (1, 12, 3)]  # 12: a second page of line items
        for session_id in sessions:
            shop.pay(session_id)
        gateway = StripeGateway(API_KEY, emulator.url, max_network_retries=0,
                                timeout_seconds=5)
        gateway.retrieve_checkout(sessions[0])
        handle = gateway.client._requestor._client._curl  # type: ignore[attr-defined]
        assert handle.getinfo(pycurl.NUM_CONNECTS) == 1

        for session_id in sessions * 3:
            gateway.retrieve_checkout(session_id)
            assert handle.getinfo(pycurl.NUM_CONNECTS) == 0  # the same connection again

        emulator.stop()  # closes every connection; the same app, so the same sessions
        emulator.start()
        assert gateway.retrieve_checkout(sessions[0]).facts.session_id == sessions[0]
        assert handle.getinfo(pycurl.NUM_CONNECTS) == 1


def test_a_dropped_connection_is_tried_again_as_the_sdk_tries_again() -> None:
    accepted: list[float] = []
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def drop_each() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return  # closed: the test is over
            accepted.append(time.monotonic())
            connection.recv(65536)  # the request, then nothing at all
            connection.close()

    threading.Thread(target=drop_each, daemon=True).start()
    gateway = StripeGateway(API_KEY, f"http://127.0.0.1:{port}", max_network_retries=2,
                            timeout_seconds=2)
    try:
        with pytest.raises(StripeUnavailable):
            gateway.retrieve_checkout("cs_test_dropped")
    finally:
        listener.close()

    assert len(accepted) == 3  # the call and the SDK's two retries
