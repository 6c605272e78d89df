"""Staff routes for customers, their saved cards and off-session charges (JSON)."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from api.auth import actor, staff_route
from api.bodies import json_object
from api.charge_orders import charge_order
from api.params import parse_charge_id, parse_customer_id
from api.payment_views import charge_status, charge_summary, charge_view, customer_view, payment_methods_view
from api.subscriptions import customer_subscriptions
from api.system import Services
from domain.errors import ChargeNotFound, CustomerNotFound
from domain.model.customer import Customer


def _customer(services: Services, customer_id: str) -> Customer:
    found = services.customers.customer(customer_id)
    if found is None:
        raise CustomerNotFound(customer_id)
    return found


async def get_customer(request: Request) -> Response:
    """``GET /customers/{id}``: sessions, saved cards, charges, subscriptions, entitlements."""
    customer_id = parse_customer_id(request.path_params["customer_id"])
    services: Services = request.app.state.services

    def read() -> dict[str, object]:
        customer = _customer(services, customer_id)
        charges = [c for c in (services.charges.charge_of(i) for i in customer.charges) if c]
        return customer_view(customer, charges, datetime.now(UTC).date(),
                             *customer_subscriptions(services, customer_id))

    return JSONResponse(await run_in_threadpool(read))


async def get_payment_methods(request: Request) -> Response:
    """``GET /customers/{id}/payment-methods``: the cards saved through setup mode."""
    customer_id = parse_customer_id(request.path_params["customer_id"])
    services: Services = request.app.state.services
    customer = await run_in_threadpool(_customer, services, customer_id)
    return JSONResponse(payment_methods_view(customer, datetime.now(UTC).date()))


async def create_charge(request: Request) -> Response:
    """``POST /customers/{id}/charges``: charge a saved card off-session (see the README)."""
    customer_id = parse_customer_id(request.path_params["customer_id"])
    order = charge_order(customer_id, await json_object(request))
    services: Services = request.app.state.services
    charge = await run_in_threadpool(services.charges.charge, order, actor(request))
    return JSONResponse(charge_summary(charge), status_code=charge_status(charge))


async def get_charge(request: Request) -> Response:
    """``GET /charges/{id}``: the charge and its history."""
    charge_id = parse_charge_id(request.path_params["charge_id"])
    services: Services = request.app.state.services

    def read() -> dict[str, object]:
        charge = services.charges.charge_of(charge_id)
        if charge is None:
            raise ChargeNotFound(charge_id)
        return charge_view(charge, services.charges.history(charge_id))

    return JSONResponse(await run_in_threadpool(read))


routes: list[BaseRoute] = [
    staff_route("/customers/{customer_id}", get_customer, methods=["GET"]),
    staff_route("/customers/{customer_id}/payment-methods", get_payment_methods, methods=["GET"]),
    staff_route("/customers/{customer_id}/charges", create_charge, methods=["POST"]),
    staff_route("/charges/{charge_id}", get_charge, methods=["GET"]),
]
