"""``Idempotency-Key`` on ``POST``, as Stripe does it.

- The first request with a key runs; its answer (status and body) is saved when the endpoint ran:
  a success or a card error (402). A request refused before running (validation 400s, 404s,
  unknown parameters) saves nothing, so it may be retried with the same key.
- The same key again (same API key, method, path and parameters) replays the saved answer byte for
  byte, with ``Idempotent-Replayed: true`` and ``Original-Request: <first request id>``.
- The same key on another endpoint or with other parameters: ``400 idempotency_error``.
- The same key while the first request still runs: ``409`` ``idempotency_error`` /
  ``idempotency_key_in_use`` with ``Stripe-Should-Retry: true``; the official SDKs retry a 409,
  and the retry then replays the first answer. Nothing runs twice.
"""

from __future__ import annotations

from emulator.errors import StripeError
from emulator.state import EmulatorState, IdempotentResult


def saved(state: EmulatorState, scope: tuple[str, str]) -> IdempotentResult | None:
    """The answer saved for ``(api key, idempotency key)``, if any."""
    with state.lock:
        return state.idempotency.get(scope)


def claim(state: EmulatorState, scope: tuple[str, str]) -> None:
    """Mark the key in flight, or raise the 409 when another request holds it."""
    with state.lock:
        if scope in state.idempotency_in_flight:
            raise StripeError(
                409, "idempotency_error",
                "There is currently another in-progress request using this Idempotent Key "
                "(that probably means you submitted twice, and the other request is still "
                f"going through): {scope[1]}. Please try again later.",
                code="idempotency_key_in_use")
        state.idempotency_in_flight.add(scope)


def release(state: EmulatorState, scope: tuple[str, str], result: IdempotentResult | None
            ) -> None:
    """The request is done: save its answer (when it ran) and free the key."""
    with state.lock:
        state.idempotency_in_flight.discard(scope)
        if result is not None and (result.status < 400 or result.status == 402):
            state.idempotency[scope] = result


def check_same(first: IdempotentResult, method: str, path: str, fingerprint: str,
               key: str) -> None:
    """Refuse a reuse of ``key`` on another endpoint or with other parameters, as Stripe does."""
    if (first.method, first.path) != (method, path):
        raise StripeError(400, "idempotency_error",
                          "Keys for idempotent requests can only be used for the same endpoint "
                          "they were first used for. Try using a key other than "
                          f"'{key}' if you meant to execute a different request.")
    if first.fingerprint != fingerprint:
        raise StripeError(400, "idempotency_error",
                          "Keys for idempotent requests can only be used with the same parameters "
                          "they were first used with. Try using a key other than "
                          f"'{key}' if you meant to execute a different request.")
