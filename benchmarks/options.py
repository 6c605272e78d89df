"""Command-line options the benchmarks share."""

from __future__ import annotations

import argparse


def stores(parser: argparse.ArgumentParser, raw: str, known: tuple[str, ...]) -> list[str]:
    """``--stores a,b`` as a list; an unknown store is the parser's error (exit 2)."""
    chosen = [store.strip() for store in raw.split(",") if store.strip()]
    if set(chosen) - set(known):
        parser.error(f"--stores: known stores are {', '.join(known)}")
    return chosen
