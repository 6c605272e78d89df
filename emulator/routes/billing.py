"""Subscriptions (create, retrieve, list, update, cancel) and their invoices (retrieve, list, pay)."""

from __future__ import annotations

import copy
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from emulator import one_off_invoices, subscriptions
from emulator.errors import invalid
from emulator.expand import expand, expand_page
from emulator.forms import Params
from emulator.known import RETRIEVE, Spec, listing
from emulator.objects import frozen_at, now
from emulator.pagination import created_filter, paginate
from emulator.routes.billing_params import (
    BEHAVIORS,
    STATUSES,
    attached_payment_method,
    merged_metadata,
    subscription_items,
)
from emulator.runtime import Runtime
from emulator.v1 import endpoint

_DEFAULT_PM = "default_payment_method"


def create_subscription(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    state = rt.state
    customer_id = p.req("customer")
    customer = state.get("customer", customer_id, param="customer")
    items = subscription_items(state, p)
    p.choice("collection_method", ("charge_automatically",))
    behavior = p.choice("payment_behavior", BEHAVIORS, default="allow_incomplete")
    if behavior == "pending_if_incomplete":
        raise invalid("You can only pass `payment_behavior=pending_if_incomplete` when updating "
                      "a subscription.", param="payment_behavior")
    pm_id = p.string(_DEFAULT_PM)
    if pm_id is not None:
        attached_payment_method(state, pm_id, customer_id, _DEFAULT_PM)
    elif behavior != "default_incomplete" and not customer["invoice_settings"].get(_DEFAULT_PM):
        raise invalid("This customer has no attached payment source or default payment method. "
                      "Please consider adding a default payment method.", code="resource_missing")
    assert behavior is not None
    sub = subscriptions.create(
        state, customer, items, default_payment_method=pm_id, metadata=p.metadata(),
        behavior=behavior, off_session=p.boolean("off_session"),
        cancel_at_period_end=p.boolean("cancel_at_period_end"),
        refuse_decline=behavior == "error_if_incomplete")
    return expand(state, sub, p.array("expand"))


def retrieve_subscription(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    sub = rt.state.get("subscription", request.path_params["id"])
    return expand(rt.state, sub, p.array("expand"))


def list_subscriptions(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    items = created_filter(rt.state.all("subscription"), p)
    status = p.choice("status", STATUSES)
    # Stripe leaves canceled subscriptions out unless asked for them.
    if status is None:
        items = [s for s in items if s["status"] != "canceled"]
    elif status == "ended":
        items = [s for s in items if s["status"] in ("canceled", "incomplete_expired")]
    elif status != "all":
        items = [s for s in items if s["status"] == status]
    for name in ("customer", "test_clock"):
        if p.has(name):
            items = [s for s in items if s[name] == p.string(name)]
    if p.has("price"):
        items = [s for s in items
                 if any(i["price"]["id"] == p.string("price") for i in s["items"]["data"])]
    page = paginate(items, p, "/v1/subscriptions", "subscription")
    return expand_page(rt.state, page, p.array("expand"))


def update_subscription(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    state = rt.state
    sub = state.get("subscription", request.path_params["id"])
    if sub["status"] in ("canceled", "incomplete_expired") and set(p.data) - {
            "metadata", "expand"}:
        raise invalid("A canceled subscription can only update its cancellation_details and "
                      "metadata.")
    before = copy.deepcopy(sub)
    customer = state.find("customer", sub["customer"]) or {}
    with frozen_at(subscriptions.clock_time(state, customer)):
        if _DEFAULT_PM in p.data:
            pm_id = p.string(_DEFAULT_PM)
            if pm_id is not None:
                attached_payment_method(state, pm_id, sub["customer"], _DEFAULT_PM)
            sub[_DEFAULT_PM] = pm_id
        if p.has("cancel_at_period_end"):
            at_end = p.boolean("cancel_at_period_end")
            sub.update(cancel_at_period_end=at_end,
                       cancel_at=sub["items"]["data"][0]["current_period_end"] if at_end else None,
                       canceled_at=now() if at_end else None)
            sub["cancellation_details"]["reason"] = "cancellation_requested" if at_end else None
        if "metadata" in p.data:
            sub["metadata"] = merged_metadata(sub["metadata"], p)
        subscriptions.changed(state, sub, before)
    return expand(state, sub, p.array("expand"))


def cancel_subscription(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    state = rt.state
    sub = state.get("subscription", request.path_params["id"])
    details = p.hash("cancellation_details")
    customer = state.find("customer", sub["customer"]) or {}
    with frozen_at(subscriptions.clock_time(state, customer)):
        if sub["status"] not in ("canceled", "incomplete_expired"):
            sub["cancellation_details"].update(comment=details.string("comment"),
                                               feedback=details.string("feedback"))
        subscriptions.cancel(state, sub)
    return expand(state, sub, p.array("expand"))


def retrieve_invoice(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    invoice = rt.state.get("invoice", request.path_params["id"])
    return expand(rt.state, invoice, p.array("expand"))


def list_invoices(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    items = created_filter(rt.state.all("invoice"), p)
    status = p.choice("status", ("draft", "open", "paid", "uncollectible", "void"))
    if status:
        items = [i for i in items if i["status"] == status]
    if p.has("customer"):
        items = [i for i in items if i["customer"] == p.string("customer")]
    if p.has("subscription"):
        items = [i for i in items if (i["parent"] or {}).get("subscription_details", {}).get(
            "subscription") == p.string("subscription")]
    p.choice("collection_method", ("charge_automatically", "send_invoice"))
    page = paginate(items, p, "/v1/invoices", "invoice")
    return expand_page(rt.state, page, p.array("expand"))


def pay_invoice(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    """Attempt an open invoice now: with ``payment_method`` (attached to the customer) or the
    subscription's default; a decline is the card's 402 (the attempt is counted)."""
    state = rt.state
    invoice = state.get("invoice", request.path_params["id"])
    if invoice["parent"] is None:  # of no subscription
        return expand(state, one_off_invoices.pay(state, invoice, p.string("payment_method"),
                                                  p.boolean("off_session")), p.array("expand"))
    if invoice["status"] == "paid":
        raise invalid("Invoice is already paid.")
    if invoice["status"] != "open":
        raise invalid(f"You cannot pay an invoice with status {invoice['status']}.")
    sub = state.get("subscription", invoice["parent"]["subscription_details"]["subscription"])
    pm_id = p.string("payment_method")
    pm = (attached_payment_method(state, pm_id, invoice["customer"], "payment_method")
          if pm_id else subscriptions.payment_method_of(state, sub))
    customer = state.find("customer", invoice["customer"]) or {}
    with frozen_at(subscriptions.clock_time(state, customer)):
        error = subscriptions.pay(state, sub, invoice, pm, off_session=p.boolean("off_session"),
                                  automatic=False)
    if error is not None:
        raise error
    return expand(state, invoice, p.array("expand"))


_ITEM: Spec = {"price": None, "quantity": None, "metadata": None}
CREATE_SUB: Spec = {"customer": None, "items": _ITEM, _DEFAULT_PM: None, "off_session": None,
                    "payment_behavior": None, "metadata": None, "cancel_at_period_end": None,
                    "collection_method": None, "expand": None}
UPDATE_SUB: Spec = {"cancel_at_period_end": None, "metadata": None, _DEFAULT_PM: None,
                    "expand": None}
CANCEL_SUB: Spec = {"expand": None, "cancellation_details": {"comment": None, "feedback": None}}
LIST_SUBS = listing(customer=None, status=None, price=None, test_clock=None)
LIST_INVOICES = listing(customer=None, subscription=None, status=None, collection_method=None)
PAY: Spec = {"payment_method": None, "off_session": None, "expand": None}

routes = [
    Route("/v1/subscriptions", endpoint(create_subscription, CREATE_SUB), methods=["POST"]),
    Route("/v1/subscriptions", endpoint(list_subscriptions, LIST_SUBS), methods=["GET"]),
    Route("/v1/subscriptions/{id}", endpoint(retrieve_subscription, RETRIEVE), methods=["GET"]),
    Route("/v1/subscriptions/{id}", endpoint(update_subscription, UPDATE_SUB),
          methods=["POST"]),
    Route("/v1/subscriptions/{id}", endpoint(cancel_subscription, CANCEL_SUB),
          methods=["DELETE"]),
    Route("/v1/invoices", endpoint(list_invoices, LIST_INVOICES), methods=["GET"]),
    Route("/v1/invoices/{id}", endpoint(retrieve_invoice, RETRIEVE), methods=["GET"]),
    Route("/v1/invoices/{id}/pay", endpoint(pay_invoice, PAY), methods=["POST"]),
]
