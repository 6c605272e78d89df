"""The Stripe gateway's calls for off-session charges and recovery Checkout Sessions."""

from __future__ import annotations

from typing import Any

import stripe

from adapters.stripe_errors import translated_errors
from domain.model.payment_facts import ChargeRequest, ChargeResult, Decline, RecoveryRequest


class ChargeCalls:
    """Implements the domain's ``ChargeGateway`` port on the official SDK's ``client``.

    Every call passes the request's key as ``Idempotency-Key`` (the SDK's per-request
    ``idempotency_key`` option); the SDK sends that same key on each of its own retries,
    so a retry, ours or its, never charges twice: Stripe replays the first answer.
    """

    client: stripe.StripeClient

    def charge_off_session(self, request: ChargeRequest) -> ChargeResult:
        """Create and confirm a PaymentIntent off-session; a decline (402) is a result."""
        params: dict[str, Any] = {
            "customer": request.customer, "payment_method": request.payment_method,
            "amount": request.amount, "currency": request.currency,
            "metadata": dict(request.metadata), "off_session": True, "confirm": True,
        }
        if request.description is not None:
            params["description"] = request.description
        with translated_errors():
            try:
                intent = self.client.v1.payment_intents.create(
                    params=params,  # type: ignore[arg-type]
                    options={"idempotency_key": request.idempotency_key})
            except stripe.CardError as declined:
                return _declined(declined)
        return ChargeResult(payment_intent=intent.id, status=str(intent.status))

    def create_recovery_session(self, request: RecoveryRequest, success_url: str,
                                cancel_url: str) -> tuple[str, str]:
        """A payment-mode Checkout Session for the customer (so Checkout offers the saved
        card) of one line for the amount; its id and hosted-page URL."""
        params: dict[str, Any] = {
            "mode": "payment", "customer": request.customer,
            "line_items": [{"price_data": {"currency": request.currency,
                                           "unit_amount": request.amount,
                                           "product_data": {"name": request.description}},
                            "quantity": 1}],
            "metadata": dict(request.metadata),
            "success_url": success_url, "cancel_url": cancel_url,
        }
        with translated_errors():
            session = self.client.v1.checkout.sessions.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": request.idempotency_key})
        return str(session.id), str(session.url or "")


    def close_recovery_session(self, session_id: str) -> bool:
        """Expire the session unless it is complete; an expire that loses the race with
        the customer's payment (Stripe's 400) is answered by what the session became."""
        sessions = self.client.v1.checkout.sessions
        with translated_errors():
            session = sessions.retrieve(session_id)
            if session.status == "open":
                try:
                    session = sessions.expire(session_id)
                except stripe.InvalidRequestError:
                    session = sessions.retrieve(session_id)
        return session.status != "complete"


def _declined(error: stripe.CardError) -> ChargeResult:
    """The 402's PaymentIntent (left ``requires_payment_method`` or ``requires_action``)
    and Stripe's codes."""
    details = error.error
    intent = details.payment_intent if details is not None else None
    decline = Decline(code=error.code,
                      decline_code=details.decline_code if details is not None else None,
                      message=str(error.user_message or error))
    if intent is None:
        return ChargeResult(payment_intent=None, status="requires_payment_method",
                            decline=decline)
    return ChargeResult(payment_intent=intent.id, status=str(intent.status), decline=decline)
