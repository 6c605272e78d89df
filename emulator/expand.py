"""``expand[]``: replace ids in a response with the objects they name (dotted paths allowed)."""

from __future__ import annotations

import copy
from typing import Any

from emulator.errors import invalid
from emulator.state import EmulatorState


def expand(state: EmulatorState, obj: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """A copy of ``obj`` with each path in ``paths`` expanded (``customer``, ``a.data.b``...)."""
    out = copy.deepcopy(obj)
    for i, path in enumerate(paths):
        if not isinstance(path, str) or not path:
            raise invalid("Invalid expand path", param=f"expand[{i}]")
        _expand(state, out, path.split("."), path, i)
    return out


def _expand(state: EmulatorState, node: Any, parts: list[str], path: str, index: int) -> None:
    if not parts or node is None:
        return
    head, rest = parts[0], parts[1:]
    if isinstance(node, list):
        for item in node:
            _expand(state, item, parts, path, index)
        return
    if not isinstance(node, dict) or head not in node:
        raise invalid(f"This property cannot be expanded ({path}).", param=f"expand[{index}]")
    value = node[head]
    if isinstance(value, str):
        found = state.find_by_id(value)
        if found is None:
            raise invalid(f"This property cannot be expanded ({path}).",
                          param=f"expand[{index}]")
        node[head] = value = copy.deepcopy(found)
    _expand(state, value, rest, path, index)
