"""``GET /v1/payment_pages/{id}`` and ``POST /v1/payment_pages/{id}/confirm`` (see
:mod:`emulator.payment_pages`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from emulator import payment_pages
from emulator.forms import Params
from emulator.known import RETRIEVE, Spec
from emulator.runtime import Runtime
from emulator.v1 import endpoint


def retrieve(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    session = rt.state.get("checkout.session", request.path_params["id"])
    return payment_pages.page(rt.state, session)


def confirm(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    p.choice("expected_payment_method_type", ("card", *payment_pages.BANK_DEBITS))
    return payment_pages.confirm(
        rt.state, request.path_params["id"], p.req("payment_method"),
        p.integer("expected_amount", minimum=0), rt.schedule_settlement,
        rt.config.settle_delay_seconds)


CONFIRM: Spec = {"payment_method": None, "expected_amount": None,
                 "expected_payment_method_type": None, "expand": None}

routes = [
    Route("/v1/payment_pages/{id}", endpoint(retrieve, RETRIEVE), methods=["GET"]),
    Route("/v1/payment_pages/{id}/confirm", endpoint(confirm, CONFIRM), methods=["POST"]),
]
