"""A subscription's life: created with its first invoice, renewed period by period, past due on a
declined renewal, canceled now or at the period's end.

Every change of a subscription emits ``customer.subscription.updated`` with the old values of what
changed (``data.previous_attributes``). A new subscription starts ``incomplete`` and becomes
``active`` once its first invoice is paid (``customer.subscription.created``, the invoice's events,
then ``customer.subscription.updated``), as Stripe does for Checkout.

A declined renewal makes an ``active`` subscription ``past_due``; :mod:`emulator.invoices` retries
it on :data:`emulator.invoices.RETRY_DAYS`; when the last retry fails the subscription is
canceled (``customer.subscription.deleted``, ``cancellation_details.reason = "payment_failed"``),
Stripe's default "cancel the subscription" setting; its invoice stays ``open``. Paying the invoice
(``POST /v1/invoices/{id}/pay``) makes a ``past_due`` or ``incomplete`` subscription ``active``.

A customer on a test clock lives in the clock's time: everything done for its subscriptions
happens at the clock's frozen time (``objects.frozen_at``).
"""

from __future__ import annotations

import copy
from typing import Any

from emulator import cards, invoices, periods
from emulator.diff import previous_attributes
from emulator.errors import StripeError, card_error
from emulator.objects import frozen_at, now
from emulator.objects_payments import build_subscription
from emulator.state import EmulatorState

LIVE = ("active", "past_due", "unpaid", "trialing")
OPEN = (*LIVE, "incomplete")


def clock_time(state: EmulatorState, customer: dict[str, Any]) -> int | None:
    """The frozen time of the customer's test clock, or None (real time)."""
    clock = state.find("test_helpers.test_clock", customer.get("test_clock"))
    return clock["frozen_time"] if clock else None


def payment_method_of(state: EmulatorState, sub: dict[str, Any]) -> dict[str, Any] | None:
    """The subscription's ``default_payment_method``, else the customer's invoice default."""
    pm_id = sub["default_payment_method"]
    if pm_id is None:
        customer = state.find("customer", sub["customer"]) or {"invoice_settings": {}}
        pm_id = customer["invoice_settings"].get("default_payment_method")
    return state.find("payment_method", pm_id)


def changed(state: EmulatorState, sub: dict[str, Any], before: dict[str, Any]) -> None:
    """``customer.subscription.updated`` when ``sub`` differs from ``before``."""
    previous = previous_attributes(before, sub)
    if previous:
        state.emit("customer.subscription.updated", sub, previous)


def create(state: EmulatorState, customer: dict[str, Any],
           items: list[tuple[dict[str, Any], int]], *, default_payment_method: str | None,
           metadata: dict[str, str], behavior: str = "allow_incomplete",
           off_session: bool = True, cancel_at_period_end: bool = False,
           refuse_decline: bool = False, on_page: bool = False) -> dict[str, Any]:
    """A new subscription and its first invoice, paid now unless ``behavior`` is
    ``default_incomplete``; a declined payment leaves it ``incomplete`` with the invoice open.

    ``refuse_decline`` (``error_if_incomplete``): a card that would decline is the card's 402 and
    nothing is created (the emulator asks the test card first; Stripe records the failed charge).
    """
    if refuse_decline:
        pm_id = default_payment_method or customer["invoice_settings"].get(
            "default_payment_method")
        number = state.card_numbers.get(pm_id or "", "")
        decline = cards.charge_decline(number, off_session=off_session)
        if decline is None and cards.needs_authentication(number, off_session=off_session):
            decline = cards.AUTHENTICATION
        if decline is not None:
            raise card_error(decline.message, code=decline.code,
                             decline_code=decline.decline_code)
    with frozen_at(clock_time(state, customer)):
        sub = build_subscription(customer["id"], items,
                                 default_payment_method=default_payment_method,
                                 metadata=metadata, test_clock=customer.get("test_clock"))
        if cancel_at_period_end:
            sub.update(cancel_at_period_end=True, canceled_at=sub["created"],
                       cancel_at=sub["items"]["data"][0]["current_period_end"])
        item = sub["items"]["data"][0]
        invoice = invoices.build_invoice(
            state, sub, customer, "subscription_create", (sub["created"], sub["created"]),
            (item["current_period_start"], item["current_period_end"]))
        sub["latest_invoice"] = invoice["id"]
        state.put(sub)
        state.emit("customer.subscription.created", sub)
        invoices.open_invoice(state, invoice, customer)
        if behavior != "default_incomplete":
            pay(state, sub, invoice, payment_method_of(state, sub),
                off_session=off_session, automatic=False, on_page=on_page)
        return sub


