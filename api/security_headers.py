"""Security headers on every answer of the Starlette application (pure ASGI).

``POST /webhook`` never comes through here: ``IngestFirst`` sends it straight to the
ingestion endpoint, so the hot path pays nothing for them.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No script at all, styles only from our own /static, no framing. ``form-action`` is left
# out on purpose: browsers apply it to the redirect after a form is posted, and
# ``POST /create-checkout-session`` answers 303 to Stripe's Checkout page (another origin).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]
_NAMES = {name for name, _ in HEADERS}


class SecurityHeaders:
    """Adds :data:`HEADERS` to every HTTP response (replacing any a route set itself)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _NAMES]
                message = {**message, "headers": kept + HEADERS}
            await send(message)

        await self.app(scope, receive, send_with_headers)
