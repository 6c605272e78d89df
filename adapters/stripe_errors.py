"""Stripe's exceptions -> the domain's, shared by every call of the Stripe gateway."""

from __future__ import annotations

from typing import Any

import stripe

from domain.ports import StripeRefused, StripeUnavailable, UnknownAtStripe

# Transient by nature: the same call may succeed later.
TRANSIENT = (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)


class translated_errors:
    """Stripe's exceptions -> the domain's: not found, unavailable (transient, or a key
    Stripe will not take: both wait for someone or something to change), ``invalid`` for
    an invalid request when given, and any other refusal as :class:`StripeRefused`.
    No Stripe exception leaves the gateway."""

    def __init__(self, *, invalid: type[Exception] | None = None) -> None:
        self.invalid = invalid

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: BaseException | None, tb: Any) -> None:
        if not isinstance(error, stripe.StripeError):
            return
        message = str(error.user_message or error)
        if isinstance(error, stripe.InvalidRequestError) and error.code == "resource_missing":
            raise UnknownAtStripe(message) from None
        if isinstance(error, TRANSIENT) or (
                isinstance(error, stripe.IdempotencyError) and error.http_status == 409):
            # 409: the first request with this key is still running at Stripe; its outcome
            # is not known yet, and the same key tells it later.
            raise StripeUnavailable(message) from None
        if isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
            # The message shows the (masked) key: for the log and staff, never a public page.
            raise StripeUnavailable(f"Stripe refused the API key: {message}") from None
        if self.invalid is not None and isinstance(error, stripe.InvalidRequestError):
            raise self.invalid(message) from None
        raise StripeRefused(f"{type(error).__name__}: {message}") from None
