"""Fulfillers: the default one, and loading a merchant's own from ``FULFILLER``."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from domain.ports import Fulfiller, LineItem


def record_grants(session_id: str, line_items: Sequence[LineItem],
                  idempotency_key: str) -> list[str]:
    """The default fulfiller: grants each line item as described, and says so."""
    return [f"{item.quantity} x {item.description or item.price}" for item in line_items]


def load_fulfiller(spec: str | None) -> Fulfiller:
    """``package.module:callable`` -> that callable; None -> :func:`record_grants`."""
    if not spec:
        return record_grants
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"must look like package.module:callable, got {spec!r}")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as error:
        raise ValueError(f"cannot import {module_name!r}: {error}") from None
    for part in attribute.split("."):
        target = getattr(target, part, None)
    if not callable(target):
        raise ValueError(f"{spec!r} is not a callable")
    return _granting(target)


def _granting(merchant: Any) -> Fulfiller:
    """A merchant callable may answer nothing; then each line item counts as granted."""

    def fulfil(session_id: str, line_items: Sequence[LineItem], idempotency_key: str) -> list[str]:
        granted = merchant(session_id, line_items, idempotency_key=idempotency_key)
        if granted is None:
            return record_grants(session_id, line_items, idempotency_key)
        return [str(g) for g in granted]

    return fulfil
