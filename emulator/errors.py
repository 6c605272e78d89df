"""Stripe's error shape ``{"error": {"type", "code", "message", "param", ...}}`` and statuses."""

from __future__ import annotations

import time
from typing import Any

from starlette.responses import JSONResponse

DOCS = "https://stripe.com/docs/error-codes/"
LOGS = "https://dashboard.stripe.com/test/logs/"


def request_log_url(request_id: str) -> str:
    """Where Stripe's Dashboard shows the request; every error body links to it."""
    return f"{LOGS}{request_id}?t={int(time.time())}"


class StripeError(Exception):
    """An API error the emulator answers in Stripe's shape; raise it anywhere inside a handler."""

    def __init__(
        self,
        status: int,
        type_: str,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.code = code
        self.param = param
        self.extra = extra or {}

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        """The JSON body Stripe would send (with ``request_log_url`` when the request is known)."""
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = DOCS + self.code.replace("_", "-")
        if self.param:
            error["param"] = self.param
        error.update(self.extra)
        if request_id:
            error["request_log_url"] = request_log_url(request_id)
        return {"error": error}

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        """Render as an HTTP response (its ``Request-Id`` header names the logged request)."""
        request_id = (headers or {}).get("Request-Id")
        return JSONResponse(self.body(request_id), status_code=self.status, headers=headers)


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> StripeError:
    """400 ``invalid_request_error`` (``parameter_missing``, ``parameter_invalid_integer``...)."""
    return StripeError(400, "invalid_request_error", message, code=code, param=param)


def missing_param(param: str) -> StripeError:
    """400 for a required parameter left out, worded like Stripe."""
    return invalid(f"Missing required param: {param}.", param=param, code="parameter_missing")


def no_such(kind: str, id_: str, *, param: str = "id") -> StripeError:
    """``resource_missing``: 404 for the id in the path, 400 when a body parameter names it."""
    return StripeError(
        404 if param == "id" else 400,
        "invalid_request_error",
        f"No such {kind}: '{id_}'",
        code="resource_missing",
        param=param,
    )


def card_error(
    message: str, *, code: str, decline_code: str | None, extra: dict[str, Any] | None = None
) -> StripeError:
    """402 ``card_error`` (a decline, authentication required...)."""
    payload: dict[str, Any] = dict(extra or {})
    if decline_code:
        payload["decline_code"] = decline_code
    return StripeError(402, "card_error", message, code=code, extra=payload)
