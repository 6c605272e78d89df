"""Who follows whom: the service's applications as one declared pipeline.

Webhooks land in the Inbox. The Ledger applies them to sessions; fulfillment, notices and
support follow the Ledger; the Ledger follows fulfillment and notices back, to write what
they did into each session's one history. Cards saves the card of each setup session;
Customers projects customers from the Ledger, Cards and Charges; Charges follows its own
log (to finish what a request left open), the Ledger (a recovery paid) and the notices.
Subscriptions follows Charges (a renewal's outcome), and Customers follows Subscriptions.
The Directory files the keys support searches by (PaymentIntents, emails).
Each follower records its own outcome with its position in its upstream log
(eventsourcing's process applications).
"""

from __future__ import annotations

from eventsourcing.application import Application

from domain.apps.cards import Cards
from domain.apps.charges import Charges
from domain.apps.customers import Customers
from domain.apps.directory import Directory
from domain.apps.fulfillment import FulfillmentProcess
from domain.apps.inbox import Inbox
from domain.apps.ledger import Ledger
from domain.apps.notices import CustomerNotices
from domain.apps.processing import BatchProcessor
from domain.apps.subscriptions import Subscriptions
from domain.apps.support import Support

#: (upstream, follower) pairs; runners are built from this, in this order.
PIPELINE: tuple[tuple[type[Application], type[BatchProcessor]], ...] = (
    (Inbox, Ledger),
    (Ledger, FulfillmentProcess),
    (Ledger, CustomerNotices),
    (Ledger, Support),
    (FulfillmentProcess, Ledger),
    (CustomerNotices, Ledger),
    (Ledger, Cards),
    (Ledger, Customers),
    (Cards, Customers),
    (Charges, Customers),
    (Charges, Charges),
    (Ledger, Charges),
    (CustomerNotices, Charges),
    (Charges, CustomerNotices),
    (Charges, Support),
    (Charges, Subscriptions),
    (Subscriptions, Customers),
    (Subscriptions, Support),
    (Ledger, Directory),
    (Cards, Directory),
    (Charges, Directory),
)

APPLICATIONS: tuple[type[Application], ...] = (
    Inbox, Ledger, FulfillmentProcess, CustomerNotices, Support, Cards, Customers, Charges,
    Subscriptions, Directory)
