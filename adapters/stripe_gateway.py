"""The Stripe gateway: every call this service makes to Stripe, through the official SDK."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from typing import Any

import stripe

from adapters.stripe_cards import CardCalls
from adapters.stripe_charges import ChargeCalls
from adapters.stripe_errors import translated_errors as _translated_errors
from adapters.stripe_event_list import EventListCalls
from adapters.stripe_http import CurlClient
from adapters.stripe_links import LinkCalls
from adapters.stripe_objects import UnreadableObject, session_facts
from adapters.stripe_raw import get_json, items_of, list_all, path_id
from adapters.stripe_subscriptions import SubscriptionCalls
from domain.ports import CheckoutSnapshot, LineItem, StripeUnavailable

# Stripe answers in well under a second; a call that hangs must not hold a customer's
# page (or a worker thread) for the SDK's default 80 s.
TIMEOUT_SECONDS = 10.0

MAX_LISTED_PRICES = 500  # a storefront, not an export: enough for any demo catalog


class CheckoutRefused(Exception):
    """Stripe refused to create a Checkout Session with these parameters (an invalid
    request: an inactive price, a currency it does not take...). The message is Stripe's
    reason, written for the person who filled in the form."""


@dataclass(frozen=True)
class CatalogPrice:
    """An active price as the storefront offers it."""

    id: str
    product_name: str
    unit_amount: int
    currency: str
    interval: str | None  # day | week | month | year for a recurring price, None for one-time
    interval_count: int
    lookup_key: str | None

    @property
    def recurring(self) -> bool:
        return self.interval is not None


class StripeGateway(CardCalls, ChargeCalls, SubscriptionCalls, EventListCalls, LinkCalls):
    """Implements the domain's ``StripeGateway``, ``CardGateway``, ``ChargeGateway``,
    ``SubscriptionGateway``, ``EventLister`` and ``PaymentLinkGateway`` ports (and what the
    storefront needs); saved cards, charges, subscriptions, the list of events and payment
    links live in the mixins."""

    def __init__(self, api_key: str, api_base: str | None = None, max_network_retries: int = 2,
                 timeout_seconds: float = TIMEOUT_SECONDS):
        addresses = {"api": api_base} if api_base else {}
        self.client = stripe.StripeClient(
            api_key, base_addresses=addresses,  # type: ignore[arg-type]
            max_network_retries=max_network_retries,
            # libcurl, a kept-alive connection per thread: the least CPU per call of the
            # SDK's clients (adapters/stripe_http.py).
            http_client=CurlClient(timeout_seconds),
        )

    def retrieve_checkout(self, session_id: str) -> CheckoutSnapshot:
        """The session with every line item (the list is paginated past its first page).

        Read as plain dicts through ``raw_request`` (``adapters/stripe_raw.py``): the same
        requests, retries and errors as the SDK's services, without building StripeObjects.
        """
        path = f"/v1/checkout/sessions/{path_id(session_id)}"
        try:
            with _translated_errors():
                data = get_json(self.client, path, expand=["line_items"])
                page = data.get("line_items")
                if isinstance(page, dict) and page.get("has_more") is True:
                    items = list(list_all(self.client, f"{path}/line_items", limit=100))
                else:
                    items = items_of(page) if page is not None else []
            facts = session_facts(data)
            line_items = tuple(_line_item(i) for i in items)
        except UnreadableObject as error:
            raise StripeUnavailable(f"unexpected session from Stripe: {error}") from None
        return CheckoutSnapshot(facts=facts, line_items=line_items)

    def create_checkout_session(self, params: dict[str, Any]) -> tuple[str, str]:
        """Create a Checkout Session; answers its id and hosted-page url.

        Raises :class:`CheckoutRefused` for a request Stripe finds invalid,
        ``UnknownAtStripe`` for a price or customer it does not know, ``StripeUnavailable``
        while it cannot be reached (or refuses the API key) and ``StripeRefused`` otherwise.
        """
        with _translated_errors(invalid=CheckoutRefused):
            session = self.client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
        return session.id, session.url or ""

    def list_prices(self) -> list[CatalogPrice]:
        """Every active price of an active product: one-time ones first, then oldest first."""
        with _translated_errors():
            pages = self.client.v1.prices.list(
                params={"active": True, "expand": ["data.product"], "limit": 100}
            ).auto_paging_iter()
            listed = [price.to_dict() for price in islice(pages, MAX_LISTED_PRICES)]
        listed.reverse()  # Stripe lists newest first; the sort below is stable
        offered = [p for p in listed if _product(p).get("active", True) and p.get("unit_amount")
                   is not None]
        offered.sort(key=lambda p: (p.get("recurring") is not None, int(p.get("created") or 0)))
        return [_catalog_price(p) for p in offered]

    def create_webhook_endpoint(self, url: str) -> str:
        """Register ``url`` for every event type; answers its signing secret."""
        with _translated_errors():
            endpoint = self.client.v1.webhook_endpoints.create(
                params={"url": url, "enabled_events": ["*"]}
            )
        return str(endpoint.secret)


def _product(price: dict[str, Any]) -> dict[str, Any]:
    product = price.get("product")
    return product if isinstance(product, dict) else {"id": product}


def _catalog_price(price: dict[str, Any]) -> CatalogPrice:
    product = _product(price)
    recurring = price.get("recurring") or {}
    return CatalogPrice(
        id=str(price["id"]),
        product_name=str(product.get("name") or price.get("nickname") or product.get("id") or ""),
        unit_amount=int(price["unit_amount"]),
        currency=str(price.get("currency") or ""),
        interval=recurring.get("interval"),
        interval_count=int(recurring.get("interval_count") or 1),
        lookup_key=price.get("lookup_key"),
    )


def _line_item(item: dict[str, Any]) -> LineItem:
    price = item.get("price")
    return LineItem(
        price=price.get("id") if isinstance(price, dict) else price,
        quantity=int(item.get("quantity") or 1),
        description=str(item.get("description") or ""),
        amount_total=int(item.get("amount_total") or 0),
        currency=str(item.get("currency") or ""),
    )
