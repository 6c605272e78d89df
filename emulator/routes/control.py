"""Test switches and shortcuts under ``/_emulator`` (JSON, no API key; never part of Stripe's API).

- ``GET|POST /_emulator/delivery``: read / change ``{"duplicate", "reverse_order", "delay_seconds",
  "drop", "drop_share", "late_share", "late_seconds"}`` (``emulator/delivery.py``; shares 0-1).
- ``POST /_emulator/checkout/sessions/{id}/pay``: ``{"card": "4242..."}``, ``{"method":
  "saved_card", "payment_method": "pm_..."}`` (the card the page pre-fills) or ``{"method":
  "bank_debit_succeeds" | "bank_debit_fails"}``, the hosted page's effect without a browser.
- ``POST /_emulator/checkout/sessions/{id}/settle``: settle a pending bank debit now.
- ``GET /_emulator/deliveries``: every delivery attempt (``?event=evt_...`` to filter).
- ``POST /_emulator/flush``: wait for test clocks still advancing, release held events, wait until
  no delivery is pending (``{"timeout": seconds}``); 504 if they did not finish in time.
- ``POST /_emulator/reset``: forget everything.
- ``/_emulator/faults``: make the next N calls of a ``/v1`` route fail (``emulator/routes/faults.py``).
- ``/_emulator/clock``: move the hosted page's clock (the prefill's 30 minutes,
  ``emulator/routes/page_clock.py``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from emulator import checkout_debit, checkout_flow
from emulator.delivery import DeliverySwitches
from emulator.errors import StripeError
from emulator.runtime import runtime_of


class BadControlRequest(Exception):
    """A control call with a body we cannot use."""


async def json_body(request: Request) -> dict[str, Any]:
    """The control call's JSON object (an empty body is ``{}``)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise BadControlRequest("body is not JSON") from None
    if not isinstance(data, dict):
        raise BadControlRequest("body must be a JSON object")
    return data


def bad_request(message: str) -> JSONResponse:
    """400 in Stripe's error shape, for a control call we cannot use."""
    return JSONResponse({"error": {"type": "invalid_request_error", "message": message}}, 400)


async def delivery(request: Request) -> JSONResponse:
    """Read or change the delivery switches."""
    rt = runtime_of(request)
    if request.method == "GET":
        return JSONResponse(asdict(rt.deliverer.switches))
    try:
        changes = await json_body(request)
    except BadControlRequest as exc:
        return bad_request(str(exc))
    types = {f.name: f.type for f in fields(DeliverySwitches)}
    for name, value in changes.items():
        if name not in types:
            return bad_request(f"unknown switch: {name}")
        wanted_float = types[name] in ("float", float)
        ok = (isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
              if wanted_float else isinstance(value, bool))
        if not ok:
            return bad_request(f"{name} must be {'a number >= 0' if wanted_float else 'a boolean'}")
        if name.endswith("_share") and value > 1:
            return bad_request(f"{name} must be a share from 0 to 1")
    switches = await run_in_threadpool(rt.deliverer.configure, **changes)
    return JSONResponse(asdict(switches))


async def pay(request: Request) -> JSONResponse:
    """Pay a session as the hosted page would."""
    rt = runtime_of(request)
    session_id = request.path_params["id"]
    try:
        body = await json_body(request)
    except BadControlRequest as exc:
        return bad_request(str(exc))
    method = str(body.get("method") or "card")
    try:
        if method == "card":
            if not isinstance(body.get("card"), str):
                return bad_request('give {"card": "4242424242424242"}, {"method": "saved_card", '
                                   '"payment_method": "pm_..."} or {"method": "bank_debit_..."}')
            session = checkout_flow.pay_with_card(rt.state, session_id, body["card"])
        elif method == "saved_card":
            session = checkout_flow.pay_with_saved_card(rt.state, session_id,
                                                        str(body.get("payment_method") or ""))
        else:
            session = checkout_debit.pay_with_bank_debit(rt.state, session_id, method,
                                                         rt.schedule_settlement,
                                                         rt.config.settle_delay_seconds)
    except StripeError as exc:
        return JSONResponse(exc.body(), exc.status)
    return JSONResponse({"session": session, "redirect_url": checkout_flow.redirect_url(session)})


async def settle(request: Request) -> JSONResponse:
    """Settle the session's pending bank debit now."""
    rt = runtime_of(request)
    try:
        session = checkout_debit.settle(rt.state, request.path_params["id"])
    except StripeError as exc:
        return JSONResponse(exc.body(), exc.status)
    return JSONResponse({"session": session})


async def deliveries(request: Request) -> JSONResponse:
    """The log of delivery attempts, oldest first."""
    rt = runtime_of(request)
    with rt.deliverer.lock:
        log = list(rt.deliverer.log)
    event = request.query_params.get("event")
    if event:
        log = [entry for entry in log if entry["event"] == event]
    return JSONResponse({"deliveries": log, "pending": rt.deliverer.pending()})


async def flush(request: Request) -> JSONResponse:
    """Release held events and wait until every delivery is done (or the timeout passes)."""
    rt = runtime_of(request)
    try:
        body = await json_body(request)
    except BadControlRequest as exc:
        return bad_request(str(exc))
    timeout = body.get("timeout", rt.config.flush_timeout_seconds)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout < 0:
        return bad_request("timeout must be a number of seconds")
    clocks_done = await run_in_threadpool(rt.scheduler.wait_idle, "test_clock", float(timeout))
    rt.deliverer.release_held()
    done = clocks_done and await run_in_threadpool(rt.scheduler.wait_idle, "delivery",
                                                   float(timeout))
    return JSONResponse({"flushed": done, "pending": rt.deliverer.pending()},
                        200 if done else 504)


async def reset(request: Request) -> JSONResponse:
    """Forget every object, event, endpoint, switch and queued delivery."""
    runtime_of(request).reset()
    return JSONResponse({"reset": True})


async def health(request: Request) -> JSONResponse:
    """Answers as soon as the server runs (``EmulatorServer.start`` polls it)."""
    return JSONResponse({"ok": True})


routes = [
    Route("/_emulator/delivery", delivery, methods=["GET", "POST"]),
    Route("/_emulator/checkout/sessions/{id}/pay", pay, methods=["POST"]),
    Route("/_emulator/checkout/sessions/{id}/settle", settle, methods=["POST"]),
    Route("/_emulator/deliveries", deliveries, methods=["GET"]),
    Route("/_emulator/flush", flush, methods=["POST"]),
    Route("/_emulator/reset", reset, methods=["POST"]),
    Route("/_emulator/health", health, methods=["GET"]),
]
