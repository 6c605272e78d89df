"""Products and prices: create, retrieve, list."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from emulator.errors import invalid
from emulator.expand import expand, expand_page
from emulator.forms import Params
from emulator.known import RETRIEVE, Spec, listing
from emulator.objects import build_price, build_product
from emulator.pagination import created_filter, paginate
from emulator.runtime import Runtime
from emulator.v1 import endpoint

INTERVALS = ("day", "week", "month", "year")


def create_product(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    product = build_product(p.req("name"), description=p.string("description"),
                            metadata=p.metadata(), active=p.boolean("active", default=True))
    rt.state.put(product)
    rt.state.emit("product.created", product)
    return product


def retrieve_product(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    return expand(rt.state, rt.state.get("product", request.path_params["id"]), p.array("expand"))


def list_products(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    items = created_filter(rt.state.all("product"), p)
    if p.has("active"):
        items = [i for i in items if i["active"] == p.boolean("active")]
    return paginate(items, p, "/v1/products", "product")


def create_price(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    currency = p.req("currency").lower()
    unit_amount = p.integer("unit_amount", required=True, minimum=0, maximum=99_999_999)
    assert unit_amount is not None
    product_id = p.string("product")
    new_product = None
    if product_id:
        rt.state.get("product", product_id, param="product")
    elif p.hash("product_data").data:
        data = p.hash("product_data")
        new_product = build_product(data.req("name"), description=None, metadata=data.metadata())
        product_id = new_product["id"]
    else:
        raise invalid("You must specify either `product` or `product_data` when creating a "
                      "price.", param="product", code="parameter_missing")
    recurring = None
    if p.hash("recurring").data:
        rec = p.hash("recurring")
        interval = rec.choice("interval", INTERVALS)
        if interval is None:
            raise invalid("Missing required param: recurring[interval].",
                          param="recurring[interval]", code="parameter_missing")
        recurring = {"interval": interval,
                     "interval_count": rec.integer("interval_count", minimum=1, maximum=365) or 1}
    lookup_key = p.string("lookup_key")
    if lookup_key and any(x["lookup_key"] == lookup_key for x in rt.state.all("price")):
        if not p.boolean("transfer_lookup_key"):
            raise invalid(f"A price (`{_price_with(rt, lookup_key)}`) already uses that lookup "
                          "key.", param="lookup_key")
        for other in rt.state.all("price"):
            if other["lookup_key"] == lookup_key:
                other["lookup_key"] = None
    if new_product:
        rt.state.put(new_product)
        rt.state.emit("product.created", new_product)
    price = build_price(product_id, currency, unit_amount, recurring=recurring,
                        lookup_key=lookup_key, nickname=p.string("nickname"), metadata=p.metadata(),
                        active=p.boolean("active", default=True))
    rt.state.put(price)
    rt.state.emit("price.created", price)
    return price


def _price_with(rt: Runtime, lookup_key: str) -> str:
    return next(x["id"] for x in rt.state.all("price") if x["lookup_key"] == lookup_key)


def retrieve_price(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    return expand(rt.state, rt.state.get("price", request.path_params["id"]), p.array("expand"))


def list_prices(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    items = created_filter(rt.state.all("price"), p)
    if p.has("active"):
        items = [i for i in items if i["active"] == p.boolean("active")]
    if p.has("product"):
        items = [i for i in items if i["product"] == p.string("product")]
    if p.has("type"):
        items = [i for i in items if i["type"] == p.choice("type", ("one_time", "recurring"))]
    keys = p.array("lookup_keys")
    if keys:
        items = [i for i in items if i["lookup_key"] in keys]
    return expand_page(rt.state, paginate(items, p, "/v1/prices", "price"), p.array("expand"))


CREATE_PRODUCT: Spec = {"name": None, "description": None, "metadata": None, "active": None,
                        "expand": None}
CREATE_PRICE: Spec = {
    "currency": None, "unit_amount": None, "product": None, "lookup_key": None,
    "transfer_lookup_key": None, "nickname": None, "metadata": None, "active": None,
    "expand": None, "product_data": {"name": None, "metadata": None},
    "recurring": {"interval": None, "interval_count": None},
}

routes = [
    Route("/v1/products", endpoint(create_product, CREATE_PRODUCT), methods=["POST"]),
    Route("/v1/products", endpoint(list_products, listing(active=None)), methods=["GET"]),
    Route("/v1/products/{id}", endpoint(retrieve_product, RETRIEVE), methods=["GET"]),
    Route("/v1/prices", endpoint(create_price, CREATE_PRICE), methods=["POST"]),
    Route("/v1/prices", endpoint(list_prices, listing(
        active=None, product=None, type=None, lookup_keys=None)), methods=["GET"]),
    Route("/v1/prices/{id}", endpoint(retrieve_price, RETRIEVE), methods=["GET"]),
]
