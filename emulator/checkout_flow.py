"""What happens to a Checkout Session after creation: paid by card, by bank debit, settled, expired.

Used by the hosted page and by the control API (``/_emulator/checkout/sessions/{id}/pay``); both
change the same state and emit the same events as Stripe would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator import cards
from emulator.errors import card_error, invalid
from emulator.objects import build_customer, now
from emulator.objects_payments import (
    build_bank_payment_method,
    build_payment_intent,
    build_setup_intent,
    build_subscription,
)
from emulator.payment_methods import new_card
from emulator.state import EmulatorState

BANK_DEBIT_OUTCOMES = ("bank_debit_succeeds", "bank_debit_fails")
Schedule = Callable[[float, Callable[[], None]], None]


def redirect_url(session: dict[str, Any]) -> str:
    """The success URL with ``{CHECKOUT_SESSION_ID}`` filled in, as Stripe redirects."""
    return str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session["id"])


def open_session(state: EmulatorState, session_id: str) -> dict[str, Any]:
    """The session, if it can still be paid; otherwise a 400 like Stripe's."""
    session = state.get("checkout.session", session_id)
    if session["status"] != "open":
        raise invalid(f"This Checkout Session is no longer active (status: {session['status']}).",
                      code="checkout_session_inactive")
    return session


def pay_with_card(state: EmulatorState, session_id: str, number: str) -> dict[str, Any]:
    """Complete the session with a test card, or raise the card's decline (402, nothing changes)."""
    with state.lock:
        session = open_session(state, session_id)
        if not cards.is_valid(number):
            raise card_error("Your card number is incorrect.", code="incorrect_number",
                             decline_code=None, extra={"param": "number"})
        if session["mode"] != "setup":
            decline = cards.charge_decline(number, off_session=False)
            if decline:
                raise card_error(decline.message, code=decline.code,
                                 decline_code=decline.decline_code)
        if session["mode"] == "payment":
            pm = _card(state, number, customer=None, email=_email(state, session))
            pi = _payment_intent(state, session, pm, "card")
            _succeed(state, pi)
            session.update(payment_intent=pi["id"], payment_status="paid")
        elif session["mode"] == "setup":
            # Saved to the session's customer when it has one; otherwise to nobody (Checkout
            # creates no Customer in setup mode).
            owner = state.find("customer", session["customer"])
            pm = _card(state, number, customer=owner["id"] if owner else None,
                       email=_email(state, session))
            if owner:
                state.emit("payment_method.attached", pm)
            _save_card(state, session, owner, pm)
        else:
            customer = _customer(state, session)
            pm = _card(state, number, customer=customer["id"], email=customer["email"])
            state.emit("payment_method.attached", pm)
            _subscribe(state, session, customer, pm)
        return _complete(state, session)


def pay_with_bank_debit(state: EmulatorState, session_id: str, outcome: str,
                        schedule: Schedule | None, delay: float | None) -> dict[str, Any]:
    """Complete the session unpaid; the debit settles (``outcome``) after ``delay`` or on demand."""
    if outcome not in BANK_DEBIT_OUTCOMES:
        raise invalid(f"Invalid method: must be card or one of {', '.join(BANK_DEBIT_OUTCOMES)}",
                      param="method")
    with state.lock:
        session = open_session(state, session_id)
        if "us_bank_account" not in session["payment_method_types"]:
            raise invalid("Bank debit is not available for this Checkout Session.",
                          param="payment_method_types")
        pm = state.put(build_bank_payment_method(customer=None, email=_email(state, session)))
        pi = _payment_intent(state, session, pm, "us_bank_account")
        pi["status"] = "processing"  # ``processing`` (the hash) describes cards only: stays null
        state.emit("payment_intent.processing", pi)
        session["payment_intent"] = pi["id"]
        state.pending_debits[session_id] = outcome
        _complete(state, session)
    if schedule is not None and delay is not None:
        schedule(delay, lambda: settle_if_pending(state, session_id))
    return session


def settle_if_pending(state: EmulatorState, session_id: str) -> None:
    """Settle now if still pending (a control call may have settled it first)."""
    with state.lock:
        if session_id in state.pending_debits:
            settle(state, session_id)


