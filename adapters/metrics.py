"""Prometheus metrics, counted in every process of the service.

``serve`` runs a web process and a worker process; with ``PROMETHEUS_MULTIPROC_DIR``
set (``serve`` sets it), prometheus_client keeps each process's counters in files
there and ``/metrics`` adds them up. Without it (tests, a single process), each
:class:`Metrics` keeps its own registry, so several apps can live in one process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from adapters.stripe_events import HANDLED

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
#: The ``type`` label of a request refused before its event type could be trusted.
UNVERIFIED = "unverified"
#: The ``type`` label of every verified event of a type the service does not handle.
OTHER = "other"


class Metrics:
    """The service's metrics (see the README for what each one means)."""

    def __init__(self, event_types: Iterable[str] = tuple(HANDLED)) -> None:
        # A label value comes from a known set, never from the request: a signed body can
        # carry any ``type`` (10,000 characters, a new one per request) and each distinct
        # value would be a new time series kept for the life of the process.
        self.event_types = frozenset(event_types) | {UNVERIFIED}
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
        self.fulfillments = Counter(
            "checkout_ledger_fulfillments_total",
            "Sessions fulfilled (Fulfilled recorded), by trigger", ["trigger"],
            registry=self.registry,
        )
        self.fulfillment_failures = Counter(
            "checkout_ledger_fulfillment_failures_total",
            "Failed fulfillment attempts recorded, by trigger", ["trigger"],
            registry=self.registry,
        )
        self.lag = Gauge(
            "checkout_ledger_processing_lag_events",
            "Events a follower has yet to process, by follower", ["follower"],
            registry=self.registry, multiprocess_mode="mostrecent",
        )
        self.open_failures = Gauge(
            "checkout_ledger_open_failures",
            "Cases in /support/failures, by kind", ["kind"],
            registry=self.registry, multiprocess_mode="mostrecent",
        )
        self.parked = Counter(
            "checkout_ledger_events_parked_total",
            "Stored events a follower could not apply and parked for support, by type",
            ["type"], registry=self.registry,
        )
        self._outcomes: dict[tuple[str, str], Any] = {}

    def webhook(self, event_type: str, outcome: str) -> None:
        """Count one webhook under its type's label: the type itself when the service
        handles it (or ``unverified``), ``other`` otherwise. The labelled child is looked
        up once per pair."""
        label = self.label(event_type)
        child = self._outcomes.get((label, outcome))
        if child is None:
            child = self._outcomes[(label, outcome)] = self.webhooks.labels(label, outcome)
        child.inc()

    def label(self, event_type: str) -> str:
        """The ``type`` label of an event type: itself if handled (or unverified), else other."""
        return event_type if event_type in self.event_types else OTHER

    def parked_observer(self) -> Callable[[str], None]:
        """What the ledger tells of each event it parks."""
        def observe(event_type: str) -> None:
            self.parked.labels(self.label(event_type)).inc()

        return observe

    def fulfillment_observer(self) -> Callable[[str, str, int], None]:
        """What the fulfillment service tells of what it recorded."""
        def observe(outcome: str, trigger: str, count: int) -> None:
            counter = self.fulfillments if outcome == "fulfilled" else self.fulfillment_failures
            counter.labels(trigger).inc(count)

        return observe

    def exposition(self) -> bytes:
        """The text format, summed over every process when running as several."""
        if os.environ.get(MULTIPROCESS_DIR):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)
