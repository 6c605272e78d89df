"""Invoice items and invoices of no subscription: ``POST /v1/invoiceitems``, ``POST /v1/invoices``,
``POST /v1/invoices/{id}/finalize`` (see :mod:`emulator.one_off_invoices`; retrieving, listing
and paying are in :mod:`emulator.routes.billing`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from emulator import one_off_invoices
from emulator.expand import expand
from emulator.forms import Params
from emulator.known import Spec
from emulator.runtime import Runtime
from emulator.v1 import endpoint


def create_item(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    return expand(rt.state, one_off_invoices.create_item(rt.state, p), p.array("expand"))


def create_invoice(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    return expand(rt.state, one_off_invoices.create_invoice(rt.state, p), p.array("expand"))


def finalize(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    invoice = rt.state.get("invoice", request.path_params["id"])
    if "auto_advance" in p.data:
        invoice["auto_advance"] = p.boolean("auto_advance")
    return expand(rt.state, one_off_invoices.finalize(rt.state, invoice), p.array("expand"))


CREATE_ITEM: Spec = {"customer": None, "amount": None, "currency": None, "price": None,
                     "quantity": None, "description": None, "metadata": None, "invoice": None,
                     "expand": None}
CREATE_INVOICE: Spec = {"customer": None, "description": None, "metadata": None,
                        "pending_invoice_items_behavior": None, "auto_advance": None,
                        "collection_method": None, "currency": None, "expand": None}

routes = [
    Route("/v1/invoiceitems", endpoint(create_item, CREATE_ITEM), methods=["POST"]),
    Route("/v1/invoices", endpoint(create_invoice, CREATE_INVOICE), methods=["POST"]),
    Route("/v1/invoices/{id}/finalize", endpoint(finalize, {"auto_advance": None,
                                                            "expand": None}),
          methods=["POST"]),
]
