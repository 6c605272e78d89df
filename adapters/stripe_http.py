"""The HTTP client the Stripe SDK calls Stripe with: the SDK's own ``PycurlClient`` (libcurl),
with a curl handle per thread and the gateway's timeout.

Measured with ``benchmarks/sdk_retrieve.py --explore`` (the CPU of a fulfillment retrieve): the
SDK's ``HTTPXClient`` 1.49 ms, its ``RequestsClient`` 2.07 ms, its ``PycurlClient`` 0.90 ms.
Most of httpx's share was its own bookkeeping (URL parsing, cookies, the pool's locks); curl
does the same work in C, outside the GIL.

The SDK's ``PycurlClient`` keeps one curl handle, which serves one request at a time, so here
each thread has its own (fulfillment retrieves from several threads at once); a handle keeps
its connection alive from one request to the next. The SDK sets fixed timeouts on the handle
(30 s to connect, 80 s in all); the handle here replaces them with the gateway's, so a hung
Stripe holds a request for ``timeout`` seconds at most, as with httpx before.
"""

from __future__ import annotations

import threading
from typing import Any

import pycurl
import stripe

# The options the SDK sets to its own seconds, and the millisecond options set instead.
_OURS = {pycurl.TIMEOUT: pycurl.TIMEOUT_MS, pycurl.CONNECTTIMEOUT: pycurl.CONNECTTIMEOUT_MS}


class _Handle:
    """A curl handle whose timeouts are ours, whatever the SDK sets."""

    def __init__(self, timeout_ms: int) -> None:
        self._curl = pycurl.Curl()
        self._timeout_ms = timeout_ms

    def setopt(self, option: int, value: Any) -> None:
        if option in _OURS:
            self._curl.setopt(_OURS[option], self._timeout_ms)
        else:
            self._curl.setopt(option, value)

    def __getattr__(self, name: str) -> Any:  # reset, perform, getinfo, close
        return getattr(self._curl, name)


class CurlClient(stripe.PycurlClient):  # type: ignore[misc]
    """The SDK's ``PycurlClient``: its requests, headers, errors and retries; the handle is
    the calling thread's."""

    def __init__(self, timeout: float) -> None:
        self._timeout_ms = max(1, round(timeout * 1000))
        self._local = threading.local()
        super().__init__()

    @property
    def _curl(self) -> _Handle:
        handle: _Handle | None = getattr(self._local, "handle", None)
        if handle is None:
            handle = self._local.handle = _Handle(self._timeout_ms)
        return handle

    @_curl.setter
    def _curl(self, handle: Any) -> None:
        handle.close()  # the SDK's one shared handle: each thread makes its own instead
