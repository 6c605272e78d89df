"""Console sign-in: a signed session cookie in place of the bearer token, and CSRF.

The cookie (Starlette's ``SessionMiddleware``: JSON signed with itsdangerous) holds the
staff member's name, a fingerprint of their token (an HMAC, never the token) and the
session's CSRF token. It is HttpOnly, ``SameSite=Strict``, ``Secure`` when the service is
reached over https (``PUBLIC_URL``), scoped to ``/support`` and good for 8 hours. The
signing key is derived from the configured staff tokens, so every process of the service
derives the same one, and removing a token signs its holder out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "checkout_ledger_console"
MAX_AGE = 8 * 3600
CSRF_FIELD = "csrf"


class ConsoleSession:
    """Pure ASGI: the session middleware for the settings of the app serving the request
    (routes are built once per process; an app is built from its own settings)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._inner: dict[tuple[str, bool], SessionMiddleware] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        settings = scope["app"].state.services.settings
        key = (_signing_key(settings.staff_tokens), settings.public_url.startswith("https://"))
        inner = self._inner.get(key)
        if inner is None:
            inner = self._inner[key] = SessionMiddleware(
                self.app, secret_key=key[0], session_cookie=COOKIE, max_age=MAX_AGE,
                path="/support", same_site="strict", https_only=key[1])
        await inner(scope, receive, send)


def _signing_key(tokens: dict[str, str]) -> str:
    material = "\0".join(sorted(tokens)).encode()
    return hmac.new(b"checkout-ledger:console-session", material, hashlib.sha256).hexdigest()


def _fingerprint(tokens: dict[str, str], token: str) -> str:
    return hmac.new(_signing_key(tokens).encode(), token.encode(), hashlib.sha256).hexdigest()


def _tokens(request: Request) -> dict[str, str]:
    tokens: dict[str, str] = request.app.state.services.settings.staff_tokens
    return tokens


def staff_for_token(request: Request, offered: str) -> str | None:
    """The name of the staff member whose token this is (every token compared, in constant
    time), or None."""
    found = None
    for known, name in _tokens(request).items():
        if hmac.compare_digest(known.encode(), offered.encode()):
            found = name
    return found


def sign_in(request: Request, token: str, name: str) -> None:
    """Start a new session (a new CSRF token too: nothing from before sign-in survives)."""
    request.session.clear()
    request.session.update(staff=name, key=_fingerprint(_tokens(request), token),
                           csrf=secrets.token_urlsafe(32))


def sign_out(request: Request) -> None:
    request.session.clear()


def signed_in_staff(request: Request) -> str | None:
    """The staff member of this session, while their token is still configured."""
    name, key = request.session.get("staff"), request.session.get("key")
    if not isinstance(name, str) or not isinstance(key, str):
        return None
    for token, known in _tokens(request).items():
        if known == name and hmac.compare_digest(_fingerprint(_tokens(request), token), key):
            return name
    return None


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use, before sign-in too)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, form: Any) -> bool:
    """The form carries the session's CSRF token (exactly one)."""
    expected = request.session.get("csrf")
    sent = form.getlist(CSRF_FIELD)
    return (isinstance(expected, str) and len(sent) == 1 and isinstance(sent[0], str)
            and hmac.compare_digest(sent[0].encode(), expected.encode()))
