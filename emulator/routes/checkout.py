"""Checkout Sessions: create, retrieve (``expand[]=line_items``), list, line items, expire."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from emulator import checkout_flow, checkout_intent_data
from emulator.checkout_create import create_session
from emulator.expand import data_paths, expand, expand_page
from emulator.forms import Params
from emulator.known import LIST, RETRIEVE, Spec, listing
from emulator.pagination import created_filter, paginate
from emulator.runtime import Runtime
from emulator.v1 import endpoint


def _base_url(request: Request, rt: Runtime) -> str:
    return rt.config.public_url or str(request.base_url)


def _render(rt: Runtime, session: dict[str, Any], paths: list[Any]) -> dict[str, Any]:
    """The session as served, with ``line_items`` (first page, like Stripe) when expanded."""
    paths = [str(x) for x in paths]
    if not any(x == "line_items" or x.startswith("line_items.") for x in paths):
        return expand(rt.state, session, paths)
    with_items = dict(session)
    with_items["line_items"] = paginate(rt.state.line_items.get(session["id"], []), Params({}),
                                        f"/v1/checkout/sessions/{session['id']}/line_items")
    return expand(rt.state, with_items, [x for x in paths if x != "line_items"])


def create(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    session = create_session(rt.state, p, _base_url(request, rt))
    delay = session["expires_at"] - session["created"]
    rt.scheduler.call_later(delay, lambda: checkout_flow.expire_if_due(rt.state, session["id"]),
                            kind="expiry")
    return _render(rt, session, p.array("expand"))


def retrieve(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    session = rt.state.get("checkout.session", request.path_params["id"])
    return _render(rt, session, p.array("expand"))


def list_sessions(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    items = created_filter(rt.state.all("checkout.session"), p)
    for name in ("payment_intent", "customer", "subscription", "status", "payment_link"):
        if p.has(name):
            items = [i for i in items if i.get(name) == p.string(name)]
    if p.has("customer_details"):
        email = p.hash("customer_details").string("email")
        items = [i for i in items if (i["customer_details"] or {}).get("email") == email]
    page = paginate(items, p, "/v1/checkout/sessions", "checkout.session")
    page["data"] = [_render(rt, s, data_paths(p.array("expand"))) for s in page["data"]]
    return page


def line_items(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    session_id = request.path_params["id"]
    rt.state.get("checkout.session", session_id)
    url = f"/v1/checkout/sessions/{session_id}/line_items"
    page = paginate(rt.state.line_items.get(session_id, []), p, url, "line_item")
    return expand_page(rt.state, page, p.array("expand"))


def expire(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    session = checkout_flow.expire(rt.state, request.path_params["id"])
    return _render(rt, session, p.array("expand"))


_PRICE_DATA: Spec = {"currency": None, "unit_amount": None, "product": None,
                     "product_data": {"name": None, "description": None, "metadata": None},
                     "recurring": {"interval": None, "interval_count": None}}
CREATE: Spec = {
    "mode": None, "success_url": None, "cancel_url": None, "customer": None,
    "customer_email": None, "client_reference_id": None, "metadata": None, "currency": None,
    "payment_method_types": None, "expires_at": None, "locale": None, "expand": None,
    "line_items": {"price": None, "quantity": None, "price_data": _PRICE_DATA},
    "billing_address_collection": None, "payment_method_data": {"allow_redisplay": None},
    "payment_intent_data": checkout_intent_data.SPEC,
    "saved_payment_method_options": {"allow_redisplay_filters": None,
                                     "payment_method_remove": None, "payment_method_save": None},
}
LIST_SESSIONS = listing(payment_intent=None, customer=None, subscription=None, status=None,
                        payment_link=None, customer_details={"email": None})
PAGE: Spec = {k: v for k, v in LIST.items() if k != "created"}

routes = [
    Route("/v1/checkout/sessions", endpoint(create, CREATE), methods=["POST"]),
    Route("/v1/checkout/sessions", endpoint(list_sessions, LIST_SESSIONS), methods=["GET"]),
    Route("/v1/checkout/sessions/{id}", endpoint(retrieve, RETRIEVE), methods=["GET"]),
    Route("/v1/checkout/sessions/{id}/line_items", endpoint(line_items, PAGE),
          methods=["GET"]),
    Route("/v1/checkout/sessions/{id}/expire", endpoint(expire, RETRIEVE), methods=["POST"]),
]
