"""Staff routes for subscriptions, entitlements and the test clock (JSON)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from api.auth import actor, staff_route
from api.bodies import json_object
from api.params import BadParameter, parse_customer_id, parse_subscription_id, parse_time, query
from api.subscription_orders import cancel_order, reason_only, subscription_order
from api.subscription_views import entitlement_view, subscription_view, subscription_with_history
from api.system import Services
from api.views import iso
from domain.errors import CustomerNotFound, SubscriptionNotFound
from domain.model.service_clock import ClockMovedBack
from domain.model.subscription_facts import CANCELED, MERCHANT, SubscriptionView

MAX_ADVANCE = timedelta(days=5 * 366)


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def create_subscription(request: Request) -> Response:
    """``POST /customers/{id}/subscriptions``: start a merchant-managed subscription and
    charge its first period."""
    customer_id = parse_customer_id(request.path_params["customer_id"])
    order = subscription_order(customer_id, await json_object(request))
    services = _services(request)
    sub = await run_in_threadpool(services.subscriptions.start, order, actor(request))
    return JSONResponse(subscription_view(sub.view()), status_code=201)


async def list_subscriptions(request: Request) -> Response:
    """``GET /customers/{id}/subscriptions``: both kinds, newest state of each."""
    customer_id = parse_customer_id(request.path_params["customer_id"])
    services = _services(request)
    views = await run_in_threadpool(_subscriptions_of, services, customer_id)
    return JSONResponse({"customer": customer_id,
                         "subscriptions": [subscription_view(v) for v in views]})


async def cancel_subscription(request: Request) -> Response:
    """``POST /customers/{id}/subscriptions/{sub}/cancel``: now, or at the period's end."""
    customer_id = parse_customer_id(request.path_params["customer_id"])
    subscription_id = parse_subscription_id(request.path_params["subscription_id"])
    at_period_end, reason = cancel_order(await json_object(request))
    services = _services(request)

    def cancel() -> SubscriptionView:
        view = _owned(services, customer_id, subscription_id)
        if view.kind == MERCHANT:
            return services.subscriptions.cancel(subscription_id, at_period_end, staff,
                                                 reason).view()
        # Stripe's: asked of Stripe; its events bring the change to the ledger.
        action = "cancel_at_period_end" if at_period_end else "cancel"
        status, at_end = services.stripe.cancel_subscription(
            subscription_id, at_period_end, f"checkout-ledger:{subscription_id}:{action}")
        services.ledger.record_subscription_request(subscription_id, action, staff, reason)
        shown = {"canceled": CANCELED}.get(status, view.status)
        return replace(view, status=shown, cancel_at_period_end=at_end)

    staff = actor(request)

    return JSONResponse(subscription_view(await run_in_threadpool(cancel)))


async def get_entitlements(request: Request) -> Response:
    """``GET /customers/{id}/entitlements``: what the customer may use now."""
    customer_id = parse_customer_id(request.path_params["customer_id"])
    return JSONResponse(await run_in_threadpool(entitlements_of, _services(request),
                                                customer_id))


def entitlements_of(services: Services, customer_id: str) -> dict[str, Any]:
    """The body of ``GET /customers/{id}/entitlements``; the customer's Access is read once
    (raises :class:`~domain.errors.CustomerNotFound`)."""
    access = services.customers.access(customer_id)
    if access is None and services.customers.customer(customer_id) is None:
        raise CustomerNotFound(customer_id)
    now = services.subscriptions.now()
    found = access.entitlements(now, services.settings.grace_period) if access else []
    return {"customer": customer_id, "as_of": iso(now),
            "entitlements": [entitlement_view(e) for e in found]}


async def get_subscription(request: Request) -> Response:
    """``GET /subscriptions/{id}[?version=N]``: one subscription (either kind) and its
    history."""
    subscription_id = parse_subscription_id(request.path_params["subscription_id"])
    raw = query(request, "version")
    version = int(raw) if raw is not None and raw.isdigit() and 0 < int(raw) < 10**9 else None
    if raw is not None and version is None:
        raise BadParameter("version must be a positive integer")
    services = _services(request)

    def read() -> dict[str, Any]:
        if subscription_id.startswith("sub_"):  # Stripe's, kept by the ledger
            stripe_sub, history = services.ledger.subscription_and_history(
                subscription_id, version)
            return subscription_with_history(stripe_sub.view(), history)
        sub, own = services.subscriptions.subscription_and_history(subscription_id, version)
        return subscription_with_history(sub.view(), own)

    return JSONResponse(await run_in_threadpool(read))


