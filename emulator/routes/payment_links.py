"""Payment Links: ``/v1/payment_links`` (create, retrieve, list, update, line items) and the pages a
customer meets: the link's ``url`` (``/b/{code}``) and Stripe's confirmation page
(``/pay/{cs_id}/confirmation``). The rules live in :mod:`emulator.payment_links`.

Stable element ids for browser tests: ``#link-inactive`` (a deactivated link's page),
``#confirmation`` (the confirmation page), ``#custom-message``.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from emulator import checkout_flow, payment_links
from emulator.errors import StripeError
from emulator.expand import expand_page
from emulator.forms import Params
from emulator.hosted_page import templates
from emulator.known import LIST, RETRIEVE, Spec, listing
from emulator.pagination import paginate
from emulator.runtime import Runtime, runtime_of
from emulator.v1 import endpoint


def _base_url(request: Request, rt: Runtime) -> str:
    return rt.config.public_url or str(request.base_url)


def create(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    return payment_links.create_link(rt.state, p, _base_url(request, rt))


def retrieve(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    return rt.state.get("payment_link", request.path_params["id"])


def update(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    return payment_links.update_link(rt.state, request.path_params["id"], p)


def list_links(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    items = rt.state.all("payment_link")
    if p.has("active"):
        items = [i for i in items if i["active"] == p.boolean("active")]
    return paginate(items, p, "/v1/payment_links", "payment_link")


def line_items(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    link_id = request.path_params["id"]
    rt.state.get("payment_link", link_id)
    page = paginate(rt.state.line_items.get(link_id, []), p,
                    f"/v1/payment_links/{link_id}/line_items", "line_item")
    return expand_page(rt.state, page, p.array("expand"))


def _missing(request: Request) -> Response:
    return templates.TemplateResponse(request, "missing.html", {}, status_code=404)


def _open(rt: Runtime, link: dict[str, Any], base_url: str) -> dict[str, Any]:
    """A new session for this visit, with its expiry timer (as ``POST /v1/checkout/sessions``)."""
    session = payment_links.open_session(rt.state, link, base_url)
    delay = session["expires_at"] - session["created"]
    rt.scheduler.call_later(delay, lambda: checkout_flow.expire_if_due(rt.state, session["id"]),
                            kind="expiry")
    return session


async def visit(request: Request) -> Response:
    """The link's ``url``: a new Checkout Session and 303 to its page, or the inactive page."""
    rt = runtime_of(request)
    link = payment_links.find_by_url_code(rt.state, request.path_params["code"])
    if link is None:
        return _missing(request)
    if not link["active"]:
        return templates.TemplateResponse(
            request, "link_inactive.html", {"message": payment_links.inactive_text(link)})
    try:
        session = await run_in_threadpool(_open, rt, link, _base_url(request, rt))
    except StripeError as exc:  # e.g. a price deactivated since the link was made
        return templates.TemplateResponse(
            request, "link_inactive.html", {"message": exc.message}, status_code=exc.status)
    return RedirectResponse(session["url"], status_code=303)


async def confirmation(request: Request) -> Response:
    """Stripe's own "Thanks for your payment" page of a ``hosted_confirmation`` link."""
    rt = runtime_of(request)
    with rt.state.lock:
        session = rt.state.find("checkout.session", request.path_params["id"])
        confirmed = payment_links.confirmation_of(rt.state, session) if session else None
        items = list(rt.state.line_items.get(session["id"], [])) if session else []
    if session is None or confirmed is None:
        return _missing(request)
    return templates.TemplateResponse(request, "confirmation.html", {
        "session": session, "items": items, "custom_message": confirmed.get("custom_message")})


_AFTER_COMPLETION: Spec = {"type": None, "redirect": {"url": None},
                           "hosted_confirmation": {"custom_message": None}}
CREATE: Spec = {"line_items": {"price": None, "quantity": None}, "after_completion": _AFTER_COMPLETION,
                "metadata": None, "billing_address_collection": None, "inactive_message": None,
                "expand": None}
UPDATE: Spec = {"active": None, "after_completion": _AFTER_COMPLETION, "metadata": None,
                "billing_address_collection": None, "inactive_message": None, "expand": None}
PAGE: Spec = {k: v for k, v in LIST.items() if k != "created"}
LIST_LINKS: Spec = {k: v for k, v in listing(active=None).items() if k != "created"}

routes = [
    Route("/v1/payment_links", endpoint(create, CREATE), methods=["POST"]),
    Route("/v1/payment_links", endpoint(list_links, LIST_LINKS), methods=["GET"]),
    Route("/v1/payment_links/{id}", endpoint(retrieve, RETRIEVE), methods=["GET"]),
    Route("/v1/payment_links/{id}", endpoint(update, UPDATE), methods=["POST"]),
    Route("/v1/payment_links/{id}/line_items", endpoint(line_items, PAGE), methods=["GET"]),
    Route("/b/{code}", visit, methods=["GET"]),
    Route("/pay/{id}/confirmation", confirmation, methods=["GET"]),
]
