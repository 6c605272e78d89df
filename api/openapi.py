"""``GET /openapi.json``: the HTTP contract as an OpenAPI 3.1 document.

Written by hand from the contract (the routes take raw requests, so nothing can be
inferred from signatures); a test checks that every route the app serves is here.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.openapi_billing import BILLING_PATHS
from api.openapi_links import LINK_PATHS

_ERROR = {"description": "error", "content": {"application/json": {"schema": {
    "type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}}}}
_STAFF: list[dict[str, list[str]]] = [{"staff": []}]
_REASON = {"required": False, "content": {"application/json": {"schema": {
    "type": "object", "properties": {"reason": {"type": "string"}}}}}}
_CUS_ID = {"name": "customer_id", "in": "path", "required": True,
           "schema": {"type": "string", "pattern": "^cus_[A-Za-z0-9_]+$"}}
_CHARGE = {"id": {"type": "string"}, "status": {"enum": [
    "succeeded", "processing", "requires_payment_method", "requires_action", "unknown"]},
    "payment_intent": {"type": ["string", "null"]}, "failure": {"type": ["object", "null"]},
    "recovery_url": {"type": ["string", "null"]}, "amount": {"type": "integer"},
    "currency": {"type": "string"}, "customer": {"type": "string"}}
_CS_ID = {"name": "session_id", "in": "path", "required": True,
          "schema": {"type": "string", "pattern": "^cs_[A-Za-z0-9_]+$"}}


def _json(description: str, properties: dict[str, Any] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object"}
    if properties:
        schema["properties"] = properties
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_HEALTH = {
    "status": {"enum": ["ok", "degraded", "unavailable"]},
    "followers": {"type": "object", "additionalProperties": {"type": "object", "properties": {
        "position": {"type": "integer"}, "lag": {"type": "integer"},
        "stalled_seconds": {"type": "number"}}}},
    "age_ms": {"type": "object", "properties": {"store": {"type": "integer", "minimum": 0},
                                                "followers": {"type": "integer", "minimum": 0}}},
}


def _op(summary: str, responses: dict[str, Any], *, staff: bool = False,
        parameters: list[dict[str, Any]] | None = None, body: dict[str, Any] | None = None
        ) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if staff:
        op["security"] = _STAFF
        op["responses"] = {**responses, "401": _ERROR}
    if parameters:
        op["parameters"] = parameters
    if body:
        op["requestBody"] = body
    return op


PATHS: dict[str, dict[str, Any]] = {
    "/webhook": {"post": _op(
        "Stripe's webhook endpoint: verify Stripe-Signature, record the event, answer",
        {"200": _json("recorded, or a duplicate", {"received": {"type": "boolean"},
                                                   "duplicate": {"type": "boolean"}}),
         "400": _ERROR, "413": _ERROR, "503": _ERROR},
        parameters=[{"name": "Stripe-Signature", "in": "header", "required": True,
                     "schema": {"type": "string"}}],
        body={"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
    )},
    "/": {"get": _op("The storefront (HTML)", {
        "200": {"description": "HTML page"},
        "503": {"description": "payments are unavailable (Stripe unreachable, or it refuses "
                               "the API key); the log has the detail"}})},
    "/create-checkout-session": {"post": _op(
        "Create a Checkout Session and redirect to it",
        {"303": {"description": "to the Checkout page"}, "400": _ERROR, "502": _ERROR,
         "503": _ERROR},
        body={"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "object", "required": ["mode"], "properties": {
                "mode": {"enum": ["payment", "setup", "subscription"]},
                "price": {"type": "string"}, "quantity": {"type": "integer", "minimum": 1},
                "customer": {"type": "string"}, "currency": {"type": "string"}}}}}},
    )},
    "/success": {"get": _op(
        "Fulfil the session, then show what was fulfilled (HTML)",
        {"200": {"description": "HTML page"}, "400": {"description": "malformed id"},
         "404": {"description": "unknown session"}, "502": {"description": "Stripe refused"},
         "503": {"description": "Stripe unavailable"}},
        parameters=[{"name": "session_id", "in": "query", "required": True,
                     "schema": {"type": "string"}}],
    )},
    "/healthz": {"get": _op(
        "The store answers and no follower is stalled (lag > 0, no progress for 60 s)",
        {"200": _json("ok, with each follower's position and lag, and how old the store's "
                      "last answer (at most 0.5 s) and the followers' reading (at most 1 s) "
                      "are", _HEALTH),
         "503": _json("unavailable (store) or degraded (a stalled follower named)", _HEALTH)})},
    "/metrics": {"get": _op("Prometheus metrics", {"200": {"description": "text exposition"}})},
    "/favicon.ico": {"get": _op("The shop's icon (SVG)", {"200": {"description": "image/svg+xml"}})},
    "/openapi.json": {"get": _op("This document", {"200": _json("OpenAPI 3.1")})},
    "/sessions/{session_id}": {"get": _op(
        "A session's state, now or as of a version or time",
        {"200": _json("the session"), "400": _ERROR, "404": _ERROR}, staff=True,
        parameters=[_CS_ID,
                    {"name": "version", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {"name": "at", "in": "query", "schema": {"type": "string",
                                                             "format": "date-time"}}],
    )},
    "/sessions/{session_id}/history": {"get": _op(
        "Every event of a session, oldest first",
        {"200": _json("the history"), "400": _ERROR, "404": _ERROR}, staff=True,
        parameters=[_CS_ID],
    )},
    "/events": {"get": _op(
        "The whole ledger in order, a page at a time",
        {"200": _json("a page", {"events": {"type": "array"}, "next": {"type": "integer"}}),
         "400": _ERROR}, staff=True,
        parameters=[{"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                    {"name": "limit", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
    )},
    "/support/failures": {"get": _op(
        "What needs a person, oldest first", {"200": _json("failures")}, staff=True)},
    "/support/sessions/{session_id}/fulfill": {"post": _op(
        "Run the fulfillment again (never twice); recorded with the staff member's name",
        {"200": _json("where the session stands"), "400": _ERROR, "404": _ERROR,
         "413": _ERROR, "502": _ERROR, "503": _ERROR}, staff=True, parameters=[_CS_ID],
        body=_REASON,
    )},
    "/customers/{customer_id}": {"get": _op(
        "The customer as the service knows it: sessions, saved cards, charges",
        {"200": _json("the customer"), "400": _ERROR, "404": _ERROR}, staff=True,
        parameters=[_CUS_ID])},
    "/customers/{customer_id}/payment-methods": {"get": _op(
        "Cards saved through setup mode (status active, detached or expired)",
        {"200": _json("the cards", {"customer": {"type": "string"},
                                    "payment_methods": {"type": "array"}}),
         "400": _ERROR, "404": _ERROR}, staff=True, parameters=[_CUS_ID])},
    "/customers/{customer_id}/charges": {"post": _op(
        "Charge a saved card off-session (the default card unless payment_method is given); "
        "the same idempotency_key again answers the first charge and charges nothing",
        {"201": _json("Stripe answered: charged, or declined with a recovery_url", _CHARGE),
         "202": _json("Stripe's answer was lost: status unknown, resolved in the background "
                      "with the same key", _CHARGE),
         "400": _ERROR, "404": _ERROR, "409": _ERROR, "413": _ERROR, "503": _ERROR},
        staff=True, parameters=[_CUS_ID],
        body={"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["amount", "currency"], "properties": {
                "amount": {"type": "integer", "minimum": 1, "maximum": 99999999},
                "currency": {"type": "string", "pattern": "^[a-zA-Z]{3}$"},
                "payment_method": {"type": "string", "pattern": "^pm_"},
                "description": {"type": "string", "maxLength": 1000},
                "idempotency_key": {"type": "string", "maxLength": 255}}}}}},
    )},
    "/charges/{charge_id}": {"get": _op(
        "One charge and its history (requested, outcome, recovery, notified, recovered)",
        {"200": _json("the charge", {**_CHARGE, "history": {"type": "array"}}),
         "400": _ERROR, "404": _ERROR}, staff=True,
        parameters=[{"name": "charge_id", "in": "path", "required": True,
                     "schema": {"type": "string", "pattern": "^chg_[a-f0-9]{24}$"}}])},
    "/support/events/{event_id}/reprocess": {"post": _op(
        "Apply a stored Stripe event again (the way back for an event_unprocessable case); "
        "never twice; recorded with the staff member's name",
        {"200": _json("what happened", {
            "event": {"type": "string"}, "type": {"type": "string"},
            "status": {"enum": ["applied", "already_applied", "ignored", "failed"]},
            "error": {"type": ["string", "null"]}, "actor": {"type": "string"}}),
         "400": _ERROR, "404": _ERROR, "413": _ERROR, "503": _ERROR}, staff=True,
        parameters=[{"name": "event_id", "in": "path", "required": True,
                     "schema": {"type": "string", "pattern": "^evt_[A-Za-z0-9_]+$"}}],
        body=_REASON,
    )},
}

_CHG_ID = {"name": "charge_id", "in": "path", "required": True,
           "schema": {"type": "string", "pattern": "^chg_[a-f0-9]{24}$"}}
_STAFF_OUTCOME = _json("what the action did", {
    "outcome": {"enum": ["retried", "sent", "nothing_to_do"]}, "detail": {"type": "string"},
    "actor": {"type": "string"}, "charge": {"type": "object", "properties": _CHARGE}})
PATHS.update({
    "/support/charges/{charge_id}/retry": {"post": _op(
        "A new off-session attempt of a declined charge (nothing for one that succeeded, was "
        "recovered or is in flight); recorded with the staff member's name",
        {"200": _STAFF_OUTCOME, "400": _ERROR, "404": _ERROR, "413": _ERROR, "503": _ERROR},
        staff=True, parameters=[_CHG_ID], body=_REASON)},
    "/support/charges/{charge_id}/recovery-link": {"post": _op(
        "A new recovery Checkout Session for a declined charge, emailed to the customer; "
        "recorded with the staff member's name",
        {"200": _STAFF_OUTCOME, "400": _ERROR, "404": _ERROR, "413": _ERROR, "503": _ERROR},
        staff=True, parameters=[_CHG_ID], body=_REASON)},
    "/support/reconcile": {"post": _op(
        "Page through Stripe's /v1/events (every handled type) since the last reconciled "
        "point and ingest the events never delivered, as webhooks are",
        {"200": _json("the counts", {"seen": {"type": "integer"}, "new": {"type": "integer"},
                                     "already_known": {"type": "integer"},
                                     "since": {"type": ["string", "null"]},
                                     "until": {"type": ["string", "null"]}}),
         "400": _ERROR, "413": _ERROR, "503": _ERROR}, staff=True, body=_REASON)},
})
_HTML = {"description": "HTML page"}
_TO_SIGN_IN = {"description": "not signed in: to /support/sign-in (nothing done)"}
_FORM = {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "required": ["csrf", "reason"], "properties": {
        "csrf": {"type": "string"}, "id": {"type": "string"},
        "reason": {"type": "string", "maxLength": 1000}}}}}}
_CONSOLE: list[dict[str, list[str]]] = [{"console": []}]


def _console(summary: str, responses: dict[str, Any], **rest: Any) -> dict[str, Any]:
    """A console route: authenticated by the session cookie, not the bearer token."""
    return {**_op(summary, responses, **rest), "security": _CONSOLE}


PATHS.update({  # the console: HTML, a signed session cookie, a CSRF token on every form
    "/support": {"get": _console("The support console: open failures, counts, filters (HTML)", {
        "200": _HTML, "303": _TO_SIGN_IN, "400": _HTML}, parameters=[
        {"name": "kind", "in": "query", "schema": {"type": "string"}},
        {"name": "customer", "in": "query", "schema": {"type": "string"}}])},
    "/support/sign-in": {
        "get": {**_op("The sign-in form (HTML)", {"200": _HTML,
                                                  "303": {"description": "signed in"}}),
                "security": []},
        "post": {**_op("Sign in with a staff token: sets the console's session cookie", {
            "303": {"description": "signed in"}, "400": _HTML, "401": _HTML, "403": _HTML},
            body={"required": True, "content": {"application/x-www-form-urlencoded": {
                "schema": {"type": "object", "required": ["csrf", "token"]}}}}), "security": []}},
    "/support/sign-out": {"post": _console("End the console session", {
        "303": {"description": "to the sign-in form"}, "403": _HTML})},
    "/support/search": {"get": _console(
        "Find an object by cs_, cus_, pi_, sub_, evt_, chg_ id or email; to its page", {
            "303": {"description": "to the object's page"}, "200": _HTML, "400": _HTML,
            "404": _HTML}, parameters=[{"name": "q", "in": "query", "required": True,
                                        "schema": {"type": "string", "maxLength": 254}}])},
    "/support/view/{kind}/{object_id}": {"get": _console(
        "An object's page: its state (now or ?version=N), timeline and actions (HTML)", {
            "200": _HTML, "303": _TO_SIGN_IN, "400": _HTML, "404": _HTML}, parameters=[
            {"name": "kind", "in": "path", "required": True, "schema": {
                "enum": ["session", "customer", "charge", "event"]}},
            {"name": "object_id", "in": "path", "required": True, "schema": {"type": "string"}},
            {"name": "version", "in": "query", "schema": {"type": "integer", "minimum": 1}}])},
    "/support/act/{kind}/{action}": {"post": _console(
        "A staff action from a console form (session/fulfill, charge/retry, "
        "charge/recovery_link, event/reprocess, service/reconcile), recorded with the "
        "signed-in staff member's name; the answer is shown on the object's page", {
            "303": {"description": "to the object's page, which says what happened"},
            "400": _HTML, "403": _HTML, "404": _HTML, "503": _HTML}, parameters=[
            {"name": "kind", "in": "path", "required": True, "schema": {"type": "string"}},
            {"name": "action", "in": "path", "required": True, "schema": {"type": "string"}}],
        body=_FORM)},
})

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "checkout-ledger", "version": "0.1.0",
             "description": "Event-sourced backend for Stripe Checkout."},
    "paths": {**PATHS, **BILLING_PATHS, **LINK_PATHS},
    "components": {"securitySchemes": {
        "staff": {"type": "http", "scheme": "bearer"},
        "console": {"type": "apiKey", "in": "cookie", "name": "checkout_ledger_console",
                    "description": "the console's signed session, set by POST /support/sign-in"}}},
}


async def openapi(request: Request) -> Response:
    return JSONResponse(DOCUMENT)
