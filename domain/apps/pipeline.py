"""Who follows whom: the service's applications as one declared pipeline.

Webhooks land in the Inbox. The Ledger applies them to sessions; fulfillment, notices and
support follow the Ledger; the Ledger follows fulfillment and notices back, to write what
they did into each session's one history. Each follower records its own outcome with its
position in its upstream log (eventsourcing's process applications).
"""

from __future__ import annotations

from eventsourcing.application import Application

from domain.apps.fulfillment import FulfillmentProcess
from domain.apps.inbox import Inbox
from domain.apps.ledger import Ledger
from domain.apps.notices import CustomerNotices
from domain.apps.processing import BatchProcessor
from domain.apps.support import Support

#: (upstream, follower) pairs; runners are built from this, in this order.
PIPELINE: tuple[tuple[type[Application], type[BatchProcessor]], ...] = (
    (Inbox, Ledger),
    (Ledger, FulfillmentProcess),
    (Ledger, CustomerNotices),
    (Ledger, Support),
    (FulfillmentProcess, Ledger),
    (CustomerNotices, Ledger),
)

APPLICATIONS: tuple[type[Application], ...] = (
    Inbox, Ledger, FulfillmentProcess, CustomerNotices, Support)
