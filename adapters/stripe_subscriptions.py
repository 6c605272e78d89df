"""The Stripe gateway's calls for Stripe-managed subscriptions."""

from __future__ import annotations

import stripe

from adapters.stripe_errors import translated_errors


class SubscriptionCalls:
    """Implements the domain's ``SubscriptionGateway`` port on the official SDK's ``client``."""

    client: stripe.StripeClient

    def cancel_subscription(self, subscription_id: str, at_period_end: bool,
                            idempotency_key: str) -> tuple[str, bool]:
        """Cancel now (``DELETE``), or at the period's end (``cancel_at_period_end``);
        Stripe's answer: the subscription's status and ``cancel_at_period_end``. Stripe's
        ``customer.subscription.*`` events bring the change to the ledger."""
        options: stripe.RequestOptions = {"idempotency_key": idempotency_key}
        with translated_errors():
            if at_period_end:
                sub = self.client.v1.subscriptions.update(
                    subscription_id, params={"cancel_at_period_end": True}, options=options)
            else:
                sub = self.client.v1.subscriptions.cancel(subscription_id, options=options)
        return str(sub.status), bool(sub.cancel_at_period_end)
