"""``expand[]``: replace ids in a response with the objects they name (dotted paths allowed).

Only the fields Stripe's API marks expandable may be expanded (``EXPANDABLE``, by object type,
paths relative to the object); anything else is Stripe's 400 "This property cannot be expanded".
A path may go through an expanded object (``setup_intent.payment_method``) or an embedded one
(``data.price.product``), at most four levels deep, as Stripe allows.
"""

from __future__ import annotations

import copy
from typing import Any

from emulator.errors import invalid
from emulator.state import EmulatorState

EXPANDABLE: dict[str, set[str]] = {
    "checkout.session": {"customer", "invoice", "payment_intent", "payment_link",
                         "setup_intent", "subscription"},
    "payment_intent": {"customer", "latest_charge", "payment_method", "application",
                       "on_behalf_of", "review"},
    "setup_intent": {"customer", "payment_method", "latest_attempt", "mandate",
                     "single_use_mandate", "application", "on_behalf_of"},
    "payment_method": {"customer"},
    "charge": {"customer", "payment_intent", "balance_transaction", "application",
               "application_fee", "failure_balance_transaction", "on_behalf_of", "review",
               "source_transfer", "transfer"},
    "customer": {"default_source", "invoice_settings.default_payment_method", "test_clock"},
    "price": {"product"},
    "invoice": {"customer", "default_payment_method", "default_source", "test_clock",
                "on_behalf_of", "application", "latest_revision",
                "parent.subscription_details.subscription"},
    "subscription": {"customer", "default_payment_method", "default_source", "latest_invoice",
                     "pending_setup_intent", "schedule", "test_clock", "application",
                     "on_behalf_of"},
}
MAX_DEPTH = 4


def _refuse(path: str, index: int) -> Exception:
    return invalid(f"This property cannot be expanded ({path}).", param=f"expand[{index}]")


def expand(state: EmulatorState, obj: dict[str, Any], paths: list[Any]) -> dict[str, Any]:
    """A copy of ``obj`` with each path in ``paths`` expanded (``customer``, ``a.b``...)."""
    out = copy.deepcopy(obj)
    for i, path in enumerate(paths):
        if not isinstance(path, str) or not path:
            raise invalid("Invalid expand path", param=f"expand[{i}]")
        parts = path.split(".")
        if len(parts) > MAX_DEPTH:
            raise invalid("You cannot expand more than 4 levels of a property. Property: "
                          f"{path}", param=f"expand[{i}]")
        _expand(state, out, out, "", parts, path, i)
    return out


def data_paths(paths: list[Any]) -> list[str]:
    """A list's ``data.x`` expansions as paths within each item; any other path is refused."""
    for i, path in enumerate(paths):
        if not (isinstance(path, str) and path.startswith("data.")):
            raise _refuse(str(path), i)
    return [str(x)[5:] for x in paths]


def expand_page(state: EmulatorState, page: dict[str, Any], paths: list[Any]
                ) -> dict[str, Any]:
    """Expand ``data.x`` paths in each item of a list page."""
    subpaths = data_paths(paths)
    page["data"] = [expand(state, item, subpaths) for item in page["data"]]
    return page


def _expand(state: EmulatorState, node: Any, owner: dict[str, Any], within: str,
            parts: list[str], path: str, index: int) -> None:
    """Expand ``parts`` inside ``node``; ``within`` is the field path from ``owner``, the
    nearest enclosing Stripe object (the one that decides what may be expanded)."""
    if not parts or node is None:
        return
    head, rest = parts[0], parts[1:]
    if not isinstance(node, dict) or head not in node:
        raise _refuse(path, index)
    field = f"{within}.{head}" if within else head
    value = node[head]
    if isinstance(value, str):
        if field not in EXPANDABLE.get(owner.get("object", ""), set()):
            raise _refuse(path, index)
        found = state.find_by_id(value)
        if found is None:
            raise _refuse(path, index)
        node[head] = value = copy.deepcopy(found)
    elif value is None:
        if field not in EXPANDABLE.get(owner.get("object", ""), set()):
            raise _refuse(path, index)
        return
    elif not isinstance(value, dict) and not isinstance(value, list):
        raise _refuse(path, index)
    if not rest:
        if isinstance(value, dict) and "object" not in value:
            raise _refuse(path, index)  # a plain hash is never "expanded"
        return
    if isinstance(value, list):
        for item in value:
            _expand(state, item, item if isinstance(item, dict) else owner, "", rest, path,
                    index)
        return
    if "object" in value:
        _expand(state, value, value, "", rest, path, index)
    else:
        _expand(state, value, owner, field, rest, path, index)
