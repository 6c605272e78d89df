"""Staff routes for Stripe Payment Links (JSON): create, list, deactivate.

``POST /payment-links`` takes ``{"price": "price_...", "quantity"?: 1..999, "metadata"?:
{str: str}}``, checked here before anything reaches Stripe (``400 {"error"}`` naming the
first problem); a price Stripe does not know, or will not sell, is a ``400`` with Stripe's
reason. The list comes from the service's own record of the links it created (see
:mod:`domain.model.payment_link`).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from api.auth import actor, staff_route
from api.bodies import json_object
from api.charge_orders import text_field
from api.params import BadParameter
from api.system import Services
from api.views import iso
from domain.apps.payment_links import LinkOrder
from domain.model.payment_link import PaymentLink

PRICE_ID = re.compile(r"price_[A-Za-z0-9_]{1,250}")
LINK_ID = re.compile(r"plink_[A-Za-z0-9_]{1,250}")
FIELDS = ("price", "quantity", "metadata")
MAX_QUANTITY = 999
# Stripe's metadata limits: 50 keys, keys up to 40 characters (no square brackets),
# values up to 500 characters.
MAX_METADATA_KEYS, MAX_KEY, MAX_VALUE = 50, 40, 500
MAX_REASON = 1000


def link_order(body: dict[str, Any]) -> LinkOrder:
    """The link the body asks for; :class:`BadParameter` naming the first problem."""
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise BadParameter(f"unknown field(s): {', '.join(unknown)} (give price, quantity, "
                           "metadata)")
    price = body.get("price")
    if not isinstance(price, str) or not PRICE_ID.fullmatch(price):
        raise BadParameter("price must be a Stripe price id (price_...)")
    quantity = body.get("quantity", 1)
    if not isinstance(quantity, int) or isinstance(quantity, bool) \
            or not 1 <= quantity <= MAX_QUANTITY:
        raise BadParameter(f"quantity must be an integer from 1 to {MAX_QUANTITY}")
    return LinkOrder(price=price, quantity=quantity, metadata=_metadata(body.get("metadata")))


def _metadata(raw: Any) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise BadParameter("metadata must be an object of strings, e.g. {\"campaign\": \"spring\"}")
    if len(raw) > MAX_METADATA_KEYS:
        raise BadParameter(f"metadata may have at most {MAX_METADATA_KEYS} keys")
    pairs = []
    for key, value in raw.items():
        if not 1 <= len(key) <= MAX_KEY or "[" in key or "]" in key:
            raise BadParameter(f"metadata keys must be 1 to {MAX_KEY} characters without square "
                               f"brackets, got {key[:80]!r}")
        if not isinstance(value, str) or len(value) > MAX_VALUE:
            raise BadParameter(f"metadata[{key!r}] must be a string of at most {MAX_VALUE} "
                               "characters")
        pairs.append((key, value))
    return tuple(pairs)


def parse_link_id(raw: str) -> str:
    """A Stripe Payment Link id, ``plink_...``."""
    if not LINK_ID.fullmatch(raw):
        raise BadParameter(f"malformed payment link id {raw[:80]!r} (plink_...)")
    return raw


def link_view(link: PaymentLink) -> dict[str, Any]:
    """One link as the routes answer it."""
    return {"id": link.link_id, "url": link.url, "price": link.price, "quantity": link.quantity,
            "active": link.active, "created_at": iso(link.created_at),
            "created_by": link.created_by, "metadata": dict(link.metadata),
            "deactivated_at": iso(link.deactivated_at), "deactivated_by": link.deactivated_by}


async def create_link(request: Request) -> Response:
    """``POST /payment-links``: a new link for one price; 201 with the link."""
    order = link_order(await json_object(request))
    services: Services = request.app.state.services
    link = await run_in_threadpool(services.payment_links.create, order, actor(request))
    return JSONResponse(link_view(link), status_code=201)


async def list_links(request: Request) -> Response:
    """``GET /payment-links``: every link the service created, the newest first."""
    services: Services = request.app.state.services
    links = await run_in_threadpool(services.payment_links.links)
    return JSONResponse({"payment_links": [link_view(link) for link in links]})


async def deactivate_link(request: Request) -> Response:
    """``POST /payment-links/{id}/deactivate``: the link takes no new payments."""
    link_id = parse_link_id(request.path_params["link_id"])
    body = await json_object(request)
    unknown = sorted(set(body) - {"reason"})
    if unknown:
        raise BadParameter(f"unknown field(s): {', '.join(unknown)} (give reason)")
    reason = text_field(body, "reason", MAX_REASON)
    services: Services = request.app.state.services
    link = await run_in_threadpool(services.payment_links.deactivate, link_id, actor(request),
                                   reason)
    return JSONResponse(link_view(link))


routes: list[BaseRoute] = [
    staff_route("/payment-links", create_link, methods=["POST"]),
    staff_route("/payment-links", list_links, methods=["GET"]),
    staff_route("/payment-links/{link_id}/deactivate", deactivate_link, methods=["POST"]),
]
