"""The project's own Stripe emulator: Stripe Checkout over Stripe's wire protocol, in memory.

Reached only through the official ``stripe`` SDK over HTTP. Entry points: ``app.create_app`` (a
Starlette app), ``server.EmulatorServer`` (uvicorn in a background thread), ``seed.seed_catalog``,
``python -m emulator``.
"""

from __future__ import annotations

from emulator.config import EmulatorConfig

__all__ = ["EmulatorConfig"]
