"""The ``/v1`` wire protocol around every API handler.

Bearer authentication, form/query decoding, refusal of unknown parameters, ``Idempotency-Key``
replay, Stripe's error shape (with ``request_log_url``), and the ``Request-Id`` that events carry in
``event.request``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from emulator import idempotency, known
from emulator.errors import StripeError, invalid
from emulator.forms import Params, decode
from emulator.ids import random_token
from emulator.known import Spec
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


def _answer(body: bytes, status: int, headers: dict[str, str]) -> Response:
    return Response(body, status, headers=headers, media_type="application/json")


def endpoint(handler: Handler, params: Spec | None = None
             ) -> Callable[[Request], Awaitable[Response]]:
    """Wrap ``handler(request, params, runtime) -> object`` into a Starlette endpoint.

    ``params`` is what the route knows (:mod:`emulator.known`); anything else is refused before
    the handler runs. Idempotency keys follow :mod:`emulator.idempotency`.
    """
    spec = known.RETRIEVE if params is None else params

    async def view(request: Request) -> Response:
        runtime = runtime_of(request)
        state = runtime.state
        request_id = "req_" + random_token(14)
        headers = {"Request-Id": request_id, "Stripe-Version": runtime.config.api_version}
        scope: tuple[str, str] | None = None
        result: IdempotentResult | None = None
        try:
            key = api_key(request)
            idempotency_key = (request.headers.get("idempotency-key") or None
                               if request.method == "POST" else None)
            first = None
            if idempotency_key:
                scope = (key, idempotency_key)
                first = idempotency.saved(state, scope)
                if first is None:
                    idempotency.claim(state, scope)
                else:
                    scope = None  # a replay holds nothing
            data = await read_params(request)
            fingerprint = json.dumps(data, sort_keys=True)
            if first is not None and idempotency_key:
                idempotency.check_same(first, request.method, request.url.path, fingerprint,
                                       idempotency_key)
                headers.update({"Idempotent-Replayed": "true",
                                "Original-Request": first.request_id})
                return _answer(first.body, first.status, headers)
            known.check_known(data, spec)
            token = current_request.set({"id": request_id, "idempotency_key": idempotency_key})
            try:
                with state.lock:
                    status, body = 200, _json(handler(request, Params(data), runtime))
            except StripeError as exc:
                status, body = exc.status, _json(exc.body(request_id))
            finally:
                current_request.reset(token)
            result = IdempotentResult(request.method, request.url.path, fingerprint, status,
                                      body, request_id)
            return _answer(body, status, headers)
        except StripeError as exc:
            if exc.status == 409:
                headers["Stripe-Should-Retry"] = "true"
            return _answer(_json(exc.body(request_id)), exc.status, headers)
        finally:
            if scope is not None:
                idempotency.release(state, scope, result)

    return view


async def unknown_route(request: Request) -> Response:
    """Stripe's 404 for a URL it does not serve."""
    request_id = "req_" + random_token(14)
    error = StripeError(404, "invalid_request_error",
                        f"Unrecognized request URL ({request.method}: {request.url.path}). "
                        "Please see https://stripe.com/docs or we can help at "
                        "https://support.stripe.com/.")
    return _answer(_json(error.body(request_id)), 404, {"Request-Id": request_id})
