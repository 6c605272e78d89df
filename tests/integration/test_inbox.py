"""The raw log on the real stores: unique by event id, across processes too."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from adapters.stores import Store
from domain.apps.inbox import Inbox
from domain.model.facts import StripeEvent
from tests.support.webhooks import new_event_id


def stripe_event(event_id: str) -> StripeEvent:
    payload = json.dumps({"id": event_id, "type": "invoice.paid"})
    return StripeEvent(id=event_id, type="invoice.paid", created=datetime(2026, 11, 1, tzinfo=UTC),
                       livemode=False, object_id="in_1", payload=payload)


def test_a_batch_with_an_event_another_process_recorded_records_only_the_new_ones(
    database_url: str,
) -> None:
    store = Store.from_url(database_url)
    store.prepare()
    one, other = Inbox(env=store.env_for("Inbox")), Inbox(env=store.env_for("Inbox"))
    seen, new_a, new_b = new_event_id(), new_event_id(), new_event_id()
    one.record([stripe_event(seen)])
    before = other.recorder.max_notification_id() or 0

    duplicate = other.record([stripe_event(new_a), stripe_event(seen), stripe_event(new_b)])

    assert duplicate == [False, True, False]
    assert (other.recorder.max_notification_id() or 0) > before
    assert {other.get(i).id for i in (seen, new_a, new_b)} == {seen, new_a, new_b}  # type: ignore[union-attr]
    assert one.record([stripe_event(new_b)]) == [True]


def test_the_same_event_twice_in_one_batch_is_recorded_once(database_url: str) -> None:
    store = Store.from_url(database_url)
    store.prepare()
    inbox = Inbox(env=store.env_for("Inbox"))
    event_id = new_event_id()
    before = inbox.recorder.max_notification_id() or 0

    duplicate = inbox.record([stripe_event(event_id), stripe_event(event_id)])

    assert duplicate == [False, True]
    notifications = inbox.recorder.select_notifications(start=before, limit=10,
                                                        inclusive_of_start=False)
    assert len(notifications) == 1
