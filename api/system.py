"""The composition root: builds the applications, their runners and adapters from settings.

Who follows whom is declared once, in :data:`domain.apps.pipeline.PIPELINE`; this module
only gives each application its collaborators (in its constructor) and each pipeline
edge a :class:`~adapters.runner.Follower`. Tests replace an outside collaborator through
:class:`Seams`, never by patching a built object.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.decoded import Decoded
from adapters.fulfillers import load_fulfiller
from adapters.group_commit import GroupCommitter
from adapters.lease import Lease, LeasedRunner, stop_all
from adapters.listener import CommitListener
from adapters.metrics import Metrics
from adapters.notifiers import LogNotifier, SmtpNotifier
from adapters.runner import Follower, Runner
from adapters.scheduler import Scheduler
from adapters.sqlite_watch import FileWatcher
from adapters.stripe_events import HANDLED, ROUTES
from adapters.stripe_gateway import StripeGateway
from adapters.stripe_webhook import WebhookVerifier
from api.settings import Settings
from domain.apps.cards import Cards
from domain.apps.charges import GRACE, Charges
from domain.apps.customers import Customers
from domain.apps.directory import Directory
from domain.apps.fulfill_checkout import RETRY_DELAYS
from domain.apps.fulfillment import FulfillmentProcess
from domain.apps.inbox import Inbox
from domain.apps.ledger import Ledger
from domain.apps.notices import CustomerNotices
from domain.apps.payment_links import PaymentLinks
from domain.apps.pipeline import PIPELINE
from domain.apps.processing import BatchProcessor
from domain.apps.reconciliation import Reconciler
from domain.apps.subscriptions import Subscriptions
from domain.apps.support import Support
from domain.errors import SubscriptionNotFound
from domain.model.facts import StripeEvent
from domain.model.subscription_facts import SubscriptionView
from domain.ports import Fulfiller, Notifier

log = logging.getLogger(__name__)
# Small batches for fulfillment: a session waits for its whole batch to be fulfilled
# before its Fulfilled is recorded (measured: 16 gives a lower lag p99 than 50 at 200/s).
BATCH_SIZES = {("Ledger", "Fulfillment"): 16}
DEFAULT_BATCH_SIZE = 500
#: How long a runner woken by new events waits before reading them (see Runner.linger).
LINGER_SECONDS = 0.025
# How long stopping waits for the runners (a Stripe call may hang for its whole timeout).
STOP_SECONDS = 5.0
# Entitlements are read on every request of the merchant's app: each process keeps the
# customers it read, and brings one up to date with one query for its newer events.
CUSTOMERS_CACHE = {"AGGREGATE_CACHE_MAXSIZE": "10000"}
#: The directory's entries kept per process: filing one more key reads only what is new.
DIRECTORY_CACHE = {"AGGREGATE_CACHE_MAXSIZE": "10000"}


@dataclass(frozen=True)
class Seams:
    """Outside collaborators a test may replace (None: built from the settings)."""

    stripe: Any = None  # a StripeGateway
    fulfiller: Fulfiller | None = None
    notifier: Notifier | None = None
    sleep: Callable[[float], None] | None = None
    retry_delays: tuple[float, ...] = RETRY_DELAYS
    stall_after: float = 60.0  # seconds a follower may not advance while work waits
    health_every: float = 1.0  # seconds /healthz reuses its reading of the followers
    charge_grace: timedelta = GRACE  # a charge request older than this was cut short
    schedule_every: float = 1.0  # seconds between the scheduler's looks at what is due


NO_SEAMS = Seams()


@dataclass
class Services:
    """Everything one service process runs, built once by :func:`build`."""

    settings: Settings
    inbox: Inbox
    ledger: Ledger
    fulfillment: FulfillmentProcess
    notices: CustomerNotices
    support: Support
    cards: Cards
    customers: Customers
    charges: Charges
    subscriptions: Subscriptions
    directory: Directory
    reconciler: Reconciler
    stripe: StripeGateway
    followers: tuple[Follower, ...]
    runners: tuple[Runner | Scheduler, ...]
    committer: GroupCommitter[StripeEvent, bool]
    verifier: WebhookVerifier | None
    metrics: Metrics
    payment_links: PaymentLinks  # follows nothing: staff commands and their record
    # PostgreSQL: the NOTIFY channel of each followed application -> its followers' prompt.
    channels: dict[str, Callable[..., None]] = field(default_factory=dict)
    # SQLite: each followed application's file -> its followers' prompt.
    watched: dict[Path, Callable[..., None]] = field(default_factory=dict)
    listener: CommitListener | FileWatcher | None = field(init=False, default=None)
    lease: Lease = field(init=False)
    _leased: LeasedRunner | None = field(init=False, default=None)
    _stopping: threading.Event = field(init=False, default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.lease = Lease(self.settings.store)

    def follower(self, upstream: str, processor: str) -> Follower:
        """The follower of one pipeline edge, e.g. ``follower("Inbox", "Ledger")``."""
        return next(f for f in self.followers
                    if (f.upstream.name, f.processor.name) == (upstream, processor))

    def view_of(self, subscription_id: str) -> SubscriptionView | None:
        """A subscription of either kind as its owner shows it now."""
        return _view(self.ledger, self.subscriptions, subscription_id)

    @property
    def ledger_follower(self) -> Follower:
        return self.follower("Inbox", "Ledger")

    def start(self, *, follow: bool = True) -> None:
        """Start the runners: one thread per application that follows others, which first
        catches up with what was recorded before this start, then follows (a slow Stripe
        never holds up start-up or shutdown).

        With ``follow=False`` the process only ingests and answers queries; a worker
        process (``checkout-ledger worker``) does the following. Only the holder of the
        store's lease follows: another process stands by until it can take the lease.
        """
        if follow:
            # Woken by other processes' commits; the runners' polls are the fallback.
            if self.channels:
                self.listener = CommitListener(self.settings.store, self.channels).start()
            elif self.watched:
                self.listener = FileWatcher(self.watched).start()
            self._leased = LeasedRunner(self.lease, self.runners, self._stopping).start()

    def settle(self, rounds: int = 20) -> None:
        """Process everything recorded so far, in this thread (tests, CLI): every follower
        in turn, again while any of them still finds work (the ledger follows fulfillment
        back, so one pass is not always enough)."""
        for _ in range(rounds):
            if not sum(follower.catch_up() for follower in self.followers):
                return

    def stop(self, timeout: float = STOP_SECONDS) -> list[str]:
        """Stop following and close the stores, waiting at most ``timeout`` seconds for
        the runners (all told at once). Answers the runners still busy then (e.g. inside a
        Stripe call that hangs): their stores are left open, as the process is ending;
        what they were doing is committed or done again by the next holder of the lease."""
        deadline = time.monotonic() + timeout
        self._stopping.set()
        if self.listener is not None:
            self.listener.stop(timeout=0)
        for runner in self.runners:
            runner.stop(timeout=0)  # told first: each then ends as soon as it can
        if self._leased is not None:  # it stops the runners it started, and starts no more
            self._leased.join(max(0.0, deadline - time.monotonic()))
        busy = stop_all(self.runners, max(0.0, deadline - time.monotonic()))
        self.lease.release()
        if busy:
            log.warning("still busy %.0f s after stopping: %s (their stores stay open)",
                        timeout, ", ".join(busy))
            return busy
        for app in (self.subscriptions, self.directory, self.charges, self.customers,
                    self.cards, self.support, self.notices,
                    self.fulfillment, self.ledger, self.inbox):
            app.close()
        self.payment_links.close()
        return busy


class _Prompts:
    """Tells the followers of an application that its log has grown."""

    def __init__(self) -> None:
        self._followers: dict[str, list[Follower]] = defaultdict(list)

    def add(self, follower: Follower) -> None:
        self._followers[follower.upstream.name].append(follower)

    def of(self, upstream: str) -> Callable[..., None]:
        """The prompt of ``upstream``'s followers: told the topics recorded when they are
        known (then only the followers that read one of them wake)."""
        def prompt(topics: set[str] | None = None) -> None:
            for follower in self._followers[upstream]:
                follower.prompt(topics)

        return prompt


def create_tables(settings: Settings) -> None:
    """Create every application's tables once, before several processes use them
    (concurrent ``CREATE ... IF NOT EXISTS`` in PostgreSQL can fail)."""
    build(settings).stop()


def build(settings: Settings, *, poll_interval: float = 1.0, seams: Seams = NO_SEAMS
          ) -> Services:
    """Build (but do not start) the service's parts."""
    settings.store.prepare()

    def env(name: str) -> dict[str, str]:
        return settings.store.env_for(name, create_table=settings.create_tables)

    metrics = Metrics()
    stripe = seams.stripe or StripeGateway(settings.stripe_api_key or "",
                                           settings.stripe_api_base)
    notifier = seams.notifier or (SmtpNotifier(settings.smtp_url, settings.mail_from)
                                  if settings.smtp_url else LogNotifier())
    inbox = Inbox(env=env(Inbox.name))
    ledger = Ledger(env=env(Ledger.name), routes=ROUTES, on_parked=metrics.parked_observer())
    fulfillment = FulfillmentProcess(
        env=env(FulfillmentProcess.name), stripe=stripe,
        fulfiller=seams.fulfiller or load_fulfiller(settings.fulfiller), sessions=ledger,
        observe=metrics.fulfillment_observer(), retry_delays=seams.retry_delays,
        **({"sleep": seams.sleep} if seams.sleep else {}))
    notices = CustomerNotices(env=env(CustomerNotices.name), notifier=notifier)
    support = Support(env=env(Support.name))
    cards = Cards(env=env(Cards.name), stripe=stripe)
    customers = Customers(env={**env(Customers.name), **CUSTOMERS_CACHE},
                          views=lambda sub, version: _view(ledger, subscriptions, sub, version))
    charges = Charges(env=env(Charges.name), stripe=stripe, customers=customers,
                      public_url=settings.public_url, grace=seams.charge_grace)
    subscriptions = Subscriptions(env=env(Subscriptions.name), charges=charges, stripe=stripe,
                                  customers=customers, dunning=settings.dunning,
                                  now=None if settings.test_clock else _real_now)
    directory = Directory(env={**env(Directory.name), **DIRECTORY_CACHE})
    apps: dict[str, Any] = {app.name: app for app in (inbox, ledger, fulfillment, notices,
                                                       support, cards, customers, charges,
                                                       subscriptions, directory)}
    prompts = _Prompts()
    wakes: dict[str, threading.Event] = defaultdict(threading.Event)
    locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
    # One upstream log read by several followers: each event is decoded once for them all.
    readers = Counter(upstream.name for upstream, _ in PIPELINE)
    decoded = {name: Decoded() for name, count in readers.items() if count > 1}
    followers = []
    for upstream, processor in PIPELINE:
        follower = Follower(
            apps[upstream.name], apps[processor.name],
            batch_size=BATCH_SIZES.get((upstream.name, processor.name), DEFAULT_BATCH_SIZE),
            wake=wakes[processor.name],
            lock=locks[processor.name],
            decoded=decoded.get(upstream.name))
        assert isinstance(follower.processor, BatchProcessor)
        prompts.add(follower)
        followers.append(follower)
    for app in apps.values():
        if isinstance(app, BatchProcessor):
            app.on_recorded = prompts.of(app.name)
    reconciler = Reconciler(inbox, stripe, types=tuple(HANDLED))
    every = settings.reconcile_every
    runners: tuple[Runner | Scheduler, ...] = (
        *(Runner([f for f in followers if f.processor.name == name], poll_interval,
                 linger=LINGER_SECONDS)
          for name in dict.fromkeys(f.processor.name for f in followers)),
        Scheduler("renewals", subscriptions.run_due, seams.schedule_every),
        *([Scheduler("reconciliation", lambda: reconciler.reconcile("system:schedule"), every)]
          if every else []))
    webhooks_recorded = prompts.of(Inbox.name)
    committer: GroupCommitter[StripeEvent, bool] = GroupCommitter(
        inbox.record, on_commit=lambda _count: webhooks_recorded())
    verifier = WebhookVerifier(settings.webhook_secrets) if settings.webhook_secrets else None
    payment_links = PaymentLinks(env=env(PaymentLinks.name), stripe=stripe,
                                 public_url=settings.public_url)
    channels = ({apps[up.name].recorder.channel_name: prompts.of(up.name) for up, _ in PIPELINE}
                if settings.store.kind == "postgres" else {})
    watched = ({settings.store.sqlite_file(up.name): prompts.of(up.name) for up, _ in PIPELINE}
               if settings.store.kind == "sqlite" else {})
    return Services(settings, inbox, ledger, fulfillment, notices, support, cards, customers,
                    charges, subscriptions, directory, reconciler, stripe,
                    tuple(followers), runners, committer, verifier, metrics, payment_links,
                    channels, watched)



def _real_now() -> datetime:
    return datetime.now(UTC)


def _view(ledger: Ledger, subscriptions: Subscriptions, subscription_id: str,
          version: int | None = None) -> SubscriptionView | None:
    """A subscription of either kind as its owner shows it now, or after its ``version``-th
    event (None: not recorded): Stripe's (``sub_...``) from the ledger, the service's own
    from Subscriptions."""
    try:
        if subscription_id.startswith("sub_"):
            return ledger.subscription(subscription_id, version=version).view()
        return subscriptions.subscription(subscription_id, version).view()
    except SubscriptionNotFound:
        return None
