"""Stripe's form encoding: ``a[b][0][c]=x`` and ``expand[]=y`` into nested dicts and lists.

The SDK sends ``line_items[0][price]=...`` (indexed arrays); curl users send ``expand[]=...``.
Both decode to lists. A hash whose keys are all digits becomes a list, except under ``metadata``
where ``metadata[0]=x`` is a key named "0".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from emulator.errors import invalid, missing_param

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_FREE_FORM = {"metadata"}
_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")


def split_key(key: str) -> list[str]:
    """``"a[b][0]"`` -> ``["a", "b", "0"]``; a malformed key stays one literal segment."""
    head, bracket, rest = key.partition("[")
    if not bracket:
        return [key]
    rest = "[" + rest
    segments = _SEGMENT.findall(rest)
    if "".join(f"[{s}]" for s in segments) != rest or not head:
        return [key]
    return [head, *segments]


def decode(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Decode form pairs into nested dicts/lists; repeated plain keys keep the last value."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        segments = split_key(key)
        node = root
        for i, segment in enumerate(segments):
            last = i == len(segments) - 1
            if segment == "":
                # "[]" appends: give it the next free index among its siblings.
                segment = str(len(node))
            if last:
                node[segment] = value
            else:
                child = node.get(segment)
                if not isinstance(child, dict):
                    child = node[segment] = {}
                node = child
    return _listify(root, parent=None)


def _listify(value: Any, parent: str | None) -> Any:
    if not isinstance(value, dict):
        return value
    converted = {k: _listify(v, k) for k, v in value.items()}
    if converted and parent not in _FREE_FORM and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


class Params:
    """Typed access to decoded parameters; errors name the parameter like Stripe does."""

    def __init__(self, data: dict[str, Any], prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix

    def path(self, name: str) -> str:
        """The full parameter name, e.g. ``line_items[0][quantity]``."""
        return f"{self.prefix}[{name}]" if self.prefix else name

    def has(self, name: str) -> bool:
        """True when ``name`` was sent with a non-empty value."""
        return self.data.get(name) not in (None, "")

    def string(self, name: str, *, required: bool = False) -> str | None:
        """A string parameter (empty string means unset)."""
        value = self.data.get(name)
        if value in (None, ""):
            if required:
                raise missing_param(self.path(name))
            return None
        if not isinstance(value, str):
            raise invalid(f"Invalid string: {value!r}", param=self.path(name))
        return value

    def req(self, name: str) -> str:
        """A required string parameter."""
        value = self.string(name, required=True)
        assert value is not None
        return value

    def integer(
        self, name: str, *, required: bool = False, minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        """An integer parameter, range-checked."""
        raw = self.string(name, required=required)
        if raw is None:
            return None
        # Stricter than int(): no spaces, underscores or non-ASCII digits, like Stripe.
        if not _INTEGER.fullmatch(raw):
            raise invalid(f"Invalid integer: {raw}", param=self.path(name),
                          code="parameter_invalid_integer")
        value = int(raw)
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            low = "" if minimum is None else f" greater than or equal to {minimum}"
            high = "" if maximum is None else f" less than or equal to {maximum}"
            joiner = " and" if low and high else ""
            raise invalid(f"This value must be{low}{joiner}{high}.", param=self.path(name),
                          code="parameter_invalid_integer")
        return value

    def boolean(self, name: str, default: bool = False) -> bool:
        """A boolean parameter (``true``/``false``)."""
        raw = self.string(name)
        if raw is None:
            return default
        if raw not in ("true", "false"):
            raise invalid(f"Invalid boolean: {raw}", param=self.path(name))
        return raw == "true"

    def choice(self, name: str, options: Iterable[str], *, default: str | None = None
               ) -> str | None:
        """A string that must be one of ``options``."""
        value = self.string(name)
        if value is None:
            return default
        allowed = list(options)
        if value not in allowed:
            raise invalid(f"Invalid {name}: must be one of {', '.join(allowed)}",
                          param=self.path(name))
        return value

    def hash(self, name: str) -> Params:
        """A nested hash as ``Params`` (empty when absent)."""
        value = self.data.get(name)
        if value in (None, ""):
            return Params({}, self.path(name))
        if not isinstance(value, dict):
            raise invalid(f"Invalid hash: {self.path(name)}", param=self.path(name))
        return Params(value, self.path(name))

    def array(self, name: str) -> list[Any]:
        """An array parameter (``name[0]=..`` or ``name[]=..``)."""
        value = self.data.get(name)
        if value in (None, ""):
            return []
        if not isinstance(value, list):
            raise invalid(f"Invalid array: {self.path(name)}", param=self.path(name))
        return value

    def metadata(self) -> dict[str, str]:
        """``metadata[k]=v`` as a flat string dict."""
        raw = self.data.get("metadata")
        if raw in (None, ""):
            return {}
        if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
            raise invalid("Invalid metadata: must be a hash of strings", param="metadata")
        return {k: v for k, v in raw.items() if v != ""}
