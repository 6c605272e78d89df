"""The project's own Stripe emulator: Stripe Checkout over Stripe's wire protocol, in memory.

Reached only through the official ``stripe`` SDK over HTTP. Entry points: ``app.create_app`` (a
Starlette app), ``server.EmulatorServer`` (uvicorn in a background thread), ``seed.seed_catalog``,
``python -m emulator``.

Beyond Checkout: subscriptions (``subscriptions``), their invoices (``invoices``), billing periods
on Stripe's calendar (``periods``) and test clocks that renew them (``test_clocks``).
"""

from __future__ import annotations

from emulator.config import EmulatorConfig

__all__ = ["EmulatorConfig"]
