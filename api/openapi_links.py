"""The OpenAPI paths of Payment Links (see api/openapi.py)."""

from __future__ import annotations

from typing import Any

_ERROR = {"description": "error", "content": {"application/json": {"schema": {
    "type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}}}}
_STAFF: list[dict[str, list[str]]] = [{"staff": []}]
_TIME = {"type": ["string", "null"], "format": "date-time"}
PAYMENT_LINK: dict[str, Any] = {
    "type": "object", "required": ["id", "url", "price", "quantity", "active", "created_at"],
    "properties": {
        "id": {"type": "string", "pattern": "^plink_"}, "url": {"type": "string"},
        "price": {"type": "string"}, "quantity": {"type": "integer"},
        "active": {"type": "boolean"}, "created_at": _TIME,
        "created_by": {"type": "string"},
        "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
        "deactivated_at": _TIME, "deactivated_by": {"type": ["string", "null"]}}}


def _link(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": PAYMENT_LINK}}}


LINK_PATHS: dict[str, dict[str, Any]] = {
    "/payment-links": {
        "post": {
            "summary": "Create a Stripe Payment Link for one price; after payment Stripe "
                       "redirects to $PUBLIC_URL/success?session_id={CHECKOUT_SESSION_ID}, "
                       "and the session is fulfilled like any other",
            "security": _STAFF,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["price"], "additionalProperties": False,
                "properties": {
                    "price": {"type": "string", "pattern": "^price_"},
                    "quantity": {"type": "integer", "minimum": 1, "maximum": 999, "default": 1},
                    "metadata": {"type": "object", "maxProperties": 50,
                                 "additionalProperties": {"type": "string",
                                                          "maxLength": 500}}}}}}},
            "responses": {
                "201": _link("the link, recorded with the staff member's name"),
                "400": {**_ERROR, "description": "malformed input (nothing sent to Stripe), "
                                                 "or Stripe refused (its reason: e.g. no such "
                                                 "price)"},
                "401": _ERROR, "413": _ERROR, "502": _ERROR, "503": _ERROR}},
        "get": {
            "summary": "Every link the service created, the newest first (from the service's "
                       "own record, not Stripe's list)",
            "security": _STAFF,
            "responses": {"200": {"description": "the links", "content": {"application/json": {
                "schema": {"type": "object", "properties": {
                    "payment_links": {"type": "array", "items": PAYMENT_LINK}}}}}},
                "401": _ERROR, "503": _ERROR}},
    },
    "/payment-links/{link_id}/deactivate": {"post": {
        "summary": "Stop the link taking new payments (recorded with the staff member's name; "
                   "an inactive link stays as it is)",
        "security": _STAFF,
        "parameters": [{"name": "link_id", "in": "path", "required": True,
                        "schema": {"type": "string", "pattern": "^plink_[A-Za-z0-9_]+$"}}],
        "requestBody": {"required": False, "content": {"application/json": {"schema": {
            "type": "object", "properties": {"reason": {"type": "string"}}}}}},
        "responses": {"200": _link("the link, now inactive"), "400": _ERROR, "401": _ERROR,
                      "404": _ERROR, "413": _ERROR, "502": _ERROR, "503": _ERROR}}},
}
