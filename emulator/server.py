"""``EmulatorServer``: the emulator on a loopback port, served by uvicorn in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import httpx
import uvicorn

from emulator.app import create_app
from emulator.config import EmulatorConfig


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket bound now (``port=0`` picks a free one: read it from
    ``getsockname()``); hand it to ``uvicorn.Server.run(sockets=[...])``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class EmulatorServer:
    """Run an emulator for tests or local mode::

        with EmulatorServer(config=EmulatorConfig(retry_base_seconds=0.05)) as server:
            client = stripe.StripeClient("sk_test_x", base_addresses={"api": server.url})

    ``port=0`` picks a free port. ``app`` is the Starlette app; ``app.state.runtime`` holds its
    state, scheduler and deliverer.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 config: EmulatorConfig | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.config = config or EmulatorConfig()
        self.app = create_app(self.config)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:12111``."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> EmulatorServer:
        """Serve in a daemon thread; return once the emulator answers HTTP."""
        config = uvicorn.Config(self.app, host=self.host, port=self.port, log_level="warning",
                                lifespan="on", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="emulator-server",
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._thread.is_alive():
                raise RuntimeError(f"emulator failed to start on {self.url}")
            try:
                if httpx.get(f"{self.url}/_emulator/health", timeout=0.5,
                             trust_env=False).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"emulator did not answer on {self.url} within {timeout} s")

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
