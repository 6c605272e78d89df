"""Stripe's object templates, loaded from the bundled ``shapes.json``."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

SHAPES_PATH = Path(__file__).with_name("shapes.json")


@cache
def _templates() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = json.loads(SHAPES_PATH.read_text())
    return data


def template(name: str) -> dict[str, Any]:
    """A fresh deep copy of Stripe's example object ``name`` (e.g. ``"checkout.session"``)."""
    return copy.deepcopy(_templates()[name])
