"""Payment intents, setup intents, payment methods and subscriptions."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from emulator import payments
from emulator.errors import missing_param
from emulator.expand import expand
from emulator.forms import Params
from emulator.objects import now
from emulator.pagination import created_filter, paginate
from emulator.runtime import Runtime
from emulator.v1 import endpoint


def _one(kind: str) -> Any:
    def retrieve(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
        return expand(rt.state, rt.state.get(kind, request.path_params["id"]), p.array("expand"))

    return endpoint(retrieve)


def create_payment_intent(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    return payments.create_payment_intent(rt.state, p)


def confirm_payment_intent(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    pi = rt.state.get("payment_intent", request.path_params["id"])
    pm_id = p.string("payment_method") or pi["payment_method"]
    if not pm_id:
        raise missing_param("payment_method")
    pm = payments.resolve_payment_method(rt.state, pm_id, param="payment_method")
    return payments.confirm_payment_intent(rt.state, pi, pm, off_session=p.boolean("off_session"))


def list_payment_intents(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    items = created_filter(rt.state.all("payment_intent"), p)
    if p.has("customer"):
        items = [i for i in items if i["customer"] == p.string("customer")]
    return paginate(items, p, "/v1/payment_intents", "payment_intent")


def create_payment_method(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    return payments.create_payment_method(rt.state, p)


def retrieve_payment_method(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    return payments.resolve_payment_method(rt.state, request.path_params["id"], param="id")


def attach(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    customer = p.req("customer")
    rt.state.get("customer", customer, param="customer")
    pm = payments.resolve_payment_method(rt.state, request.path_params["id"], param="id")
    return payments.attach(rt.state, pm, customer)


def detach(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    pm = rt.state.get("payment_method", request.path_params["id"])
    if pm["customer"] is not None:
        pm["customer"] = None
        rt.state.emit("payment_method.detached", pm)
    return pm


def _methods_of(rt: Runtime, customer: str, p: Params, url: str) -> dict[str, Any]:
    items = [m for m in rt.state.all("payment_method") if m["customer"] == customer]
    if p.has("type"):
        items = [m for m in items if m["type"] == p.string("type")]
    return paginate(items, p, url, "payment_method")


def customer_payment_methods(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    customer = rt.state.get("customer", request.path_params["id"])["id"]
    return _methods_of(rt, customer, p, f"/v1/customers/{customer}/payment_methods")


def list_payment_methods(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    customer = p.req("customer")
    rt.state.get("customer", customer, param="customer")
    return _methods_of(rt, customer, p, "/v1/payment_methods")


def list_subscriptions(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    items = created_filter(rt.state.all("subscription"), p)
    status = p.string("status")
    # Stripe leaves canceled subscriptions out unless asked for them.
    items = [s for s in items if s["status"] != "canceled"] if status is None else [
        s for s in items if status == "all" or s["status"] == status]
    if p.has("customer"):
        items = [s for s in items if s["customer"] == p.string("customer")]
    return paginate(items, p, "/v1/subscriptions", "subscription")


def update_subscription(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    sub = rt.state.get("subscription", request.path_params["id"])
    if p.has("cancel_at_period_end"):
        sub["cancel_at_period_end"] = p.boolean("cancel_at_period_end")
        sub["cancel_at"] = (sub["items"]["data"][0]["current_period_end"]
                            if sub["cancel_at_period_end"] else None)
    if "metadata" in p.data:
        sub["metadata"] = {**sub["metadata"], **p.metadata()}
    rt.state.emit("customer.subscription.updated", sub)
    return sub


def cancel_subscription(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    sub = rt.state.get("subscription", request.path_params["id"])
    if sub["status"] != "canceled":
        sub.update(status="canceled", canceled_at=now(), ended_at=now())
        rt.state.emit("customer.subscription.deleted", sub)
    return sub


routes = [
    Route("/v1/payment_intents", endpoint(create_payment_intent), methods=["POST"]),
    Route("/v1/payment_intents", endpoint(list_payment_intents), methods=["GET"]),
    Route("/v1/payment_intents/{id}", _one("payment_intent"), methods=["GET"]),
    Route("/v1/payment_intents/{id}/confirm", endpoint(confirm_payment_intent),
          methods=["POST"]),
    Route("/v1/setup_intents/{id}", _one("setup_intent"), methods=["GET"]),
    Route("/v1/payment_methods", endpoint(create_payment_method), methods=["POST"]),
    Route("/v1/payment_methods", endpoint(list_payment_methods), methods=["GET"]),
    Route("/v1/payment_methods/{id}", endpoint(retrieve_payment_method), methods=["GET"]),
    Route("/v1/payment_methods/{id}/attach", endpoint(attach), methods=["POST"]),
    Route("/v1/payment_methods/{id}/detach", endpoint(detach), methods=["POST"]),
    Route("/v1/customers/{id}/payment_methods", endpoint(customer_payment_methods),
          methods=["GET"]),
    Route("/v1/subscriptions", endpoint(list_subscriptions), methods=["GET"]),
    Route("/v1/subscriptions/{id}", _one("subscription"), methods=["GET"]),
    Route("/v1/subscriptions/{id}", endpoint(update_subscription), methods=["POST"]),
    Route("/v1/subscriptions/{id}", endpoint(cancel_subscription), methods=["DELETE"]),
]
