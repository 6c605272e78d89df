"""The Stripe gateway's calls for Payment Links: create one redirecting to the success page,
deactivate one."""

from __future__ import annotations

from typing import Any

import stripe

from adapters.stripe_errors import translated_errors
from domain.model.facts import Pairs
from domain.model.payment_link import CreatedAtStripe
from domain.ports import StripeUnavailable, UnknownAtStripe


class PaymentLinkRefused(Exception):
    """Stripe refused to create the link (a price it does not know, an inactive one...);
    the message is Stripe's reason, for the staff member who asked."""


class LinkCalls:
    """Implements the domain's ``PaymentLinkGateway`` port on the official SDK's ``client``."""

    client: stripe.StripeClient

    def create_payment_link(self, price: str, quantity: int, metadata: Pairs,
                            redirect_url: str) -> CreatedAtStripe:
        """A new link; :class:`PaymentLinkRefused` with Stripe's reason when it refuses."""
        params: dict[str, Any] = {
            "line_items": [{"price": price, "quantity": quantity}],
            "after_completion": {"type": "redirect", "redirect": {"url": redirect_url}},
        }
        if metadata:
            params["metadata"] = dict(metadata)
        try:
            with translated_errors(invalid=PaymentLinkRefused):
                link = self.client.v1.payment_links.create(params=params)  # type: ignore[arg-type]
        except UnknownAtStripe as missing:  # the price, named in Stripe's message
            raise PaymentLinkRefused(str(missing)) from None
        return _created(link.to_dict())

    def deactivate_payment_link(self, link_id: str) -> None:
        """``active=false``; :class:`UnknownAtStripe` when Stripe does not know the link."""
        with translated_errors():
            self.client.v1.payment_links.update(link_id, params={"active": False})


def _created(data: dict[str, Any]) -> CreatedAtStripe:
    link_id, url, active = data.get("id"), data.get("url"), data.get("active")
    if not isinstance(link_id, str) or not link_id.startswith("plink_") \
            or not isinstance(url, str) or not isinstance(active, bool):
        raise StripeUnavailable("unexpected payment link from Stripe: no plink_ id, url or active")
    return CreatedAtStripe(link_id, url, active)
