"""Builders of the catalogue, customer, event and webhook objects, from Stripe's own templates.

Each builder copies Stripe's example (``shapes.template``) and fills in real values, so every object
carries at least Stripe's keys, in Stripe's nesting.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from emulator.ids import new_id, random_token
from emulator.shapes import template

# A test clock's time while the emulator acts on its behalf (see :func:`frozen_at`).
_frozen: ContextVar[int | None] = ContextVar("frozen_now", default=None)


def now() -> int:
    """Unix seconds, Stripe's timestamp unit: a test clock's time inside :func:`frozen_at`."""
    frozen = _frozen.get()
    return int(time.time()) if frozen is None else frozen


def frozen() -> bool:
    """Is :func:`now` a test clock's time at the moment?"""
    return _frozen.get() is not None


@contextmanager
def frozen_at(moment: int | None) -> Iterator[None]:
    """Objects built and events emitted inside carry ``moment`` (a test clock's frozen time) as
    their ``created``; ``None`` leaves real time in place."""
    if moment is None:
        yield
        return
    token = _frozen.set(moment)
    try:
        yield
    finally:
        _frozen.reset(token)


def build_product(name: str, *, description: str | None, metadata: dict[str, str],
                  active: bool = True) -> dict[str, Any]:
    """A ``prod_...`` product."""
    obj = template("product")
    created = now()
    obj.update(id=new_id("prod"), name=name, description=description, metadata=metadata,
               active=active, created=created, updated=created, images=[],
               marketing_features=[])
    return obj


def build_price(product: str, currency: str, unit_amount: int, *,
                recurring: dict[str, Any] | None, lookup_key: str | None = None,
                nickname: str | None = None, metadata: dict[str, str] | None = None,
                active: bool = True) -> dict[str, Any]:
    """A ``price_...``; ``recurring`` is ``{"interval", "interval_count"}`` or None (one-time)."""
    obj = template("price")
    obj.update(id=new_id("price"), product=product, currency=currency, unit_amount=unit_amount,
               unit_amount_decimal=str(unit_amount), created=now(), lookup_key=lookup_key,
               nickname=nickname, metadata=metadata or {}, active=active,
               type="recurring" if recurring else "one_time", custom_unit_amount=None)
    if recurring:
        obj["recurring"] = {"interval": recurring["interval"],
                            "interval_count": recurring.get("interval_count", 1),
                            "meter": None, "trial_period_days": None, "usage_type": "licensed"}
    return obj


def build_customer(*, email: str | None, name: str | None, description: str | None = None,
                   phone: str | None = None, metadata: dict[str, str] | None = None
                   ) -> dict[str, Any]:
    """A ``cus_...`` customer."""
    obj = template("customer")
    obj.update(id=new_id("cus"), email=email, name=name, description=description, phone=phone,
               metadata=metadata or {}, created=now(), balance=0, delinquent=False,
               invoice_prefix=random_token(8).upper(), next_invoice_sequence=1,
               preferred_locales=[])
    obj["invoice_settings"]["default_payment_method"] = None
    return obj


def build_line_item(price: dict[str, Any], quantity: int, description: str) -> dict[str, Any]:
    """A Checkout line item (``object: "item"``, ``li_...``) holding its expanded price."""
    obj = template("item")
    amount = (price["unit_amount"] or 0) * quantity
    obj.update(id=new_id("li"), price=price, quantity=quantity, description=description,
               currency=price["currency"], amount_subtotal=amount, amount_total=amount,
               amount_discount=0, amount_tax=0, metadata={})
    return obj


def build_event(type_: str, snapshot: dict[str, Any], request: dict[str, str | None],
                api_version: str) -> dict[str, Any]:
    """An ``evt_...`` whose ``data.object`` is ``snapshot``."""
    obj = template("event")
    obj.update(id=new_id("evt"), type=type_, created=now(), api_version=api_version,
               data={"object": snapshot}, livemode=False, pending_webhooks=0,
               request=dict(request))
    return obj


def build_webhook_endpoint(url: str, enabled_events: list[str], *, description: str | None,
                           metadata: dict[str, str], api_version: str | None) -> dict[str, Any]:
    """A ``we_...`` endpoint; its ``secret`` is added only to the create response."""
    obj = template("webhook_endpoint")
    obj.update(id=new_id("we"), url=url, enabled_events=enabled_events, description=description,
               metadata=metadata, api_version=api_version, created=now(), status="enabled",
               application=None, livemode=False)
    return obj


def list_object(data: list[dict[str, Any]], url: str, has_more: bool) -> dict[str, Any]:
    """Stripe's list envelope."""
    return {"object": "list", "data": data, "has_more": has_more, "url": url}
