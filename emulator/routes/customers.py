"""Customers: create, retrieve (a deleted one answers ``deleted: true``), update, list, delete."""

from __future__ import annotations

import copy
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from emulator import payment_methods, subscriptions
from emulator.diff import previous_attributes
from emulator.errors import invalid
from emulator.expand import expand, expand_page
from emulator.forms import Params
from emulator.known import RETRIEVE, Spec, listing
from emulator.objects import build_customer, frozen_at
from emulator.pagination import created_filter, paginate
from emulator.runtime import Runtime
from emulator.shapes import template
from emulator.state import EmulatorState
from emulator.v1 import endpoint

_FIELDS = ("email", "name", "description", "phone")
_DEFAULT_PM = "invoice_settings[default_payment_method]"


def _email(p: Params) -> str | None:
    email = p.string("email")
    if email is not None and ("@" not in email or len(email) > 512):
        raise invalid(f"Invalid email address: {email}", param="email", code="email_invalid")
    return email


def _default_pm(state: EmulatorState, p: Params, customer_id: str, also: str | None = None
                ) -> str | None:
    """``invoice_settings[default_payment_method]``, which must be attached to the customer."""
    pm_id = p.hash("invoice_settings").string("default_payment_method")
    if pm_id is None or pm_id == also:
        return pm_id
    pm = state.get("payment_method", pm_id, param=_DEFAULT_PM)
    if pm["customer"] != customer_id:
        raise invalid(f"The customer does not have a payment method with the ID {pm_id}. The "
                      "payment method must be attached to the customer.", param=_DEFAULT_PM,
                      code="resource_missing")
    return pm_id


def create_customer(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    clock = None
    if p.has("test_clock"):
        clock = rt.state.get("test_helpers.test_clock", p.req("test_clock"), param="test_clock")
    # A customer on a test clock is created at the clock's time, like all it does after.
    with frozen_at(clock["frozen_time"] if clock else None):
        customer = build_customer(email=_email(p), name=p.string("name"),
                                  description=p.string("description"), phone=p.string("phone"),
                                  metadata=p.metadata())
    customer["test_clock"] = clock["id"] if clock else None
    pm = None
    if p.has("payment_method"):
        pm = payment_methods.resolve(rt.state, p.req("payment_method"), param="payment_method")
        if pm["customer"] is not None:
            raise invalid("The payment method you provided has already been attached to a "
                          "customer.", param="payment_method")
        payment_methods.usable(rt.state, pm)
    given = p.string("payment_method")
    default = _default_pm(rt.state, p, customer["id"], also=given)
    if pm is not None and default == given:
        default = pm["id"]  # ``pm_card_visa`` twice names the one card made from it
    customer["invoice_settings"]["default_payment_method"] = default
    rt.state.put(customer)
    rt.state.emit("customer.created", customer)
    if pm is not None:
        payment_methods.attach(rt.state, pm, customer["id"])
    return expand(rt.state, customer, p.array("expand"))


def retrieve_customer(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    deleted = rt.state.deleted_customers.get(request.path_params["id"])
    if deleted is not None:
        return deleted
    return expand(rt.state, rt.state.get("customer", request.path_params["id"]), p.array("expand"))


def update_customer(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    customer = rt.state.get("customer", request.path_params["id"])
    before = copy.deepcopy(customer)
    default_pm = _default_pm(rt.state, p, customer["id"])
    email = _email(p)
    for name in _FIELDS:
        if name in p.data:
            customer[name] = email if name == "email" else p.string(name)
    if "metadata" in p.data:
        p.metadata()  # validates
        raw = p.data["metadata"] or {}
        # Stripe: ``metadata[k]=`` unsets k; ``metadata=`` unsets every key.
        merged = {**customer["metadata"], **raw} if raw else {}
        customer["metadata"] = {k: v for k, v in merged.items() if v != ""}
    if "default_payment_method" in p.hash("invoice_settings").data:
        customer["invoice_settings"]["default_payment_method"] = default_pm
    changed = previous_attributes(before, customer)
    if changed:
        rt.state.emit("customer.updated", customer, changed)
    return expand(rt.state, customer, p.array("expand"))


def list_customers(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    items = created_filter(rt.state.all("customer"), p)
    for name in ("email", "test_clock"):
        if p.has(name):
            items = [i for i in items if i[name] == p.string(name)]
    return expand_page(rt.state, paginate(items, p, "/v1/customers", "customer"),
                       p.array("expand"))


def delete_customer(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    """Gone for good: its subscriptions are canceled; retrieving it answers ``deleted: true``."""
    customer = rt.state.get("customer", request.path_params["id"])
    with frozen_at(subscriptions.clock_time(rt.state, customer)):
        for sub in rt.state.all("subscription"):
            if sub["customer"] == customer["id"]:
                subscriptions.cancel(rt.state, sub)
    del rt.state.objects["customer"][customer["id"]]
    deleted = template("deleted_customer")
    deleted.update(id=customer["id"], object="customer", deleted=True)
    rt.state.deleted_customers[customer["id"]] = deleted
    rt.state.emit("customer.deleted", customer)
    return deleted


_SETTINGS: Spec = {"default_payment_method": None}
CREATE: Spec = {"email": None, "name": None, "description": None, "phone": None,
                "metadata": None, "payment_method": None, "invoice_settings": _SETTINGS,
                "expand": None, "test_clock": None}
UPDATE: Spec = {k: v for k, v in CREATE.items() if k not in ("payment_method", "test_clock")}

routes = [
    Route("/v1/customers", endpoint(create_customer, CREATE), methods=["POST"]),
    Route("/v1/customers", endpoint(list_customers, listing(email=None, test_clock=None)), methods=["GET"]),
    Route("/v1/customers/{id}", endpoint(retrieve_customer, RETRIEVE), methods=["GET"]),
    Route("/v1/customers/{id}", endpoint(update_customer, UPDATE), methods=["POST"]),
    Route("/v1/customers/{id}", endpoint(delete_customer, {}), methods=["DELETE"]),
]
