"""The console's actions: each calls the application command the JSON route calls, and
says what happened in a sentence."""

from __future__ import annotations

from api.console.registry import Action, Done
from api.system import Services
from domain.apps.fulfill_checkout import FulfillerFailed


def fulfill(services: Services, session_id: str, actor: str, reason: str | None) -> Done:
    try:
        outcome = services.fulfillment.fulfill_on_request(session_id, actor, reason)
    except FulfillerFailed as failed:
        return Done(f"The fulfillment failed again: {failed.error}", ok=False)
    if outcome.newly_fulfilled:
        return Done(f"{session_id} is fulfilled now.")
    return Done(f"Nothing fulfilled: {session_id} is {outcome.status.replace('_', ' ')}.",
                ok=outcome.status == "fulfilled")


def retry_charge(services: Services, charge_id: str, actor: str, reason: str | None) -> Done:
    outcome = services.charges.retry(charge_id, actor, reason)
    if outcome.status == "nothing_to_do":
        return Done(f"Nothing retried: {outcome.detail}.", ok=False)
    return Done(f"Retried {charge_id}: {outcome.detail.replace('_', ' ')}.",
                ok=outcome.charge.status == "succeeded")


def recovery_link(services: Services, charge_id: str, actor: str, reason: str | None) -> Done:
    outcome = services.charges.new_recovery_link(charge_id, actor, reason)
    if outcome.status == "nothing_to_do":
        return Done(f"No link sent: {outcome.detail}.", ok=False)
    return Done(f"{outcome.detail[0].upper()}{outcome.detail[1:]}.")


def reprocess(services: Services, event_id: str, actor: str, reason: str | None) -> Done:
    stored = services.inbox.get(event_id)
    if stored is None:
        return Done(f"No stored Stripe event {event_id}.", ok=False)
    status, error = services.ledger.reprocess(stored, actor, reason)
    if status == "failed":
        return Done(f"Reprocessing {event_id} failed again: {error}", ok=False)
    return Done(f"{event_id} ({stored.type}): {status.replace('_', ' ')}.")


def reconcile(services: Services, _: str, actor: str, reason: str | None) -> Done:
    counts = services.reconciler.reconcile(actor, reason)
    return Done(f"Reconciled with Stripe: {counts.seen} events seen, {counts.new} new, "
                f"{counts.already_known} already known.")


RECONCILE = Action("reconcile", "Reconcile now", reconcile,
                   "Ingests the Stripe events that were never delivered.")
