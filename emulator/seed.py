"""``seed_catalog``: a few demo products and prices, created through the official SDK."""

from __future__ import annotations

from typing import Any

import stripe

# (lookup_key, product name, unit_amount in cents, recurring interval or None)
CATALOG: list[tuple[str, str, int, str | None]] = [
    ("ledger_tshirt", "Ledger T-shirt", 2500, None),
    ("sticker_pack", "Sticker pack", 500, None),
    ("pro_plan_monthly", "Pro plan", 1500, "month"),
]


def seed_catalog(api_base: str, api_key: str) -> list[dict[str, Any]]:
    """Create the demo prices unless their lookup keys exist already; return all of them.

    Works against the emulator or real Stripe test mode (``api_base`` is the SDK's API address).
    """
    client = stripe.StripeClient(api_key, base_addresses={"api": api_base})
    keys = [key for key, *_ in CATALOG]
    existing = {p.lookup_key: p for p in client.v1.prices.list(
        params={"lookup_keys": keys, "limit": 100}).auto_paging_iter()}
    prices = []
    for key, name, amount, interval in CATALOG:
        price = existing.get(key)
        if price is None:
            params: dict[str, Any] = {"currency": "usd", "unit_amount": amount,
                                      "lookup_key": key, "product_data": {"name": name}}
            if interval:
                params["recurring"] = {"interval": interval}
            price = client.v1.prices.create(params=params)  # type: ignore[arg-type]
        prices.append(price.to_dict())
    return prices
