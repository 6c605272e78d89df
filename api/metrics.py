"""Prometheus metrics, one registry per app so several apps can live in one process."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.webhooks = Counter(
            "checkout_ledger_webhooks_received_total",
            "Webhook requests by Stripe event type and outcome",
            ["type", "outcome"], registry=self.registry,
        )
        self.duplicates = Counter(
            "checkout_ledger_webhook_duplicates_total",
            "Redelivered Stripe events that recorded nothing new", registry=self.registry,
        )
        self._outcomes: dict[tuple[str, str], Any] = {}
        self.lag = Gauge(
            "checkout_ledger_processing_lag_events",
            "Inbox events not yet applied to the ledger", registry=self.registry,
        )

    def webhook(self, event_type: str, outcome: str) -> None:
        """Count one webhook (the labelled child is looked up once per pair)."""
        child = self._outcomes.get((event_type, outcome))
        if child is None:
            child = self._outcomes[(event_type, outcome)] = self.webhooks.labels(event_type, outcome)
        child.inc()
