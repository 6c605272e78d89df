"""One emulator on a loopback port for the whole session, the official SDK pointed at it, and a tiny
webhook receiver. Every test starts from an empty emulator (``/_emulator/reset``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import stripe

from emulator.config import EmulatorConfig
from emulator.server import EmulatorServer

API_KEY = "sk_test_emulator"
SUCCESS_URL = "http://127.0.0.1:4242/success?session_id={CHECKOUT_SESSION_ID}"


@pytest.fixture(scope="session")
def server() -> Iterator[EmulatorServer]:
    """The emulator, fast retries; bank debits settle only when a test asks."""
    config = EmulatorConfig(retry_base_seconds=0.05, max_attempts=8, settle_delay_seconds=None)
    with EmulatorServer(config=config) as running:
        yield running


@pytest.fixture(autouse=True)
def _empty_emulator(server: EmulatorServer) -> None:
    httpx.post(f"{server.url}/_emulator/reset", trust_env=False).raise_for_status()


@pytest.fixture
def client(server: EmulatorServer) -> stripe.StripeClient:
    """The official SDK, talking HTTP to the emulator (no SDK-side retries: we want to see 5xx)."""
    return stripe.StripeClient(API_KEY, base_addresses={"api": server.url},
                               max_network_retries=0)


@pytest.fixture
def control(server: EmulatorServer) -> Iterator[httpx.Client]:
    """Raw HTTP to the emulator: the ``/_emulator`` switches, the hosted page, wire-level checks."""
    with httpx.Client(base_url=server.url, trust_env=False, timeout=15) as http:
        yield http


@pytest.fixture
def api(server: EmulatorServer) -> Iterator[httpx.Client]:
    """Raw HTTP to ``/v1`` with the API key, to look at exact status codes and bodies."""
    with httpx.Client(base_url=server.url, trust_env=False, timeout=15,
                      headers={"Authorization": f"Bearer {API_KEY}"}) as http:
        yield http


class WebhookReceiver:
    """An HTTP endpoint on 127.0.0.1 that answers 500 to its first ``fail_first`` requests."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                with receiver._lock:
                    status = 500 if len(receiver.requests) < receiver.fail_first else 200
                    receiver.requests.append({"body": body, "status": status,
                                              "signature": self.headers.get("Stripe-Signature")})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """Where the emulator should deliver."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhook"

    def accepted(self) -> list[dict[str, Any]]:
        """Requests answered 200, in arrival order."""
        with self._lock:
            return [r for r in self.requests if r["status"] == 200]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until ``count`` requests were accepted; return them."""
        deadline = time.monotonic() + timeout
        while len(self.accepted()) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.accepted()

    def close(self) -> None:
        """Stop listening."""
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def make_receiver() -> Iterator[Any]:
    """Factory: ``make_receiver(fail_first=2)`` starts a receiver, closed after the test."""
    started: list[WebhookReceiver] = []

    def make(fail_first: int = 0) -> WebhookReceiver:
        started.append(WebhookReceiver(fail_first))
        return started[-1]

    yield make
    for running in started:
        running.close()


@pytest.fixture
def receiver(make_receiver: Any) -> WebhookReceiver:
    """A webhook receiver that accepts everything."""
    running: WebhookReceiver = make_receiver()
    return running


class Shop:
    """Shortcuts for arranging tests: prices, sessions, payments, endpoints, events."""

    def __init__(self, client: stripe.StripeClient, control: httpx.Client) -> None:
        self.client = client
        self.control = control

    def price(self, amount: int = 2500, *, name: str = "Ledger T-shirt",
              interval: str | None = None) -> stripe.Price:
        """A price (and its product) through the SDK."""
        params: dict[str, Any] = {"currency": "usd", "unit_amount": amount,
                                  "product_data": {"name": name}}
        if interval:
            params["recurring"] = {"interval": interval}
        return self.client.v1.prices.create(params=params)  # type: ignore[arg-type]

    def session(self, price: stripe.Price | None = None, *, quantity: int = 1,
                **extra: Any) -> stripe.checkout.Session:
        """A Checkout Session (payment mode unless ``mode=`` says otherwise) for ``price``."""
        params: dict[str, Any] = {"mode": "payment", "success_url": SUCCESS_URL,
                                  "cancel_url": "http://127.0.0.1:4242/cancel", **extra}
        if price is not None:
            params["line_items"] = [{"price": price.id, "quantity": quantity}]
        return self.client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]

    def pay(self, session_id: str, **body: Any) -> httpx.Response:
        """Pay through the control API, as the hosted page would."""
        return self.control.post(f"/_emulator/checkout/sessions/{session_id}/pay", json=body)

    def endpoint(self, url: str, events: list[str] | None = None) -> stripe.WebhookEndpoint:
        """A webhook endpoint (its ``secret`` is on this create response only)."""
        return self.client.v1.webhook_endpoints.create(params={  # type: ignore[arg-type]
            "url": url, "enabled_events": events or ["*"]})

    def flush(self) -> None:
        """Wait until every queued delivery is done."""
        self.control.post("/_emulator/flush", json={"timeout": 15}).raise_for_status()

    def event_types(self, **params: Any) -> list[str]:
        """Types of the events ``/v1/events`` lists, oldest first."""
        listed = self.client.v1.events.list(params={"limit": 100, **params})
        return [e.type for e in reversed(listed.data)]


@pytest.fixture
def shop(client: stripe.StripeClient, control: httpx.Client) -> Shop:
    """Arrange helpers bound to this test's SDK client and control connection."""
    return Shop(client, control)
