"""Reads through the SDK's ``raw_request``: its requestor (API key, version, retries, error
classes, telemetry) and HTTP client, but answers as the plain dicts of the JSON body.

The resource services build every answer into ``StripeObject``s, one per nested object
(about 180 for an expanded Checkout Session), and the gateway then turned them back into
dicts: ``benchmarks/sdk_retrieve.py`` measured that as more than half of the CPU per
fulfillment retrieve (2.6 ms -> 1.2 ms). Callers wrap these in ``translated_errors`` as
for any SDK call.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_plus

import stripe

from adapters.stripe_objects import UnreadableObject


def path_id(value: str) -> str:
    """An id in a request path, quoted as the SDK's services quote it."""
    return quote_plus(value)


def get_json(client: stripe.StripeClient, path: str, **params: Any) -> dict[str, Any]:
    """``GET path`` with ``params``; the answer's JSON object (a non-2xx raises the SDK's
    error, as from its services)."""
    data = client.raw_request("get", path, **params).data
    if not isinstance(data, dict):
        raise UnreadableObject(f"GET {path} did not answer a JSON object")
    return data


def items_of(page: Any) -> list[dict[str, Any]]:
    """The objects of a list page (``{"object": "list", "data": [...], "has_more"}``)."""
    data = page.get("data") if isinstance(page, dict) else None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise UnreadableObject("a list without a 'data' array of objects")
    return data


def list_all(client: stripe.StripeClient, path: str, **params: Any) -> Iterator[dict[str, Any]]:
    """Every object of the list at ``path``, page after page, as the SDK's
    ``auto_paging_iter`` goes: ``starting_after`` the last id while ``has_more``."""
    while True:
        page = get_json(client, path, **params)
        items = items_of(page)
        yield from items
        if page.get("has_more") is not True or not items:
            return
        last = items[-1].get("id")
        if not isinstance(last, str):
            raise UnreadableObject(f"GET {path}: a listed object without an id")
        params = {**params, "starting_after": last}
