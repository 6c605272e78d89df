"""A bound on how long a request's body may take to arrive.

uvicorn closes idle kept-alive connections (``timeout_keep_alive``) but waits forever for
a body that never finishes: a client that sends its headers and ``Content-Length: 100``
and then 10 bytes would hold its connection (and a slot of ``limit_concurrency``) for
good. :class:`BodyTimeout` wraps the application and, when the body has not fully arrived
within ``seconds`` of the request's start, tells the application the client went away
(``http.disconnect``), answers ``408`` itself and closes the connection.
"""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTimeout:
    """ASGI middleware: the whole request body within ``seconds``, or ``408`` and close."""

    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    def __getattr__(self, name: str) -> object:  # e.g. ``.state`` of the wrapped application
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        deadline = asyncio.get_running_loop().time() + self.seconds
        body_done = False
        timed_out = False
        started = False

        async def timed_receive() -> Message:
            nonlocal body_done, timed_out
            if body_done or timed_out:
                return await receive()  # after the body: wait for a disconnect as usual
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                timed_out = True
                return {"type": "http.disconnect"}
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if timed_out and not started:
                return  # the 408 below is the answer
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, timed_receive, guarded_send)
        except Exception:
            if not timed_out:  # e.g. Starlette's ClientDisconnect, after the timeout
                raise
        if timed_out and not started:
            await _request_timeout(send, self.seconds)


async def _request_timeout(send: Send, seconds: float) -> None:
    body = json.dumps({"error": f"request body not received within {seconds:g} s"}).encode()
    await send({
        "type": "http.response.start",
        "status": 408,
        "headers": [(b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close")],
    })
    await send({"type": "http.response.body", "body": body})