async def retry_subscription(request: Request) -> Response:
    """``POST /support/subscriptions/{id}/retry``: charge the unpaid period again now."""
    subscription_id = parse_subscription_id(request.path_params["subscription_id"])
    reason = reason_only(await json_object(request))
    services = _services(request)
    sub = await run_in_threadpool(services.subscriptions.retry_now, subscription_id,
                                  actor(request), reason)
    return JSONResponse(subscription_view(sub.view()))


async def send_subscription_link(request: Request) -> Response:
    """``POST /support/subscriptions/{id}/recovery-link``: a new recovery Checkout Session
    for the unpaid period, emailed to the customer."""
    subscription_id = parse_subscription_id(request.path_params["subscription_id"])
    reason = reason_only(await json_object(request))
    services = _services(request)
    sub = await run_in_threadpool(services.subscriptions.send_new_link, subscription_id,
                                  actor(request), reason)
    return JSONResponse(subscription_view(sub.view()))


async def advance_clock(request: Request) -> Response:
    """``POST /support/clock/advance``: move the test clock forward and run what is due."""
    services = _services(request)
    if not services.settings.test_clock:
        raise HTTPException(404, "the test clock is off (start the service with TEST_CLOCK=1)")
    body = await json_object(request)
    subscriptions = services.subscriptions

    def advance() -> dict[str, Any]:
        to = _target(body, subscriptions.now())
        try:
            now = subscriptions.move_clock(to, actor(request))
        except ClockMovedBack as error:
            raise BadParameter(str(error)) from None
        return {"now": iso(now), "ran": subscriptions.run_due(now)}

    return JSONResponse(await run_in_threadpool(advance))


def _target(body: dict[str, Any], now: datetime) -> datetime:
    """Where ``{"seconds": N}`` or ``{"to": ISO-8601}`` moves the clock from ``now``."""
    if set(body) not in ({"seconds"}, {"to"}):
        raise BadParameter('expected exactly one of {"seconds": N} or {"to": ISO-8601}')
    if "to" in body:
        if not isinstance(body["to"], str):
            raise BadParameter("to must be an ISO-8601 time with its offset")
        to = parse_time(body["to"])
    else:
        seconds = body["seconds"]
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            raise BadParameter("seconds must be a number of seconds, 0 or more")
        if seconds > MAX_ADVANCE.total_seconds():
            raise BadParameter(f"seconds must be at most {int(MAX_ADVANCE.total_seconds())}")
        to = now + timedelta(seconds=seconds)
    if to - now > MAX_ADVANCE:
        raise BadParameter("the clock moves at most 5 years at a time")
    return to


def customer_subscriptions(services: Services, customer_id: str
                           ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The customer's subscriptions (each as its owner shows it now) and entitlements, as
    ``GET /customers/{id}`` shows them."""
    access = services.customers.access(customer_id)
    if access is None:
        return [], []
    now = services.subscriptions.now()
    views = [services.view_of(v.id) or v for v in access.subscriptions.values()]
    return ([subscription_view(v) for v in views],
            [entitlement_view(e) for e in access.entitlements(now, services.settings.grace_period)])


def _subscriptions_of(services: Services, customer_id: str) -> list[SubscriptionView]:
    access = services.customers.access(customer_id)
    if access is None:
        if services.customers.customer(customer_id) is None:
            raise CustomerNotFound(customer_id)
        return []
    return [services.view_of(view.id) or view for view in access.subscriptions.values()]


def _owned(services: Services, customer_id: str, subscription_id: str) -> SubscriptionView:
    view = services.view_of(subscription_id)
    if view is None or view.customer != customer_id:
        raise SubscriptionNotFound(subscription_id)
    return view


routes: list[BaseRoute] = [
    staff_route("/customers/{customer_id}/subscriptions", create_subscription, methods=["POST"]),
    staff_route("/customers/{customer_id}/subscriptions", list_subscriptions, methods=["GET"]),
    staff_route("/customers/{customer_id}/subscriptions/{subscription_id}/cancel",
                cancel_subscription, methods=["POST"]),
    staff_route("/customers/{customer_id}/entitlements", get_entitlements, methods=["GET"]),
    staff_route("/subscriptions/{subscription_id}", get_subscription, methods=["GET"]),
    staff_route("/support/subscriptions/{subscription_id}/retry", retry_subscription,
                methods=["POST"]),
    staff_route("/support/subscriptions/{subscription_id}/recovery-link",
                send_subscription_link, methods=["POST"]),
    staff_route("/support/clock/advance", advance_clock, methods=["POST"]),
]
