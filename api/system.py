"""The composition root: builds the applications, runners and adapters from settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from adapters.group_commit import GroupCommitter
from adapters.runner import Follower
from adapters.stripe_webhook import WebhookVerifier
from api.settings import Settings
from domain.facts import StripeEvent
from domain.inbox import Inbox
from domain.ledger import Ledger

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything one service process runs, built once by :func:`build`."""

    settings: Settings
    inbox: Inbox
    ledger: Ledger
    ledger_follower: Follower
    committer: GroupCommitter[StripeEvent, bool]
    verifier: WebhookVerifier | None

    def start(self) -> None:
        """Catch up with what was recorded before this start, then follow in the background."""
        caught_up = self.ledger_follower.catch_up()
        if caught_up:
            log.info("ledger caught up with %d inbox events recorded earlier", caught_up)
        self.ledger_follower.start()

    def stop(self) -> None:
        self.ledger_follower.stop()
        self.ledger.close()
        self.inbox.close()


def build(settings: Settings) -> Services:
    """Build (but do not start) the service's parts."""
    settings.store.prepare()
    inbox = Inbox(env=settings.store.env_for(Inbox.name))
    ledger = Ledger(env=settings.store.env_for(Ledger.name))
    follower = Follower(inbox, ledger)
    committer: GroupCommitter[StripeEvent, bool] = GroupCommitter(
        inbox.record, on_commit=follower.prompt
    )
    verifier = WebhookVerifier(settings.webhook_secrets) if settings.webhook_secrets else None
    return Services(settings, inbox, ledger, follower, committer, verifier)
