"""JSON error answers, mapped once: every failure names itself in ``{"error": ...}``.

:data:`ERRORS` is the one table from the project's errors to HTTP statuses; ``create_app``
installs :func:`project_error` as the handler of each, so routes raise and never translate.
HTML pages that render a friendlier page catch what they render themselves.
"""

from __future__ import annotations

import logging
from typing import Any

from eventsourcing.persistence import PersistenceError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ExceptionHandler

from adapters.stripe_gateway import CheckoutRefused
from adapters.stripe_links import PaymentLinkRefused
from api.params import BadParameter
from domain.apps.subscriptions import NothingToDo
from domain.errors import (
    ChargeNotFound,
    CustomerNotFound,
    IdempotencyConflict,
    PaymentLinkNotFound,
    SessionNotFound,
    SubscriptionNotFound,
)
from domain.model.customer import CardNotUsable
from domain.ports import StripeRefused, StripeUnavailable, UnknownAtStripe

log = logging.getLogger(__name__)


class _Hidden:
    """A message shown instead of the error's own (which may name hosts or keys)."""

    def __init__(self, message: str) -> None:
        self.message = message


#: The project's error -> (status, prefix of its message, or a message that replaces it).
ERRORS: dict[type[Exception], tuple[int, str | _Hidden]] = {
    BadParameter: (400, ""),
    CheckoutRefused: (400, ""),
    PaymentLinkRefused: (400, "Stripe refused the payment link: "),
    PaymentLinkNotFound: (404, ""),
    CardNotUsable: (400, ""),
    SessionNotFound: (404, ""),
    SubscriptionNotFound: (404, ""),
    CustomerNotFound: (404, ""),
    ChargeNotFound: (404, ""),
    NothingToDo: (409, ""),
    IdempotencyConflict: (409, ""),
    UnknownAtStripe: (404, ""),
    StripeRefused: (502, "Stripe refused: "),
    StripeUnavailable: (503, "Stripe unavailable; nothing was changed, try again: "),
    PersistenceError: (503, _Hidden("event store unavailable; nothing was changed, try again")),
}


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error(exc.status_code, exc.detail)


def answer_for(exc: Exception) -> tuple[int, str]:
    """The status and message :data:`ERRORS` gives ``exc`` (its closest listed class)."""
    for kind in type(exc).__mro__:
        if kind in ERRORS:
            status, wording = ERRORS[kind]
            if isinstance(wording, _Hidden):
                return status, wording.message
            return status, f"{wording}{exc}"
    raise LookupError(f"no status for {type(exc).__name__}")  # pragma: no cover


async def project_error(request: Request, exc: Exception) -> Response:
    status, message = answer_for(exc)
    if status >= 500:
        log.warning("%s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
    return error(status, message)


def exception_handlers() -> dict[Any, ExceptionHandler]:
    """What ``Starlette(exception_handlers=...)`` takes."""
    return {HTTPException: http_exception, **dict.fromkeys(ERRORS, project_error)}
