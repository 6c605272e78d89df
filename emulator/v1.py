"""The ``/v1`` wire protocol around every API handler.

Bearer authentication, form/query decoding, ``Idempotency-Key`` replay, Stripe's error shape, and
the ``Request-Id`` that events carry in ``event.request``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from emulator.errors import StripeError, invalid
from emulator.forms import Params, decode
from emulator.ids import random_token
from emulator.runtime import Runtime, runtime_of
from emulator.state import IdempotentResult, current_request

Handler = Callable[[Request, Params, Runtime], dict[str, Any]]

_NO_KEY = ("You did not provide an API key. You need to provide your API key in the Authorization "
           "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
           "https://stripe.com/docs/api#authentication for details, or we can help at "
           "https://support.stripe.com/.")


def api_key(request: Request) -> str:
    """The secret key from ``Authorization`` (Bearer, or Basic with the key as user name)."""
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    key = ""
    if scheme.lower() == "bearer":
        key = credentials.strip()
    elif scheme.lower() == "basic":
        try:
            key = base64.b64decode(credentials).decode().split(":", 1)[0]
        except (ValueError, UnicodeDecodeError):
            key = ""
    if not key:
        raise StripeError(401, "invalid_request_error", _NO_KEY)
    if not key.startswith(("sk_test_", "rk_test_")) or len(key) <= len("sk_test_"):
        masked = key[:8] + "*" * 4 + key[-4:] if len(key) > 12 else "*" * len(key)
        raise StripeError(401, "invalid_request_error", f"Invalid API Key provided: {masked}")
    return key


async def read_params(request: Request) -> dict[str, Any]:
    """Query string plus a form-encoded body, decoded into nested dicts and lists."""
    pairs = list(request.query_params.multi_items())
    body = await request.body()
    if body:
        try:
            pairs += parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=False)
        except (UnicodeDecodeError, ValueError):
            raise invalid("Invalid request body: expected application/x-www-form-urlencoded"
                          ) from None
    return decode(pairs)


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, indent=2).encode()


def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap ``handler(request, params, runtime) -> object`` into a Starlette endpoint."""

    async def view(request: Request) -> Response:
        runtime = runtime_of(request)
        request_id = "req_" + random_token(14)
        headers = {"Request-Id": request_id, "Stripe-Version": runtime.config.api_version}
        idempotency_key = None
        try:
            key = api_key(request)
            data = await read_params(request)
            if request.method == "POST":
                idempotency_key = request.headers.get("idempotency-key") or None
            fingerprint = json.dumps(data, sort_keys=True)
            if idempotency_key:
                replay = _replay(runtime, key, idempotency_key, request, fingerprint)
                if replay is not None:
                    headers["Idempotent-Replayed"] = "true"
                    return Response(replay.body, replay.status, headers=headers,
                                    media_type="application/json")
            token = current_request.set({"id": request_id, "idempotency_key": idempotency_key})
            try:
                with runtime.state.lock:
                    status, body = 200, _json(handler(request, Params(data), runtime))
            except StripeError as exc:
                status, body = exc.status, _json(exc.body())
            finally:
                current_request.reset(token)
            # Like Stripe: the answer is saved once the endpoint ran (success or a card error);
            # a request that failed validation may be retried with the same key.
            if idempotency_key and (status < 400 or status == 402):
                with runtime.state.lock:
                    runtime.state.idempotency[(key, idempotency_key)] = IdempotentResult(
                        request.method, request.url.path, fingerprint, status, body)
            return Response(body, status, headers=headers, media_type="application/json")
        except StripeError as exc:
            return Response(_json(exc.body()), exc.status, headers=headers,
                            media_type="application/json")

    return view


def _replay(runtime: Runtime, key: str, idempotency_key: str, request: Request,
            fingerprint: str) -> IdempotentResult | None:
    with runtime.state.lock:
        saved = runtime.state.idempotency.get((key, idempotency_key))
    if saved is None:
        return None
    if (saved.method, saved.path) != (request.method, request.url.path):
        raise StripeError(400, "idempotency_error",
                          "Keys for idempotent requests can only be used for the same endpoint "
                          "they were first used for. Try using a key other than "
                          f"'{idempotency_key}' if you meant to execute a different request.")
    if saved.fingerprint != fingerprint:
        raise StripeError(400, "idempotency_error",
                          "Keys for idempotent requests can only be used with the same parameters "
                          "they were first used with. Try using a key other than "
                          f"'{idempotency_key}' if you meant to execute a different request.")
    return saved


async def unknown_route(request: Request) -> Response:
    """Stripe's 404 for a URL it does not serve."""
    error = StripeError(404, "invalid_request_error",
                        f"Unrecognized request URL ({request.method}: {request.url.path}). "
                        "Please see https://stripe.com/docs or we can help at "
                        "https://support.stripe.com/.")
    return Response(_json(error.body()), 404, media_type="application/json")
