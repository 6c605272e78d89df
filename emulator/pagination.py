"""Stripe's cursor pagination: ``limit`` (1-100, default 10), ``starting_after``,
``ending_before``, ``has_more``; and the ``created[gt|gte|lt|lte]`` filter."""

from __future__ import annotations

from typing import Any

from emulator.errors import invalid, no_such
from emulator.forms import Params
from emulator.objects import list_object


def paginate(items: list[dict[str, Any]], params: Params, url: str, kind: str = "object"
             ) -> dict[str, Any]:
    """One page of ``items`` (already in Stripe's order) as a list object."""
    limit = params.integer("limit", minimum=1, maximum=100) or 10
    after, before = params.string("starting_after"), params.string("ending_before")
    if after and before:
        raise invalid("You may only specify one of these parameters: ending_before, "
                      "starting_after.", param="ending_before")
    ids = [item["id"] for item in items]
    if after:
        if after not in ids:
            raise no_such(kind, after, param="starting_after")
        start = ids.index(after) + 1
        return list_object(items[start:start + limit], url, start + limit < len(items))
    if before:
        if before not in ids:
            raise no_such(kind, before, param="ending_before")
        end = ids.index(before)
        start = max(0, end - limit)
        return list_object(items[start:end], url, start > 0)
    return list_object(items[:limit], url, len(items) > limit)


def created_filter(items: list[dict[str, Any]], params: Params) -> list[dict[str, Any]]:
    """Apply ``created`` (exact) or ``created[gt|gte|lt|lte]`` filters."""
    exact = params.data.get("created")
    if isinstance(exact, str) and exact:
        value = params.integer("created")
        return [i for i in items if i["created"] == value]
    bounds = params.hash("created")
    checks = {"gt": lambda c, v: c > v, "gte": lambda c, v: c >= v,
              "lt": lambda c, v: c < v, "lte": lambda c, v: c <= v}
    for op, check in checks.items():
        value = bounds.integer(op)
        if value is not None:
            items = [i for i in items if check(i["created"], value)]
    return items
