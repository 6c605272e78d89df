"""Payment Links: ``POST /v1/payment_links`` validated like Stripe's, updates, and what opening a
link's ``url`` does.

A link holds line items (a price and a quantity each, as Checkout line items ``object: "item"``),
``after_completion`` (``hosted_confirmation``, the default, or ``redirect`` with a URL that may
contain ``{CHECKOUT_SESSION_ID}``) and ``metadata``. Opening its ``url`` (``/b/test_...``) makes a
new Checkout Session, as Stripe does on every visit: ``payment`` mode, or ``subscription`` when a
price is recurring; ``payment_link`` set to the link's id; the link's ``metadata`` copied onto the
session (Stripe's documented behaviour); ``success_url`` the redirect URL, or for
``hosted_confirmation`` the emulator's own confirmation page (``/pay/{cs_id}/confirmation``,
Stripe's "Thanks for your payment" page, with ``custom_message``). The session then lives like any
other: same hosted page, same events and webhooks. A deactivated link (``active=false``) opens no
session: it shows that it is no longer active (its ``inactive_message`` when it has one).

Events: ``payment_link.created`` and ``payment_link.updated`` (with ``previous_attributes``).
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlparse

from emulator.checkout_create import create_session
from emulator.diff import previous_attributes
from emulator.errors import invalid, missing_param
from emulator.forms import Params
from emulator.ids import new_id, random_token
from emulator.objects import build_line_item
from emulator.shapes import template
from emulator.state import EmulatorState

AFTER_COMPLETION = ("hosted_confirmation", "redirect")
BILLING_COLLECTION = ("auto", "required")
MAX_LINE_ITEMS = 20
MAX_CUSTOM_MESSAGE = 500
MAX_INACTIVE_MESSAGE = 500
CONFIRMATION_PATH = "/pay/{CHECKOUT_SESSION_ID}/confirmation"


def _url(value: str, param: str) -> str:
    parsed = urlparse(value.replace("{CHECKOUT_SESSION_ID}", "x"))
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise invalid("Not a valid URL", param=param, code="url_invalid")
    return value


def _after_completion(p: Params) -> dict[str, Any]:
    """``after_completion`` as the link serves it (Stripe's default: hosted confirmation)."""
    raw = p.hash("after_completion")
    if not raw.data:
        return {"hosted_confirmation": {"custom_message": None}, "type": "hosted_confirmation"}
    kind = raw.choice("type", AFTER_COMPLETION)
    if kind is None:
        raise missing_param(raw.path("type"))
    other = "redirect" if kind == "hosted_confirmation" else "hosted_confirmation"
    if raw.hash(other).data:
        raise invalid(f"You passed `{raw.path(other)}` but `{raw.path('type')}` is `{kind}`.",
                      param=raw.path(other))
    if kind == "redirect":
        redirect = raw.hash("redirect")
        if not redirect.data:
            raise missing_param(redirect.path("url"))
        return {"redirect": {"url": _url(redirect.req("url"), redirect.path("url"))},
                "type": "redirect"}
    message = raw.hash("hosted_confirmation").string("custom_message")
    if message is not None and len(message) > MAX_CUSTOM_MESSAGE:
        raise invalid(f"custom_message must be at most {MAX_CUSTOM_MESSAGE} characters",
                      param=raw.hash("hosted_confirmation").path("custom_message"))
    return {"hosted_confirmation": {"custom_message": message}, "type": "hosted_confirmation"}


def _line_items(state: EmulatorState, p: Params) -> list[tuple[dict[str, Any], int]]:
    """``line_items``: existing active prices with a quantity, one currency, one interval."""
    raw_items = p.array("line_items")
    if not raw_items:
        raise missing_param("line_items")
    if len(raw_items) > MAX_LINE_ITEMS:
        raise invalid(f"You may only specify up to {MAX_LINE_ITEMS} line items.",
                      param="line_items")
    items = []
    for i, raw in enumerate(raw_items):
        item = Params(raw if isinstance(raw, dict) else {}, f"line_items[{i}]")
        price = state.get("price", item.req("price"), param=item.path("price"))
        if not price["active"]:
            raise invalid("The price specified is inactive. This field only accepts active "
                          "prices.", param=item.path("price"))
        quantity = item.integer("quantity", minimum=1, maximum=999_999)
        if quantity is None:
            raise missing_param(item.path("quantity"))
        items.append((price, quantity))
    if len({price["currency"] for price, _ in items}) > 1:
        raise invalid("Line items must all have the same currency.", param="line_items")
    intervals = {(p["recurring"]["interval"], p["recurring"]["interval_count"])
                 for p, _ in items if p["type"] == "recurring"}
    if len(intervals) > 1:
        raise invalid("All prices on a subscription must have the same `recurring.interval` "
                      "and `recurring.interval_count`.", param="line_items")
    return items


def _inactive_message(p: Params) -> str | None:
    message = p.string("inactive_message")
    if message is not None and len(message) > MAX_INACTIVE_MESSAGE:
        raise invalid(f"inactive_message must be at most {MAX_INACTIVE_MESSAGE} characters",
                      param="inactive_message")
    return message


def create_link(state: EmulatorState, p: Params, base_url: str) -> dict[str, Any]:
    """Validate, store and announce (``payment_link.created``) a new active link."""
    items = _line_items(state, p)
    after = _after_completion(p)
    metadata = p.metadata()
    collection = p.choice("billing_address_collection", BILLING_COLLECTION, default="auto")
    inactive_message = _inactive_message(p)
    recurring = any(price["type"] == "recurring" for price, _ in items)
    link = template("payment_link")
    link_id = new_id("plink")
    link.update(
        id=link_id, active=True, after_completion=after, metadata=metadata, livemode=False,
        currency=items[0][0]["currency"], billing_address_collection=collection,
        inactive_message=inactive_message, allow_promotion_codes=False,
        url=f"{base_url.rstrip('/')}/b/test_{random_token(20)}",
        payment_method_types=None, shipping_options=[],
        subscription_data={"description": None, "invoice_settings": {"issuer": {"type": "self"}},
                           "metadata": {}, "trial_period_days": None,
                           "trial_settings": None} if recurring else None,
    )
    with state.lock:
        state.put(link)
        state.line_items[link_id] = [build_line_item(price, quantity, _product_name(state, price))
                                     for price, quantity in items]
        state.emit("payment_link.created", link)
    return link


def update_link(state: EmulatorState, link_id: str, p: Params) -> dict[str, Any]:
    """``active``, ``after_completion``, ``metadata`` (merged, as Stripe does),
    ``billing_address_collection``, ``inactive_message``; ``payment_link.updated`` when
    something changed."""
    with state.lock:
        link = state.get("payment_link", link_id)
        changes: dict[str, Any] = {}
        if "active" in p.data:
            changes["active"] = p.boolean("active")
        if p.hash("after_completion").data:
            changes["after_completion"] = _after_completion(p)
        if "billing_address_collection" in p.data:
            changes["billing_address_collection"] = p.choice("billing_address_collection",
                                                             BILLING_COLLECTION, default="auto")
        if "inactive_message" in p.data:
            changes["inactive_message"] = _inactive_message(p)
        if "metadata" in p.data:
            p.metadata()  # validates
            raw = p.data["metadata"] or {}
            merged = {**link["metadata"], **raw} if raw else {}
            changes["metadata"] = {k: v for k, v in merged.items() if v != ""}
        before = copy.deepcopy(link)
        link.update(changes)
        changed = previous_attributes(before, link)
        if changed:
            state.emit("payment_link.updated", link, changed)
        return link


def find_by_url_code(state: EmulatorState, code: str) -> dict[str, Any] | None:
    """The link whose ``url`` ends in ``/b/{code}``."""
    with state.lock:
        for link in state.all("payment_link"):
            if str(link["url"]).rsplit("/", 1)[-1] == code:
                return link
    return None


def open_session(state: EmulatorState, link: dict[str, Any], base_url: str) -> dict[str, Any]:
    """A new Checkout Session for one visit of the link (raises for an inactive link)."""
    with state.lock:
        if not link["active"]:
            raise invalid("This payment link is no longer active.", code="payment_link_inactive")
        items = state.line_items[link["id"]]
        recurring = any(item["price"]["type"] == "recurring" for item in items)
        after = link["after_completion"]
        success_url = (after["redirect"]["url"] if after["type"] == "redirect"
                       else base_url.rstrip("/") + CONFIRMATION_PATH)
        params: dict[str, Any] = {
            "mode": "subscription" if recurring else "payment",
            "success_url": success_url,
            "line_items": [{"price": item["price"]["id"], "quantity": str(item["quantity"])}
                           for item in items],
            "metadata": dict(link["metadata"]),
            "billing_address_collection": link["billing_address_collection"],
        }
        session = create_session(state, Params(params), base_url)
        session["payment_link"] = link["id"]
        return session


def confirmation_of(state: EmulatorState, session: dict[str, Any]) -> dict[str, Any] | None:
    """``after_completion.hosted_confirmation`` of the link that opened the complete
    ``session``, or None when the session has no such page."""
    link = state.find("payment_link", session.get("payment_link"))
    if link is None or session["status"] != "complete":
        return None
    after = link["after_completion"]
    if after["type"] != "hosted_confirmation":
        return None
    confirmation: dict[str, Any] = after["hosted_confirmation"]
    return confirmation


def inactive_text(link: dict[str, Any]) -> str:
    """What a deactivated link's page says."""
    return str(link.get("inactive_message") or "This link is no longer active.")


def _product_name(state: EmulatorState, price: dict[str, Any]) -> str:
    product = state.find("product", price["product"])
    return product["name"] if product else price["product"]
