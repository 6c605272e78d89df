"""Public pages: the storefront, Checkout creation and the success page.

The success page is one of the fulfillment triggers: it fulfils the session itself (in a
thread, the event store being synchronous) before rendering, so a customer who is present
sees what they bought even when the webhook has not arrived yet.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eventsourcing.persistence import PersistenceError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from adapters.stripe_gateway import CatalogPrice, CheckoutRefused
from api.params import BadParameter, parse_session_id
from api.system import Services
from domain.apps.fulfill_checkout import FulfillerFailed, Outcome
from domain.money import format_money
from domain.ports import StripeRefused, StripeUnavailable, UnknownAtStripe

log = logging.getLogger(__name__)

PRICE_ID = re.compile(r"^price_[A-Za-z0-9_]{1,250}$")
CUSTOMER_ID = re.compile(r"^cus_[A-Za-z0-9_]{1,250}$")
CURRENCY = re.compile(r"^[A-Za-z]{3}$")
QUANTITY = re.compile(r"^[0-9]{1,3}$")
MODES = ("payment", "setup", "subscription")
FIELDS = ("mode", "price", "quantity", "customer", "currency")

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))


def interval(price: CatalogPrice) -> str:
    """``month`` or ``3 months``."""
    if price.interval_count == 1:
        return price.interval or ""
    return f"{price.interval_count} {price.interval}s"


templates.env.filters["money"] = format_money
templates.env.filters["interval"] = interval


class BadForm(ValueError):
    """A malformed ``POST /create-checkout-session``; the message says what to fix."""


@dataclass(frozen=True)
class CheckoutOrder:
    """A validated checkout form."""

    mode: str
    price: str | None
    quantity: int
    customer: str | None
    currency: str | None

    @classmethod
    def from_form(cls, form: FormData) -> CheckoutOrder:
        """Check every field; raise :class:`BadForm` naming the first problem."""
        value = _FormReader(form)
        mode = value.get("mode")
        if mode not in MODES:
            raise BadForm(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        price = value.get("price", PRICE_ID, "a price id (price_...)")
        raw_quantity = value.get("quantity", QUANTITY, "an integer from 1 to 999") or "1"
        quantity = int(raw_quantity)
        if not 1 <= quantity <= 999:
            raise BadForm(f"quantity must be an integer from 1 to 999, got {raw_quantity!r}")
        customer = value.get("customer", CUSTOMER_ID, "a customer id (cus_...)")
        currency = value.get("currency", CURRENCY, "a three-letter ISO currency code")
        if mode == "setup":
            if price is not None:
                raise BadForm("setup mode saves a card and takes no price")
            return cls(mode, None, 1, customer, (currency or "usd").lower())
        if price is None:
            raise BadForm(f"price is required in {mode} mode")
        if currency is not None:
            raise BadForm("currency is only for setup mode (the price sets it otherwise)")
        return cls(mode, price, quantity, customer, None)

    def stripe_params(self, public_url: str) -> dict[str, Any]:
        """The ``POST /v1/checkout/sessions`` parameters for this order."""
        params: dict[str, Any] = {
            "mode": self.mode,
            "success_url": f"{public_url}/success?session_id={{CHECKOUT_SESSION_ID}}",
            # The storefront says the checkout was canceled (and that nothing was charged).
            "cancel_url": f"{public_url}/?checkout=canceled",
        }
        if self.price is not None:
            params["line_items"] = [{"price": self.price, "quantity": self.quantity}]
        if self.currency is not None:
            params["currency"] = self.currency
        if self.customer is not None:
            params["customer"] = self.customer  # reuses the Customer object Stripe has
        return params


class _FormReader:
    def __init__(self, form: FormData) -> None:
        self.form = form

    def get(self, name: str, pattern: re.Pattern[str] | None = None,
            meaning: str = "") -> str | None:
        values = self.form.getlist(name)
        if len(values) > 1:
            raise BadForm(f"{name} was given {len(values)} times; give it once")
        if not values or values[0] == "":
            return None
        value = values[0]
        if not isinstance(value, str):
            raise BadForm(f"{name} must be a plain form field, not a file")
        if pattern is not None and not pattern.fullmatch(value):
            raise BadForm(f"{name} must be {meaning}, got {value[:80]!r}")
        return value


# Routes -------------------------------------------------------------------------------------


_UNAVAILABLE = "Payments are unavailable just now; please try again in a few minutes."


async def storefront(request: Request) -> Response:
    """``GET /``: the active prices, each with a checkout button, "Save a card", and the
    active Payment Links staff made (``?checkout=canceled``: the customer came back from
    Checkout without paying, and is told so)."""
    services: Services = request.app.state.services
    try:
        prices = await run_in_threadpool(services.stripe.list_prices)
    except (StripeUnavailable, StripeRefused) as error:
        log.error("storefront: cannot list prices: %s", error)  # the detail is for staff
        return _error_page(request, 503, "The shop is unavailable", _UNAVAILABLE)
    links = await run_in_threadpool(_offered_links, services, prices)
    canceled = request.query_params.get("checkout") == "canceled"
    return _render(request, "storefront.html", {"prices": prices, "links": links,
                                                 "canceled": canceled})


@dataclass(frozen=True)
class OfferedLink:
    """An active Payment Link the storefront shows, with what it sells."""

    url: str
    product_name: str
    quantity: int
    amount: int
    currency: str
    interval: str | None


def _offered_links(services: Services, prices: list[CatalogPrice]) -> list[OfferedLink]:
    """The service's active links to prices on sale now (a link to a price Stripe no longer
    sells, or made against another Stripe account or emulator, is left out). The store
    being down leaves the links out, not the shop."""
    try:
        links = services.payment_links.links()
    except PersistenceError as error:
        log.warning("storefront: cannot read the payment links: %s", error)
        return []
    on_sale = {price.id: price for price in prices}
    return [OfferedLink(link.url, on_sale[link.price].product_name, link.quantity,
                        on_sale[link.price].unit_amount * link.quantity,
                        on_sale[link.price].currency,
                        interval(on_sale[link.price]) if on_sale[link.price].recurring else None)
            for link in links if link.active and link.price in on_sale]


async def create_checkout_session(request: Request) -> Response:
    """``POST /create-checkout-session``: validate the form, create the session, 303 to it."""
    services: Services = request.app.state.services
    async with request.form(max_files=0, max_fields=len(FIELDS) * 2) as form:
        try:
            order = CheckoutOrder.from_form(form)
        except BadForm as bad:
            return _failure(request, 400, str(bad))
    params = order.stripe_params(services.settings.public_url)
    try:
        if order.customer is not None:  # Stripe's own error would name the wrong parameter
            await run_in_threadpool(services.stripe.retrieve_customer, order.customer)
    except UnknownAtStripe:
        return _failure(request, 400, f"no such customer: {order.customer} (Stripe does not "
                                      "know it, or it was deleted)")
    except StripeUnavailable as error:
        log.error("cannot check customer %s: %s", order.customer, error)
        return _failure(request, 503, _UNAVAILABLE)
    try:
        session_id, url = await run_in_threadpool(services.stripe.create_checkout_session, params)
    except (UnknownAtStripe, CheckoutRefused) as refused:  # Stripe's reason, about the form
        return _failure(request, 400, str(refused))
    except StripeUnavailable as error:
        log.error("cannot create a Checkout Session: %s", error)
        return _failure(request, 503, _UNAVAILABLE)
    except StripeRefused as error:
        log.error("Stripe refused to create a Checkout Session: %s", error)
        return _failure(request, 502, "Stripe refused the request; the shop is misconfigured")
    log.info("created %s (%s mode) -> %s", session_id, order.mode, url)
    return RedirectResponse(url, status_code=303)


async def success(request: Request) -> Response:
    """``GET /success?session_id=cs_...``: fulfil the session, then say where it stands."""
    ids = request.query_params.getlist("session_id")
    try:
        if len(ids) != 1:
            raise BadParameter("give one session_id")
        session_id = parse_session_id(ids[0])
    except BadParameter:
        shown = ids[0][:80] if ids else ""
        return _error_page(request, 400, "Not a checkout session",
                           f"session_id must be one Checkout Session id (cs_...), got {shown!r}")
    services: Services = request.app.state.services
    try:
        outcome = await run_in_threadpool(
            # A customer is waiting: no patient retries, a prompt answer instead.
            lambda: services.fulfillment.fulfill_checkout(session_id, "success_page",
                                                          patient=False)
        )
    except UnknownAtStripe:
        return _error_page(request, 404, "Unknown checkout session",
                           f"Stripe knows no Checkout Session {session_id}.")
    except FulfillerFailed:  # recorded on the session and listed for support
        return _render(request, "success.html", {
            "session_id": session_id, "status": "fulfillment_failed", "items": [],
            **dict(zip(("title", "label", "message"), _WORDING["fulfillment_failed"],
                       strict=True))})
    except (StripeUnavailable, PersistenceError) as error:
        log.warning("success page for %s: %s", session_id, error)
        return _error_page(request, 503, "We could not confirm your order yet",
                           "Your payment is safe: we will fulfil it as soon as Stripe tells us. "
                           "Please reload this page in a minute.")
    except StripeRefused as error:
        log.error("success page for %s: Stripe refused: %s", session_id, error)
        return _error_page(request, 502, "We could not confirm your order yet",
                           "Stripe refused our request; the shop's staff has been told.")
    return _render(request, "success.html", _receipt(session_id, outcome))


_FAVICON = Path(__file__).with_name("static") / "favicon.svg"


async def favicon(request: Request) -> Response:
    """``GET /favicon.ico``: what browsers ask for on their own (the pages link the SVG)."""
    return FileResponse(_FAVICON, media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})


routes: list[BaseRoute] = [
    Route("/", storefront, methods=["GET"]),
    Route("/favicon.ico", favicon, methods=["GET"]),
    Route("/create-checkout-session", create_checkout_session, methods=["POST"]),
    Route("/success", success, methods=["GET"]),
]


# Rendering ----------------------------------------------------------------------------------

_WORDING = {
    "fulfilled": ("Thank you for your order", "Fulfilled",
                  "Your payment succeeded and your order is fulfilled."),
    "processing": ("Payment processing", "Processing",
                   "Payment processing: your bank debit can take a few days. We fulfil your "
                   "order as soon as it settles and this page shows it then."),
    "failed": ("Payment failed", "Failed",
               "Your payment did not go through, so nothing was fulfilled. We have sent you "
               "an email; you can try again with another payment method."),
    "expired": ("Checkout expired", "Expired",
                "This checkout expired before it was paid. Nothing was charged."),
    "not_required": ("Card saved", "Saved",
                     "Your card is saved for later payments. Nothing was charged."),
    "fulfillment_failed": ("We are preparing your order", "Delayed",
                           "Your payment went through, but we could not complete your order "
                           "just now. Our staff has been told and will finish it; you do not "
                           "need to pay again."),
    "payment_received": ("Thank you, your payment went through", "Paid",
                         "Your payment went through. There is nothing more to do."),
    "open": ("Payment not completed", "Not paid",
             "This checkout has not been paid yet. Nothing was charged."),
}


def _receipt(session_id: str, outcome: Outcome) -> dict[str, Any]:
    """The success page's context, from the fulfillment's outcome."""
    fulfilled = outcome.fulfillment.record if outcome.fulfillment is not None else None
    if fulfilled:
        items = [asdict(item) for item in fulfilled.line_items]
    else:
        items = [{**asdict(item), "granted": None} for item in outcome.line_items]
    facts = outcome.facts
    title, label, message = _WORDING.get(outcome.status, _WORDING["open"])
    return {
        "session_id": session_id, "status": outcome.status, "title": title, "label": label,
        "message": message, "items": items,
        "amount_total": facts.amount_total if facts is not None else None,
        "currency": facts.currency if facts is not None else None,
        "fulfilled_at": _when(fulfilled.fulfilled_at if fulfilled else None),
    }


def _when(moment: datetime | None) -> str | None:
    """``2026-11-22T15:47:27.659+00:00`` -> ``2026-11-22 15:47 UTC``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    services: Services = request.app.state.services
    context = {"emulator_url": services.settings.emulator_url, **context}
    return templates.TemplateResponse(request, name, context, status_code=status)


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    return _render(request, "error.html",
                   {"title": title, "message": message, "status_code": status}, status)


def _failure(request: Request, status: int, message: str) -> Response:
    """An error as HTML for a browser, ``{"error": ...}`` JSON otherwise."""
    if "text/html" in request.headers.get("accept", ""):
        return _error_page(request, status, "Checkout could not start", message)
    return JSONResponse({"error": message}, status_code=status)
