"""Which parameters each route knows; anything else is Stripe's ``parameter_unknown``.

A :data:`Spec` maps a parameter name to ``None`` (a value the handler reads: scalar, array of
scalars, or a free-form hash such as ``metadata``) or to a nested :data:`Spec` (a hash whose keys
are checked too; for an array of hashes, each element is checked). Stripe names the first unknown
parameter with its full bracketed path: ``card[foo]``, ``line_items[0][foo]``.

The emulator knows the parameters it implements. A parameter Stripe has but the emulator does not
implement is refused the same way: a test fails loudly instead of silently ignoring it.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from emulator.errors import invalid

Spec: TypeAlias = dict[str, "Spec | None"]

CREATED: Spec = {"gt": None, "gte": None, "lt": None, "lte": None}
LIST: Spec = {"limit": None, "starting_after": None, "ending_before": None, "created": CREATED,
              "expand": None}
RETRIEVE: Spec = {"expand": None}
NONE: Spec = {}


def listing(**extra: Spec | None) -> Spec:
    """The list parameters every ``GET /v1/<objects>`` knows, plus its own filters."""
    return {**LIST, **extra}


def first_unknown(data: Any, spec: Spec, prefix: str = "") -> str | None:
    """The full name of the first parameter of ``data`` that ``spec`` does not know."""
    if isinstance(data, list):
        for i, item in enumerate(data):
            found = first_unknown(item, spec, f"{prefix}[{i}]")
            if found:
                return found
        return None
    if not isinstance(data, dict):
        return None
    for name, value in data.items():
        path = f"{prefix}[{name}]" if prefix else name
        if name not in spec:
            return path
        nested = spec[name]
        if nested is not None:
            found = first_unknown(value, nested, path)
            if found:
                return found
    return None


def check_known(data: dict[str, Any], spec: Spec) -> None:
    """Raise Stripe's 400 ``parameter_unknown`` for the first parameter ``spec`` lacks."""
    unknown = first_unknown(data, spec)
    if unknown:
        raise invalid(f"Received unknown parameter: {unknown}", param=unknown,
                      code="parameter_unknown")
