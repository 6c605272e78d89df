"""``/_emulator/faults``: make the next N calls of a ``/v1`` route fail (test switch, JSON).

- ``POST /_emulator/faults`` arms one rule and answers it (with its ``id``)::

    {"method": "GET", "path": "/v1/checkout/sessions/*", "fault": "503", "count": 3}
    {"method": "GET", "path": "/v1/prices", "fault": "429"}
    {"method": "POST", "path": "/v1/checkout/sessions", "fault": "timeout", "seconds": 5}
    {"method": "GET", "path": "/v1/checkout/sessions/*", "fault": "error", "status": 400,
     "error": {"type": "invalid_request_error", "message": "..."}}
    {"method": "POST", "path": "/v1/payment_intents", "fault": "error", "status": 402,
     "error": {"type": "card_error", ...}, "params": {"customer": "cus_..."}}

  ``fault``: ``500`` / ``502`` / ``503`` (``{"error": {"type": "api_error", ...}}``), ``429``
  (``{"error": {"type": "invalid_request_error", "code": "rate_limit", ...}}``), ``timeout``
  (the answer is held ``seconds``, default 30, then the call goes through) or ``error``.
  ``count`` defaults to 1. ``*`` matches within one path segment, ``**`` across segments.
  ``params`` (optional): only calls whose query or form parameters hold those values
  (nested for Stripe's brackets: ``{"metadata": {"plan": "pro"}}``) match.
- ``GET /_emulator/faults``: ``{"faults": [armed rules, count = calls left],
  "injected": [{"rule", "method", "path", "fault", "at"}, ...]}``.
- ``DELETE /_emulator/faults``: disarm every rule (``/_emulator/reset`` does too).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from emulator.faults import BadFault, FaultRule
from emulator.routes.control import BadControlRequest, bad_request, json_body
from emulator.runtime import runtime_of

_FIELDS: dict[str, type | tuple[type, ...]] = {
    "method": str, "path": str, "fault": str, "count": int, "seconds": (int, float),
    "status": int, "error": dict, "params": dict,
}


def _rule(body: dict[str, Any]) -> FaultRule:
    for name, value in body.items():
        wanted = _FIELDS.get(name)
        if wanted is None:
            raise BadFault(f"unknown field: {name}")
        if isinstance(value, bool) or not isinstance(value, wanted):
            raise BadFault(f"{name} has the wrong type")
    for name in ("method", "path", "fault"):
        if name not in body:
            raise BadFault(f"missing field: {name}")
    return FaultRule(method=body["method"], path=body["path"], fault=body["fault"],
                     remaining=body.get("count", 1), seconds=float(body.get("seconds", 30.0)),
                     status=body.get("status"), error=body.get("error"),
                     params=body.get("params"))


async def faults(request: Request) -> JSONResponse:
    """Arm a rule (POST), list rules and injected faults (GET), or disarm all (DELETE)."""
    table = runtime_of(request).faults
    if request.method == "GET":
        return JSONResponse(table.snapshot())
    if request.method == "DELETE":
        table.clear()
        return JSONResponse(table.snapshot())
    try:
        rule = _rule(await json_body(request))
    except (BadControlRequest, BadFault) as exc:
        return bad_request(str(exc))
    return JSONResponse(table.add(rule).describe())


routes = [Route("/_emulator/faults", faults, methods=["GET", "POST", "DELETE"])]
