"""``POST /v1/checkout/sessions``: validation like Stripe's, then the session and its line items."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from emulator import checkout_intent_data, prefill
from emulator.errors import invalid, missing_param
from emulator.forms import Params
from emulator.ids import new_id
from emulator.objects import build_line_item, build_price, build_product, now
from emulator.shapes import template
from emulator.state import EmulatorState

MODES = ("payment", "setup", "subscription")
INTERVALS = ("day", "week", "month", "year")
PAYMENT_METHOD_TYPES = ("card", "us_bank_account", "link", "sepa_debit", "ideal", "bancontact")
MIN_SECONDS, MAX_SECONDS = 30 * 60, 24 * 3600


def _url(params: Params, name: str, *, required: bool) -> str | None:
    value = params.string(name, required=required)
    if value is not None:
        parsed = urlparse(value.replace("{CHECKOUT_SESSION_ID}", "x"))
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise invalid("Not a valid URL", param=name, code="url_invalid")
    return value


def _line_item(state: EmulatorState, item: Params, mode: str, pending: list[dict[str, Any]]
               ) -> tuple[dict[str, Any], int]:
    """Resolve one ``line_items[i]`` into (price object, quantity)."""
    has_price, has_data = item.has("price"), bool(item.hash("price_data").data)
    if has_price == has_data:
        raise invalid(f"You must specify either `price` or `price_data` in `{item.prefix}`.",
                      param=item.prefix)
    if has_price:
        price_id = item.req("price")
        price = state.get("price", price_id, param=item.path("price"))
        if not price["active"]:
            raise invalid("The price specified is inactive. This field only accepts active "
                          "prices.", param=item.path("price"))
    else:
        price = _inline_price(state, item.hash("price_data"), pending)
    quantity = item.integer("quantity", minimum=1, maximum=999_999)
    if quantity is None:
        raise invalid(f"Quantity is required. Add `quantity` to `{item.prefix}`.",
                      param=item.path("quantity"), code="parameter_missing")
    if mode == "payment" and price["type"] == "recurring":
        raise invalid("You specified `payment` mode but passed a recurring price. Either switch "
                      "to `subscription` mode or use only one-time prices.",
                      param=item.path("price" if has_price else "price_data"))
    return price, quantity


def _inline_price(state: EmulatorState, data: Params, pending: list[dict[str, Any]]
                  ) -> dict[str, Any]:
    """``price_data``: a price (and product) made for this session only, as Stripe does.

    They go to ``pending``, stored only once the whole request is valid.
    """
    currency = data.req("currency").lower()
    unit_amount = data.integer("unit_amount", required=True, minimum=0, maximum=99_999_999)
    assert unit_amount is not None
    product_id = data.string("product")
    if product_id:
        state.get("product", product_id, param=data.path("product"))
    else:
        product_data = data.hash("product_data")
        if not product_data.data:
            raise missing_param(data.path("product_data"))
        product = build_product(product_data.req("name"),
                                description=product_data.string("description"),
                                metadata=product_data.metadata())
        pending.append(product)
        product_id = product["id"]
    recurring = None
    if data.hash("recurring").data:
        rec = data.hash("recurring")
        interval = rec.choice("interval", INTERVALS)
        if interval is None:
            raise missing_param(rec.path("interval"))
        recurring = {"interval": interval,
                     "interval_count": rec.integer("interval_count", minimum=1, maximum=365) or 1}
    price = build_price(product_id, currency, unit_amount, recurring=recurring, active=False)
    pending.append(price)
    return price


def create_session(state: EmulatorState, params: Params, base_url: str) -> dict[str, Any]:
    """Validate, then store a new open session; returns it."""
    mode = params.choice("mode", MODES)
    if mode is None:
        raise missing_param("mode")
    success_url = _url(params, "success_url", required=True)
    cancel_url = _url(params, "cancel_url", required=False)
    customer_id, email = params.string("customer"), params.string("customer_email")
    if customer_id and email:
        raise invalid("You may only specify one of these parameters: customer, customer_email.",
                      param="customer_email")
    if customer_id:
        state.get("customer", customer_id, param="customer")
    if email is not None and ("@" not in email or len(email) > 800):
        raise invalid(f"Invalid email address: {email}", param="customer_email",
                      code="email_invalid")
    reference = params.string("client_reference_id")
    if reference is not None and len(reference) > 200:
        raise invalid("client_reference_id must be at most 200 characters",
                      param="client_reference_id")
    metadata = params.metadata()
    types = [str(t) for t in params.array("payment_method_types")]
    for i, kind in enumerate(types):
        if kind not in PAYMENT_METHOD_TYPES:
            raise invalid(f"Invalid payment_method_types[{i}]: must be one of "
                          f"{', '.join(PAYMENT_METHOD_TYPES)}", param=f"payment_method_types[{i}]")
    collection = params.choice("billing_address_collection", prefill.BILLING_COLLECTION)
    saved_options = prefill.saved_options(params, customer_id)
    redisplay = params.hash("payment_method_data").choice("allow_redisplay",
                                                          prefill.REDISPLAY_VALUES)
    intent_data = checkout_intent_data.read(params, mode)
    created = now()
    expires_at = params.integer("expires_at")
    if expires_at is not None and not MIN_SECONDS <= expires_at - created <= MAX_SECONDS:
        raise invalid("The `expires_at` timestamp must be between 30 minutes and 24 hours from "
                      "Checkout Session creation.", param="expires_at")

    pending: list[dict[str, Any]] = []
    items = [
        _line_item(state, Params(raw if isinstance(raw, dict) else {}, f"line_items[{i}]"), mode,
                   pending)
        for i, raw in enumerate(params.array("line_items"))
    ]
    currency = params.string("currency")
    if mode == "setup":
        if items:
            raise invalid("You cannot pass `line_items` in `setup` mode.", param="line_items")
        if currency is None and not types:
            raise missing_param("currency")
    else:
        if not items:
            raise missing_param("line_items")
        currencies = {price["currency"] for price, _ in items}
        if len(currencies) > 1:
            raise invalid("Line items must all have the same currency.", param="line_items")
        currency = currencies.pop()
        recurring = [p["recurring"] for p, _ in items if p["type"] == "recurring"]
        if mode == "subscription" and not recurring:
            raise invalid("You must provide at least one recurring price in `subscription` mode "
                          "when using prices.", param="line_items")
        if len({(r["interval"], r["interval_count"]) for r in recurring}) > 1:
            raise invalid("All prices on a subscription must have the same `recurring.interval` "
                          "and `recurring.interval_count`.", param="line_items")
    total = sum((p["unit_amount"] or 0) * q for p, q in items)
    if mode == "payment" and currency == "usd" and total < 50:
        raise invalid("The Checkout Session's total amount due must add up to at least $0.50 usd",
                      param="line_items")

    if not types:
        types = ["card", "us_bank_account"] if mode == "payment" and currency == "usd" else ["card"]
    session = template("checkout.session")
    session_id = new_id("cs")
    session.update(
        id=session_id, mode=mode, status="open", created=created,
        expires_at=expires_at or created + MAX_SECONDS, success_url=success_url,
        cancel_url=cancel_url, customer=customer_id, customer_email=email,
        client_reference_id=reference, metadata=metadata, currency=currency and currency.lower(),
        payment_method_types=types, url=f"{base_url.rstrip('/')}/pay/{session_id}",
        amount_subtotal=None if mode == "setup" else total,
        amount_total=None if mode == "setup" else total,
        payment_status="no_payment_required" if mode == "setup" else "unpaid",
        customer_creation=None if mode == "subscription" else "if_required",
        payment_intent=None, setup_intent=None, subscription=None, invoice=None,
        client_secret=None, livemode=False, locale=params.string("locale"),
        billing_address_collection=collection, saved_payment_method_options=saved_options,
    )
    if mode == "setup":
        session["total_details"] = None
    with state.lock:
        for obj in pending:
            state.put(obj)
        state.put(session)
        if redisplay:
            state.checkout_options[session_id] = {"allow_redisplay": redisplay}
        if intent_data:
            state.checkout_options.setdefault(session_id, {})["payment_intent_data"] = intent_data
        state.line_items[session_id] = [
            build_line_item(price, qty, _product_name(state, price)) for price, qty in items
        ]
    return session


def _product_name(state: EmulatorState, price: dict[str, Any]) -> str:
    """Stripe describes a line item by its product's name."""
    product = state.find("product", price["product"])
    return product["name"] if product else price["product"]
