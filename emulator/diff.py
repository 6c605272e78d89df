"""``previous_attributes``: the old values of what an update changed, nested like the object."""

from __future__ import annotations

from typing import Any


def previous_attributes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Keys of ``after`` whose value differs from ``before``, with the ``before`` value.

    A plain nested hash (no ``object`` key) is compared key by key, as Stripe reports
    ``{"invoice_settings": {"default_payment_method": null}}``.
    """
    changed: dict[str, Any] = {}
    for key, new in after.items():
        old = before.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict) and "object" not in new:
            changed[key] = previous_attributes(old, new)
        else:
            changed[key] = old
    return changed
