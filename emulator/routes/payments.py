"""Payment intents, charges, setup intents and payment methods."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from emulator import payment_methods, payments, shipping
from emulator.errors import missing_param
from emulator.expand import expand, expand_page
from emulator.forms import Params
from emulator.known import LIST, RETRIEVE, Spec, listing
from emulator.pagination import created_filter, paginate
from emulator.runtime import Runtime
from emulator.v1 import endpoint


def _one(kind: str, spec: Spec = RETRIEVE) -> Any:
    def retrieve(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
        return expand(rt.state, rt.state.get(kind, request.path_params["id"]), p.array("expand"))

    return endpoint(retrieve, spec)


def create_payment_intent(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    return expand(rt.state, payments.create_payment_intent(rt.state, p), p.array("expand"))


def confirm_payment_intent(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    pi = rt.state.get("payment_intent", request.path_params["id"])
    pm_id = p.string("payment_method") or pi["payment_method"]
    if not pm_id:
        raise missing_param("payment_method")
    pm = payment_methods.resolve(rt.state, pm_id, param="payment_method")
    off_session = p.choice("off_session", payments.OFF_SESSION) not in (None, "false")
    return expand(rt.state, payments.confirm_payment_intent(rt.state, pi, pm,
                                                            off_session=off_session),
                  p.array("expand"))


def list_payment_intents(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    items = created_filter(rt.state.all("payment_intent"), p)
    if p.has("customer"):
        items = [i for i in items if i["customer"] == p.string("customer")]
    page = paginate(items, p, "/v1/payment_intents", "payment_intent")
    return expand_page(rt.state, page, p.array("expand"))


def list_charges(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    items = created_filter(rt.state.all("charge"), p)
    for name in ("customer", "payment_intent"):
        if p.has(name):
            items = [i for i in items if i[name] == p.string(name)]
    return expand_page(rt.state, paginate(items, p, "/v1/charges", "charge"), p.array("expand"))


def create_payment_method(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    return expand(rt.state, payment_methods.create(rt.state, p), p.array("expand"))


def retrieve_payment_method(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    pm = payment_methods.resolve(rt.state, request.path_params["id"], param="id")
    return expand(rt.state, pm, p.array("expand"))


def update_payment_method(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    pm = rt.state.get("payment_method", request.path_params["id"])
    return expand(rt.state, payment_methods.update(rt.state, pm, p), p.array("expand"))


def attach(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    customer = p.req("customer")
    rt.state.get("customer", customer, param="customer")
    pm = payment_methods.resolve(rt.state, request.path_params["id"], param="id")
    return expand(rt.state, payment_methods.attach(rt.state, pm, customer), p.array("expand"))


def detach(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    pm = rt.state.get("payment_method", request.path_params["id"])
    return expand(rt.state, payment_methods.detach(rt.state, pm), p.array("expand"))


def _methods_of(rt: Runtime, customer: str, p: Params, url: str) -> dict[str, Any]:
    items = [m for m in rt.state.all("payment_method") if m["customer"] == customer]
    if p.has("type"):
        items = [m for m in items if m["type"] == p.string("type")]
    return expand_page(rt.state, paginate(items, p, url, "payment_method"), p.array("expand"))


def customer_payment_methods(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    customer = rt.state.get("customer", request.path_params["id"])["id"]
    return _methods_of(rt, customer, p, f"/v1/customers/{customer}/payment_methods")


def list_payment_methods(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    customer = p.req("customer")
    rt.state.get("customer", customer, param="customer")
    return _methods_of(rt, customer, p, "/v1/payment_methods")


PAGE: Spec = {k: v for k, v in LIST.items() if k != "created"}
SECRET: Spec = {"expand": None, "client_secret": None}
CREATE_PI: Spec = {"amount": None, "currency": None, "customer": None, "payment_method": None,
                   "confirm": None, "off_session": None, "description": None, "metadata": None,
                   "payment_method_types": None, "setup_future_usage": None,
                   "receipt_email": None, "shipping": shipping.SPEC, "expand": None}
CONFIRM_PI: Spec = {"payment_method": None, "off_session": None, "expand": None}
_BILLING: Spec = {"email": None, "name": None, "phone": None, "address": {
    "city": None, "country": None, "line1": None, "line2": None, "postal_code": None,
    "state": None}}
CREATE_PM: Spec = {"type": None, "metadata": None, "expand": None, "allow_redisplay": None,
                   "billing_details": _BILLING,
                   "card": {"number": None, "exp_month": None, "exp_year": None, "cvc": None,
                            "token": None},
                   "sepa_debit": {"iban": None}}
UPDATE_PM: Spec = {"metadata": None, "expand": None, "allow_redisplay": None,
                   "billing_details": _BILLING}
LIST_PMS: Spec = {**PAGE, "customer": None, "type": None}

routes = [
    Route("/v1/payment_intents", endpoint(create_payment_intent, CREATE_PI), methods=["POST"]),
    Route("/v1/payment_intents", endpoint(list_payment_intents, listing(customer=None)),
          methods=["GET"]),
    Route("/v1/payment_intents/{id}", _one("payment_intent", SECRET), methods=["GET"]),
    Route("/v1/payment_intents/{id}/confirm", endpoint(confirm_payment_intent, CONFIRM_PI),
          methods=["POST"]),
    Route("/v1/charges", endpoint(list_charges, listing(customer=None, payment_intent=None)),
          methods=["GET"]),
    Route("/v1/charges/{id}", _one("charge"), methods=["GET"]),
    Route("/v1/setup_intents/{id}", _one("setup_intent", SECRET), methods=["GET"]),
    Route("/v1/payment_methods", endpoint(create_payment_method, CREATE_PM), methods=["POST"]),
    Route("/v1/payment_methods", endpoint(list_payment_methods, LIST_PMS), methods=["GET"]),
    Route("/v1/payment_methods/{id}", endpoint(retrieve_payment_method, RETRIEVE),
          methods=["GET"]),
    Route("/v1/payment_methods/{id}", endpoint(update_payment_method, UPDATE_PM),
          methods=["POST"]),
    Route("/v1/payment_methods/{id}/attach",
          endpoint(attach, {"customer": None, "expand": None}), methods=["POST"]),
    Route("/v1/payment_methods/{id}/detach", endpoint(detach, RETRIEVE), methods=["POST"]),
    Route("/v1/customers/{id}/payment_methods",
          endpoint(customer_payment_methods, {**PAGE, "type": None}), methods=["GET"]),
]
