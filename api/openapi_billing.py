"""The OpenAPI paths of subscriptions, entitlements and the test clock (see api/openapi.py)."""

from __future__ import annotations

from typing import Any

_ERROR = {"description": "error", "content": {"application/json": {"schema": {
    "type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}}}}
_STAFF: list[dict[str, list[str]]] = [{"staff": []}]
_CUS_ID = {"name": "customer_id", "in": "path", "required": True,
           "schema": {"type": "string", "pattern": "^cus_[A-Za-z0-9_]+$"}}
_SUB_ID = {"name": "subscription_id", "in": "path", "required": True,
           "schema": {"type": "string", "pattern": "^(sub_[A-Za-z0-9_]+|msub_[a-f0-9]{24})$"}}
_TIME = {"type": ["string", "null"], "format": "date-time"}
SUBSCRIPTION: dict[str, Any] = {
    "type": "object", "required": ["id", "kind", "customer", "status", "current_period_end"],
    "properties": {
        "id": {"type": "string"}, "kind": {"enum": ["stripe", "merchant"]},
        "customer": {"type": "string"},
        "status": {"enum": ["active", "past_due", "unpaid", "canceled"]},
        "current_period_start": _TIME, "current_period_end": _TIME,
        "cancel_at_period_end": {"type": "boolean"},
        "price": {"type": ["string", "null"]}, "plan": {"type": ["string", "null"]},
        "amount": {"type": ["integer", "null"]}, "currency": {"type": ["string", "null"]},
        "interval": {"type": ["string", "null"]}, "next_retry_at": _TIME,
        "past_due_since": _TIME, "recovery_url": {"type": ["string", "null"]}}}
_ENTITLEMENT = {"type": "object", "required": ["source", "since", "until"], "properties": {
    "source": {"type": "string"}, "kind": {"enum": ["one_time", "stripe", "merchant"]},
    "price": {"type": ["string", "null"]}, "plan": {"type": ["string", "null"]},
    "description": {"type": ["string", "null"]}, "since": _TIME, "until": _TIME}}


def _ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _op(summary: str, responses: dict[str, Any], parameters: list[dict[str, Any]],
        body: dict[str, Any] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "security": _STAFF, "parameters": parameters,
                          "responses": {**responses, "401": _ERROR}}
    if body:
        op["requestBody"] = body
    return op


_REASON = _body({"type": "object", "properties": {"reason": {"type": "string"}}}, False)
BILLING_PATHS: dict[str, dict[str, Any]] = {
    "/customers/{customer_id}/subscriptions": {
        "post": _op(
            "Start a merchant-managed subscription; its first period is charged now",
            {"201": _ok("the subscription", SUBSCRIPTION), "400": _ERROR, "404": _ERROR,
             "413": _ERROR, "503": _ERROR}, [_CUS_ID],
            _body({"type": "object", "required": ["amount", "currency", "interval"],
                   "properties": {
                       "amount": {"type": "integer", "minimum": 1, "maximum": 99999999},
                       "currency": {"type": "string", "pattern": "^[a-zA-Z]{3}$"},
                       "interval": {"enum": ["day", "week", "month", "year"]},
                       "interval_count": {"type": "integer", "minimum": 1, "maximum": 365},
                       "payment_method": {"type": "string", "pattern": "^pm_"},
                       "description": {"type": "string", "maxLength": 1000}}})),
        "get": _op(
            "Every subscription of the customer, both kinds",
            {"200": _ok("the subscriptions", {"type": "object", "properties": {
                "customer": {"type": "string"},
                "subscriptions": {"type": "array", "items": SUBSCRIPTION}}}),
             "400": _ERROR, "404": _ERROR}, [_CUS_ID]),
    },
    "/customers/{customer_id}/subscriptions/{subscription_id}/cancel": {"post": _op(
        "Cancel now, or at the end of the paid period (never charged again)",
        {"200": _ok("the subscription", SUBSCRIPTION), "400": _ERROR, "404": _ERROR,
         "413": _ERROR, "502": _ERROR, "503": _ERROR}, [_CUS_ID, _SUB_ID],
        _body({"type": "object", "properties": {"at_period_end": {"type": "boolean"},
                                                "reason": {"type": "string"}}}, False))},
    "/customers/{customer_id}/entitlements": {"get": _op(
        "What the customer may use now (no call to Stripe)",
        {"200": _ok("the entitlements", {"type": "object", "properties": {
            "customer": {"type": "string"}, "as_of": _TIME,
            "entitlements": {"type": "array", "items": _ENTITLEMENT}}}),
         "400": _ERROR, "404": _ERROR}, [_CUS_ID])},
    "/subscriptions/{subscription_id}": {"get": _op(
        "One subscription and its history, now or as of a version",
        {"200": _ok("the subscription", {**SUBSCRIPTION, "properties": {
            **SUBSCRIPTION["properties"], "history": {"type": "array"},
            "version": {"type": "integer"}}}), "400": _ERROR, "404": _ERROR},
        [_SUB_ID, {"name": "version", "in": "query",
                   "schema": {"type": "integer", "minimum": 1}}])},
    "/support/subscriptions/{subscription_id}/retry": {"post": _op(
        "Charge a merchant-managed subscription's unpaid period again now",
        {"200": _ok("the subscription", SUBSCRIPTION), "400": _ERROR, "404": _ERROR,
         "409": _ERROR, "413": _ERROR, "503": _ERROR}, [_SUB_ID], _REASON)},
    "/support/subscriptions/{subscription_id}/recovery-link": {"post": _op(
        "A new recovery Checkout Session for a merchant-managed subscription's unpaid period, "
        "emailed to the customer",
        {"200": _ok("the subscription", SUBSCRIPTION), "400": _ERROR, "404": _ERROR,
         "409": _ERROR, "413": _ERROR, "503": _ERROR}, [_SUB_ID], _REASON)},
    "/support/clock/advance": {"post": _op(
        "TEST_CLOCK=1 only: move the clock forward and run what became due",
        {"200": _ok("the new time and what ran", {"type": "object", "properties": {
            "now": _TIME, "ran": {"type": "object"}}}),
         "400": _ERROR, "404": _ERROR, "413": _ERROR, "503": _ERROR}, [],
        _body({"type": "object", "properties": {"seconds": {"type": "number", "minimum": 0},
                                                "to": {"type": "string",
                                                       "format": "date-time"}}}))},
}
