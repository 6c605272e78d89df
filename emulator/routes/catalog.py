"""Products, prices and customers: create, retrieve, list (and customer update)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from emulator.errors import invalid
from emulator.expand import expand
from emulator.forms import Params
from emulator.objects import build_customer, build_price, build_product
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
    page = paginate(items, p, "/v1/prices", "price")
    page["data"] = [expand(rt.state, i, _under_data(p.array("expand"))) for i in page["data"]]
    return page


def _under_data(paths: list[Any]) -> list[str]:
    """List expansions are written ``data.product``; strip the ``data.`` for each item."""
    return [str(x)[5:] for x in paths if str(x).startswith("data.")]


def create_customer(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    email = p.string("email")
    if email is not None and "@" not in email:
        raise invalid(f"Invalid email address: {email}", param="email", code="email_invalid")
    customer = build_customer(email=email, name=p.string("name"),
                              description=p.string("description"), phone=p.string("phone"),
                              metadata=p.metadata())
    rt.state.put(customer)
    rt.state.emit("customer.created", customer)
    return customer


def retrieve_customer(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    return expand(rt.state, rt.state.get("customer", request.path_params["id"]), p.array("expand"))


def update_customer(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    customer = rt.state.get("customer", request.path_params["id"])
    default_pm = p.hash("invoice_settings").string("default_payment_method")
    if default_pm:
        pm = rt.state.get("payment_method", default_pm,
                          param="invoice_settings[default_payment_method]")
        if pm["customer"] != customer["id"]:
            raise invalid(f"No such PaymentMethod: '{default_pm}' is not attached to this "
                          "customer.", param="invoice_settings[default_payment_method]")
    for name in ("email", "name", "description", "phone"):
        if name in p.data:
            customer[name] = p.string(name)
    if "metadata" in p.data:
        customer["metadata"] = {**customer["metadata"], **p.metadata()}
    if default_pm:
        customer["invoice_settings"]["default_payment_method"] = default_pm
    rt.state.emit("customer.updated", customer)
    return customer


def list_customers(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    items = created_filter(rt.state.all("customer"), p)
    if p.has("email"):
        items = [i for i in items if i["email"] == p.string("email")]
    return paginate(items, p, "/v1/customers", "customer")


routes = [
    Route("/v1/products", endpoint(create_product), methods=["POST"]),
    Route("/v1/products", endpoint(list_products), methods=["GET"]),
    Route("/v1/products/{id}", endpoint(retrieve_product), methods=["GET"]),
    Route("/v1/prices", endpoint(create_price), methods=["POST"]),
    Route("/v1/prices", endpoint(list_prices), methods=["GET"]),
    Route("/v1/prices/{id}", endpoint(retrieve_price), methods=["GET"]),
    Route("/v1/customers", endpoint(create_customer), methods=["POST"]),
    Route("/v1/customers", endpoint(list_customers), methods=["GET"]),
    Route("/v1/customers/{id}", endpoint(retrieve_customer), methods=["GET"]),
    Route("/v1/customers/{id}", endpoint(update_customer), methods=["POST"]),
]
