"""The HTTP client the Stripe SDK calls Stripe with: the SDK's own ``PycurlClient`` (libcurl),
with a curl handle per thread and the gateway's timeout.

Measured with ``benchmarks/sdk_retrieve.py --explore`` (the CPU of a fulfillment retrieve, in
docs/benchmarks.md): the SDK's ``HTTPXClient`` 1.10 ms, its ``RequestsClient`` 1.47 ms,
this client 0.48 ms. Most of httpx's share was its own bookkeeping (URL parsing, cookies, the
pool's locks); curl does that work in C, outside the GIL.

Where this differs from the SDK's ``PycurlClient``:

- it keeps one curl handle, which serves one request at a time; here each thread has its own
  (fulfillment retrieves from several threads at once), which keeps its connection alive
  from one request to the next;
- it sets fixed timeouts (30 s to connect, 80 s in all); the handle here puts the gateway's
  in their place, so a hung Stripe holds a request ``timeout`` seconds at most;
- it does not try a dropped connection again; here the SDK's retries do, as with httpx;
- it reads the answer's headers with the stdlib's email parser; here a plain split does.
"""

from __future__ import annotations

import threading
from typing import Any, NoReturn

import pycurl
import stripe

# The options the SDK sets to its own seconds, and the millisecond options set instead.
_OURS = {pycurl.TIMEOUT: pycurl.TIMEOUT_MS, pycurl.CONNECTTIMEOUT: pycurl.CONNECTTIMEOUT_MS}
# A connection dropped under a call: nothing answered, a send or a receive that failed.
_DROPPED = {pycurl.E_GOT_NOTHING, pycurl.E_SEND_ERROR, pycurl.E_RECV_ERROR}


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

    def _handle_request_error(self, e: Exception) -> NoReturn:
        """The SDK's errors, but a dropped connection is tried again (the SDK's retries, with
        its idempotency keys), as the SDK's httpx client did: Stripe may close a kept-alive
        connection just as a call goes out on it."""
        try:
            super()._handle_request_error(e)
        except stripe.APIConnectionError as error:
            if e.args and e.args[0] in _DROPPED:
                error.should_retry = True
            raise

    def parse_headers(self, data: str) -> dict[str, str]:
        """The answer's headers by lowercased name, the first of a repeated one, as the SDK's
        (which runs the stdlib's email parser on them: a quarter of the client's CPU per
        call). curl hands over every header block of the call, so the last one is the
        answer's: an interim ``100 Continue`` comes before it."""
        blocks = [block for block in data.split("\r\n\r\n") if block.strip()]
        headers: dict[str, str] = {}
        for line in blocks[-1].split("\r\n")[1:] if blocks else ():
            name, colon, value = line.partition(":")
            if colon:
                headers.setdefault(name.strip().lower(), value.strip())
        return headers
