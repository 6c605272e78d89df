"""The console's built-in kinds of object: sessions, customers, charges, stored events.

Each reads through the applications' own queries and acts through their own commands
(the same ones the JSON routes and the CLI use): nothing here decides anything.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from api.console import actions
from api.console.registry import Action, Kind, NotKnown, View, kind_of, register
from api.console.timeline import StripeTypes, entries, entry, merged
from api.params import parse_charge_id, parse_customer_id, parse_event_id, parse_session_id
from api.payment_views import charge_summary, customer_view
from api.subscriptions import customer_subscriptions
from api.system import Services
from api.views import session_view
from domain.errors import ChargeNotFound, SessionNotFound
from domain.model.customer import Customer, customer_uuid
from domain.model.parked_event import parked_uuid
from domain.model.received_event import received_event_uuid


def _check(version: int | None, latest: int, what: str) -> None:
    if version is not None and version > latest:
        raise NotKnown(f"{what} has {latest} events; there is no version {version}")


def load_session(services: Services, session_id: str, version: int | None) -> View:
    try:
        history = services.ledger.history(session_id)
        _check(version, len(history), session_id)
        session = services.ledger.session(session_id, version=version)
    except SessionNotFound:
        raise NotKnown(f"no session {session_id} in the ledger") from None
    state = session_view(session)
    links = [("customer", "customer", state["customer"])] if state.get("customer") else []
    return View(f"Checkout Session {session_id}", state, entries(history, StripeTypes(services)),
                version, len(history), links)


def load_charge(services: Services, charge_id: str, version: int | None) -> View:
    try:
        history = services.charges.history(charge_id)
        _check(version, len(history), charge_id)
        charge = (services.charges.charge_at(charge_id, version) if version
                  else services.charges.charge_of(charge_id))
    except ChargeNotFound:
        raise NotKnown(f"no charge {charge_id}") from None
    assert charge is not None
    state = charge_summary(charge)
    links = [("customer", "customer", state["customer"])]
    if charge.recovery:
        links.append(("recovery session", "session", charge.recovery[0]))
    if charge.recovered_by and charge.recovered_by != (charge.recovery or ("",))[0]:
        links.append(("paid through", "session", charge.recovered_by))
    return View(f"Charge {charge_id}", state, entries(history, StripeTypes(services)),
                version, len(history), links)


def load_customer(services: Services, customer_id: str, version: int | None) -> View:
    own = list(services.customers.events.get(customer_uuid(customer_id)))
    if not own:
        raise NotKnown(f"the service never saw customer {customer_id}")
    _check(version, len(own), customer_id)
    found: Any = services.customers.repository.get(customer_uuid(customer_id), version=version)
    assert isinstance(found, Customer)
    charges = [c for c in (services.charges.charge_of(i) for i in found.charges) if c]
    state = customer_view(found, charges, datetime.now(UTC).date(),
                          *customer_subscriptions(services, customer_id))
    types = StripeTypes(services)
    timeline = [entries(own, types)]
    for linked in found.sessions:  # every session and charge, in one story
        timeline.append(entries(_or_none(services.ledger.history, linked.session_id, ()), types,
                                versioned=False, about=("session", linked.session_id)))
    for charge_id in found.charges:
        timeline.append(entries(_or_none(services.charges.history, charge_id, ()), types,
                                versioned=False, about=("charge", charge_id)))
    links = [("session", "session", s.session_id) for s in found.sessions]
    links += [("charge", "charge", c) for c in found.charges]
    return View(f"Customer {customer_id}", state, merged(*timeline), version, len(own), links)


def load_event(services: Services, event_id: str, version: int | None) -> View:
    stored = services.inbox.get(event_id)
    if stored is None:
        raise NotKnown(f"no Stripe event {event_id} in the raw log")
    types = StripeTypes(services)
    received = list(services.inbox.events.get(received_event_uuid(event_id)))
    parked = list(services.ledger.events.get(parked_uuid(event_id)))
    record = services.ledger.parked(event_id)
    state = {"id": stored.id, "type": stored.type, "created": stored.created.isoformat(),
             "object": stored.object_id, "livemode": stored.livemode,
             "parked": bool(record and record.parked),
             "attempts": record.attempts if record else 0,
             "error": record.error if record and record.parked else None,
             "payload": stored.payload[:20_000]}
    timeline = [entry(e, types, versioned=False) for e in received]
    timeline += entries(parked, types, versioned=False)
    links = []
    owner = kind_of(stored.object_id or "")
    if owner is not None and stored.object_id:
        links.append((owner.title.lower(), owner.name, stored.object_id))
    return View(f"Stripe event {event_id}", state, merged(timeline), None, None, links)


def _or_none(query: Any, object_id: str, default: Any) -> Any:
    try:
        return query(object_id)
    except (SessionNotFound, ChargeNotFound):
        return default


register(Kind("session", "Session", "cs_", parse_session_id, load_session, (
    Action("fulfill", "Fulfil again", actions.fulfill,
           "Runs the fulfillment again; never fulfils twice."),)))
register(Kind("customer", "Customer", "cus_", parse_customer_id, load_customer))
register(Kind("charge", "Charge", "chg_", parse_charge_id, load_charge, (
    Action("retry", "Retry the charge now", actions.retry_charge,
           "A new off-session attempt of the declined charge."),
    Action("recovery_link", "Send a new recovery link", actions.recovery_link,
           "A new Checkout Session, emailed to the customer."))))
register(Kind("event", "Stripe event", "evt_", parse_event_id, load_event, (
    Action("reprocess", "Reprocess the event", actions.reprocess,
           "Applies the stored event again; never twice."),), versioned=False))
