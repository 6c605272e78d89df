"""The console's subscriptions: Stripe's (``sub_...``, kept by the ledger) and the service's
own (``msub_...``), each with its timeline and the staff actions that apply to it."""

from __future__ import annotations

from typing import Any

from api.console.registry import Action, Done, Kind, NotKnown, View, register
from api.console.timeline import StripeTypes, entries
from api.params import parse_subscription_id
from api.subscription_views import subscription_view
from api.system import Services
from domain.apps.subscriptions import NothingToDo
from domain.errors import SubscriptionNotFound
from domain.ports import StripeRefused


def load_subscription(services: Services, subscription_id: str, version: int | None) -> View:
    stripe = subscription_id.startswith("sub_")
    try:
        if stripe:
            history: list[Any] = services.ledger.subscription_history(subscription_id)
            if version is not None and version > len(history):
                raise NotKnown(f"{subscription_id} has {len(history)} events")
            shown = services.ledger.subscription(subscription_id, version=version).view()
        else:
            history = services.subscriptions.history(subscription_id)
            if version is not None and version > len(history):
                raise NotKnown(f"{subscription_id} has {len(history)} events")
            shown = services.subscriptions.subscription(subscription_id, version).view()
    except SubscriptionNotFound:
        raise NotKnown(f"no subscription {subscription_id}") from None
    state = subscription_view(shown)
    links = [("customer", "customer", shown.customer)] if shown.customer else []
    title = f"{'Stripe' if stripe else 'Merchant'} subscription {subscription_id}"
    return View(title, state, entries(history, StripeTypes(services)), version, len(history),
                links)


def _cancel(at_period_end: bool) -> Any:
    def run(services: Services, subscription_id: str, actor: str, reason: str | None) -> Done:
        view = services.view_of(subscription_id)
        if view is None:
            return Done(f"No subscription {subscription_id}.", ok=False)
        if view.status == "canceled":
            return Done(f"{subscription_id} is canceled already.", ok=False)
        try:
            if view.kind == "merchant":
                services.subscriptions.cancel(subscription_id, at_period_end, actor, reason)
            else:
                action = "cancel_at_period_end" if at_period_end else "cancel"
                services.stripe.cancel_subscription(
                    subscription_id, at_period_end, f"checkout-ledger:{subscription_id}:{action}")
                services.ledger.record_subscription_request(subscription_id, action, actor,
                                                            reason)
        except StripeRefused as refused:
            return Done(f"Stripe refused: {refused}", ok=False)
        when = "at the end of its period" if at_period_end else "now"
        return Done(f"{subscription_id} is canceled {when}.")

    return run


def retry(services: Services, subscription_id: str, actor: str, reason: str | None) -> Done:
    try:
        sub = services.subscriptions.retry_now(subscription_id, actor, reason)
    except NothingToDo as nothing:
        return Done(f"Nothing retried: {nothing}.", ok=False)
    status = sub.view().status
    return Done(f"Retried {subscription_id}: it is {status.replace('_', ' ')}.",
                ok=status == "active")


def recovery_link(services: Services, subscription_id: str, actor: str, reason: str | None
                  ) -> Done:
    try:
        sub = services.subscriptions.send_new_link(subscription_id, actor, reason)
    except NothingToDo as nothing:
        return Done(f"No link sent: {nothing}.", ok=False)
    return Done(f"A new link was sent to the customer: {sub.recovery_url}.")


_CANCELS = (
    Action("cancel_at_period_end", "Cancel at the period's end", _cancel(True),
           "Still active and entitled until the period ends; never charged again."),
    Action("cancel", "Cancel now", _cancel(False), "Ends the subscription at once."),
)
register(Kind("subscription", "Subscription", "msub_", parse_subscription_id,
              load_subscription, (
                  Action("retry", "Retry the payment now", retry,
                         "Charges the unpaid period again, off-session."),
                  Action("recovery_link", "Send a new recovery link", recovery_link,
                         "A new Checkout Session for the unpaid period, emailed."),
                  *_CANCELS)))
register(Kind("stripe_subscription", "Stripe subscription", "sub_", parse_subscription_id,
              load_subscription, _CANCELS))
