"""Events (list, retrieve) and webhook endpoints (create with its secret, list, delete...)."""

from __future__ import annotations

import fnmatch
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from emulator.errors import invalid, missing_param
from emulator.forms import Params
from emulator.ids import new_id
from emulator.known import LIST, RETRIEVE, Spec, listing
from emulator.objects import build_webhook_endpoint
from emulator.pagination import created_filter, paginate
from emulator.runtime import Runtime
from emulator.shapes import template
from emulator.v1 import endpoint


def _type_matches(event_type: str, patterns: list[str]) -> bool:
    """Stripe's ``type`` filter accepts ``*`` wildcards (``checkout.session.*``)."""
    return any(fnmatch.fnmatchcase(event_type, pattern) for pattern in patterns)


def list_events(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    with rt.state.lock:
        items = list(reversed(rt.state.events))
    items = created_filter(items, p)
    if p.has("type") and p.array("types"):
        raise invalid("You may only specify one of these parameters: type, types.", param="type")
    patterns = [p.req("type")] if p.has("type") else [str(t) for t in p.array("types")]
    if len(patterns) > 20:
        raise invalid("You may only filter on up to 20 event types.", param="types")
    if patterns:
        items = [e for e in items if _type_matches(e["type"], patterns)]
    if p.has("delivery_success"):
        wanted = p.boolean("delivery_success")
        items = [e for e in items if (e["pending_webhooks"] == 0) == wanted]
    return paginate(items, p, "/v1/events", "event")


def retrieve_event(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    return rt.state.get("event", request.path_params["id"])


def create_endpoint(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    url = p.req("url")
    if not url.startswith(("http://", "https://")):
        raise invalid("Invalid URL: must be an http or https URL", param="url",
                      code="url_invalid")
    enabled = [str(e) for e in p.array("enabled_events")]
    if not enabled:
        raise missing_param("enabled_events")
    webhook = build_webhook_endpoint(url, enabled, description=p.string("description"),
                                     metadata=p.metadata(), api_version=p.string("api_version"))
    secret = "whsec_" + new_id("whsec").split("_", 1)[1]
    with rt.state.lock:
        rt.state.put(webhook)
        rt.state.webhook_secrets[webhook["id"]] = secret
    # Like Stripe, the secret is shown once: in the answer to create, never stored on the object.
    return {**webhook, "secret": secret}


def list_endpoints(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    return paginate(rt.state.all("webhook_endpoint"), p, "/v1/webhook_endpoints",
                    "webhook_endpoint")


def retrieve_endpoint(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    return rt.state.get("webhook_endpoint", request.path_params["id"])


def update_endpoint(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    webhook = rt.state.get("webhook_endpoint", request.path_params["id"])
    if p.has("url"):
        webhook["url"] = p.req("url")
    if p.array("enabled_events"):
        webhook["enabled_events"] = [str(e) for e in p.array("enabled_events")]
    if p.has("disabled"):
        webhook["status"] = "disabled" if p.boolean("disabled") else "enabled"
    if "description" in p.data:
        webhook["description"] = p.string("description")
    if "metadata" in p.data:
        webhook["metadata"] = {**webhook["metadata"], **p.metadata()}
    return webhook


def delete_endpoint(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    webhook_id = request.path_params["id"]
    with rt.state.lock:
        rt.state.get("webhook_endpoint", webhook_id)
        del rt.state.objects["webhook_endpoint"][webhook_id]
        rt.state.webhook_secrets.pop(webhook_id, None)
    deleted = template("deleted_webhook_endpoint")
    deleted.update(id=webhook_id, object="webhook_endpoint", deleted=True)
    return deleted


LIST_EVENTS = listing(type=None, types=None, delivery_success=None)
CREATE_ENDPOINT: Spec = {"url": None, "enabled_events": None, "description": None,
                         "metadata": None, "api_version": None, "expand": None}
UPDATE_ENDPOINT: Spec = {"url": None, "enabled_events": None, "description": None,
                         "metadata": None, "disabled": None, "expand": None}
PAGE: Spec = {k: v for k, v in LIST.items() if k != "created"}

routes = [
    Route("/v1/events", endpoint(list_events, LIST_EVENTS), methods=["GET"]),
    Route("/v1/events/{id}", endpoint(retrieve_event, RETRIEVE), methods=["GET"]),
    Route("/v1/webhook_endpoints", endpoint(create_endpoint, CREATE_ENDPOINT),
          methods=["POST"]),
    Route("/v1/webhook_endpoints", endpoint(list_endpoints, PAGE), methods=["GET"]),
    Route("/v1/webhook_endpoints/{id}", endpoint(retrieve_endpoint, RETRIEVE),
          methods=["GET"]),
    Route("/v1/webhook_endpoints/{id}", endpoint(update_endpoint, UPDATE_ENDPOINT),
          methods=["POST"]),
    Route("/v1/webhook_endpoints/{id}", endpoint(delete_endpoint, {}), methods=["DELETE"]),
]