def pay(state: EmulatorState, sub: dict[str, Any], invoice: dict[str, Any],
        pm: dict[str, Any] | None, *, off_session: bool, automatic: bool, on_page: bool = False
        ) -> StripeError | None:
    """Attempt the invoice and move the subscription's status along; returns the failure."""
    before = copy.deepcopy(sub)
    error = invoices.attempt(state, invoice, pm, off_session=off_session, automatic=automatic,
                             on_page=on_page)
    if error is None:
        if sub["status"] in ("incomplete", "past_due", "unpaid"):
            sub["status"] = "active"
    elif invoice["billing_reason"] != "subscription_create" and sub["status"] == "active":
        sub["status"] = "past_due"
    changed(state, sub, before)
    if error is not None and automatic and invoice["next_payment_attempt"] is None:
        cancel(state, sub, reason="payment_failed")
    return error


def cancel(state: EmulatorState, sub: dict[str, Any], *, reason: str = "cancellation_requested",
           ended_at: int | None = None) -> dict[str, Any]:
    """End the subscription now (``customer.subscription.deleted``); a second time is a no-op."""
    if sub["status"] in ("canceled", "incomplete_expired"):
        return sub
    at = now()
    sub.update(status="canceled", canceled_at=sub["canceled_at"] or at,
               ended_at=ended_at or at)
    sub["cancellation_details"] = {"comment": None, "feedback": None, "reason": reason}
    state.emit("customer.subscription.deleted", sub)
    return sub


def renew(state: EmulatorState, sub: dict[str, Any]) -> None:
    """The current period ended (at the clock's time): end a ``cancel_at_period_end``
    subscription, or start the next period with a ``subscription_cycle`` invoice and pay it."""
    item = sub["items"]["data"][0]
    if sub["cancel_at_period_end"]:
        cancel(state, sub, ended_at=item["current_period_end"])
        return
    recurring = item["price"]["recurring"]
    ended = (item["current_period_start"], item["current_period_end"])
    start, end = periods.next_period(sub["billing_cycle_anchor"], recurring["interval"],
                                     recurring["interval_count"], ended[1])
    customer = state.get("customer", sub["customer"])
    invoice = invoices.build_invoice(state, sub, customer, "subscription_cycle", ended,
                                     (start, end))
    before = copy.deepcopy(sub)
    for each in sub["items"]["data"]:
        each.update(current_period_start=start, current_period_end=end)
    sub["latest_invoice"] = invoice["id"]
    changed(state, sub, before)
    invoices.open_invoice(state, invoice, customer)
    pay(state, sub, invoice, payment_method_of(state, sub), off_session=True,
        automatic=True)


def due(state: EmulatorState, sub: dict[str, Any], until: int) -> tuple[int, str] | None:
    """The next thing to do for ``sub`` no later than ``until``: ``(when, "renew" | "retry")``."""
    if sub["status"] not in LIVE:
        return None
    moments = []
    period_end = sub["items"]["data"][0]["current_period_end"]
    if period_end <= until:
        moments.append((period_end, "renew"))
    invoice = state.find("invoice", sub["latest_invoice"])
    retry_at = (invoice or {}).get("next_payment_attempt")
    if invoice and invoice["status"] == "open" and retry_at is not None and retry_at <= until:
        moments.append((retry_at, "retry"))
    return min(moments) if moments else None


def run(state: EmulatorState, sub: dict[str, Any], what: str) -> None:
    """Do what :func:`due` found (the caller holds ``objects.frozen_at`` at its time)."""
    if what == "renew":
        renew(state, sub)
        return
    invoice = state.get("invoice", sub["latest_invoice"])
    pay(state, sub, invoice, payment_method_of(state, sub), off_session=True,
        automatic=True)