def settle(state: EmulatorState, session_id: str) -> dict[str, Any]:
    """Settle a pending bank debit: ``async_payment_succeeded`` or ``async_payment_failed``."""
    with state.lock:
        session = state.get("checkout.session", session_id)
        outcome = state.pending_debits.pop(session_id, None)
        if outcome is None:
            raise invalid("This Checkout Session has no pending bank debit to settle.")
        pi = state.get("payment_intent", session["payment_intent"])
        if outcome == "bank_debit_succeeds":
            _succeed(state, pi)
            session["payment_status"] = "paid"
            state.emit("checkout.session.async_payment_succeeded", session)
        else:
            pi.update(status="requires_payment_method", last_payment_error={
                "type": "invalid_request_error", "code": "payment_method_provider_decline",
                "decline_code": "insufficient_funds", "payment_method": state.find(
                    "payment_method", pi["payment_method"]),
                "message": "The customer's bank account could not be debited.",
            })
            state.emit("payment_intent.payment_failed", pi)
            state.emit("checkout.session.async_payment_failed", session)
        return session


def expire(state: EmulatorState, session_id: str) -> dict[str, Any]:
    """Expire an open session (``checkout.session.expired``); any other status is a 400."""
    with state.lock:
        session = state.get("checkout.session", session_id)
        if session["status"] != "open":
            raise invalid('Only Checkout Sessions with a status in ["open"] can be expired. This '
                          f'Checkout Session has a status of "{session["status"]}".')
        session.update(status="expired", url=None)
        state.emit("checkout.session.expired", session)
        return session


def expire_if_due(state: EmulatorState, session_id: str) -> None:
    """Timer job: expire the session at its ``expires_at`` if nobody paid it."""
    with state.lock:
        session = state.find("checkout.session", session_id)
        if session and session["status"] == "open" and session["expires_at"] <= now():
            expire(state, session_id)


# -- steps -------------------------------------------------------------------------------------

def _email(state: EmulatorState, session: dict[str, Any]) -> str:
    customer = state.find("customer", session["customer"])
    return (customer or {}).get("email") or session["customer_email"] or "customer@example.com"


def _customer(state: EmulatorState, session: dict[str, Any]) -> dict[str, Any]:
    """The session's customer; subscription sessions create one when none was given."""
    existing = state.find("customer", session["customer"])
    if existing:
        return existing
    customer = state.put(build_customer(email=_email(state, session), name=None))
    state.emit("customer.created", customer)
    session["customer"] = customer["id"]
    return customer


def _card(state: EmulatorState, number: str, *, customer: str | None, email: str | None
          ) -> dict[str, Any]:
    return new_card(state, number, customer=customer, email=email)


def _payment_intent(state: EmulatorState, session: dict[str, Any], pm: dict[str, Any],
                    kind: str) -> dict[str, Any]:
    pi = build_payment_intent(session["amount_total"], session["currency"],
                              customer=session["customer"], payment_method=pm["id"],
                              payment_method_types=[kind], metadata={})
    state.put(pi)
    state.emit("payment_intent.created", pi)
    return pi


def _succeed(state: EmulatorState, pi: dict[str, Any]) -> None:
    pi.update(status="succeeded", amount_received=pi["amount"], last_payment_error=None,
              next_action=None)
    state.emit("payment_intent.succeeded", pi)


def _save_card(state: EmulatorState, session: dict[str, Any], customer: dict[str, Any] | None,
               pm: dict[str, Any]) -> None:
    seti = build_setup_intent(customer=customer["id"] if customer else None,
                              payment_method=pm["id"],
                              payment_method_types=["card"], metadata={})
    state.put(seti)
    state.emit("setup_intent.created", seti)
    seti["status"] = "succeeded"
    state.emit("setup_intent.succeeded", seti)
    session["setup_intent"] = seti["id"]


def _subscribe(state: EmulatorState, session: dict[str, Any], customer: dict[str, Any],
               pm: dict[str, Any]) -> None:
    items = [(li["price"], li["quantity"]) for li in state.line_items[session["id"]]
             if li["price"]["type"] == "recurring"]
    sub = state.put(build_subscription(customer["id"], items, default_payment_method=pm["id"],
                                       metadata={}))
    state.emit("customer.subscription.created", sub)
    session.update(subscription=sub["id"], payment_status="paid")


def _complete(state: EmulatorState, session: dict[str, Any]) -> dict[str, Any]:
    customer = state.find("customer", session["customer"]) or {}
    session.update(status="complete", url=None, customer_details={
        "address": {k: None for k in ("city", "country", "line1", "line2", "postal_code",
                                      "state")},
        "email": _email(state, session), "name": customer.get("name"),
        "phone": customer.get("phone"), "tax_exempt": "none", "tax_ids": [],
        "business_name": None, "individual_name": None,
    })
    state.emit("checkout.session.completed", session)
    return session

