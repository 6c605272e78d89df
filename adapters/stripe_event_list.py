"""Stripe's list of events, for reconciliation: each event checked as a webhook is."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from adapters.stripe_errors import translated_errors
from adapters.stripe_webhook import RejectedWebhook, translate
from domain.model.facts import StripeEvent

log = logging.getLogger(__name__)
MAX_TYPES = 20  # Stripe filters on at most 20 types per request


class EventListCalls:
    """``GET /v1/events`` through the SDK's auto-paging (a mixin of the gateway)."""

    client: Any  # a stripe.StripeClient

    def list_events(self, types: Sequence[str], created_after: datetime | None
                    ) -> Iterator[StripeEvent]:
        """Every event of these types created after ``created_after``, newest first within
        each group of 20 types. An event whose envelope a webhook would refuse is logged
        and skipped."""
        for start in range(0, len(types), MAX_TYPES):
            params: dict[str, Any] = {"types": list(types[start:start + MAX_TYPES]),
                                      "limit": 100}
            if created_after is not None:
                params["created"] = {"gt": int(created_after.timestamp())}
            with translated_errors():
                for event in self.client.v1.events.list(params=params).auto_paging_iter():
                    data = event.to_dict()
                    try:
                        yield translate(data, orjson.dumps(data, default=_as_sent).decode())
                    except RejectedWebhook as rejected:
                        log.warning("reconciliation skips %s: %s", data.get("id"), rejected)


def _as_sent(value: Any) -> str:
    """Stripe sends its ``*_decimal`` fields as strings; the SDK reads them as Decimals."""
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")
