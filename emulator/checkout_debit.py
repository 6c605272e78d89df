"""A Checkout Session paid by bank debit: completed unpaid, then settled (later or on demand).

Used by the hosted page and by the control API (``/_emulator/checkout/sessions/{id}/pay`` and
``.../settle``); both change the same state and emit the same events as Stripe would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.checkout_flow import open_session
from emulator.checkout_steps import complete, email_of, payment_intent_for, succeed
from emulator.errors import invalid
from emulator.objects_payments import build_bank_payment_method
from emulator.state import EmulatorState

BANK_DEBIT_OUTCOMES = ("bank_debit_succeeds", "bank_debit_fails")
Schedule = Callable[[float, Callable[[], None]], None]


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
        pm = state.put(build_bank_payment_method(customer=None, email=email_of(state, session)))
        return start_debit(state, session, pm, outcome, schedule, delay, with_details=False)


def start_debit(state: EmulatorState, session: dict[str, Any], pm: dict[str, Any], outcome: str,
                schedule: Schedule | None, delay: float | None, *, with_details: bool = True
                ) -> dict[str, Any]:
    """Debit ``pm`` (a bank account: ``us_bank_account``, ``sepa_debit``) for the open
    ``session``: its PaymentIntent is ``processing`` and the session completes unpaid; the
    debit settles (``outcome``) after ``delay`` or on demand. ``with_details``: the session's
    ``customer_details`` come from ``pm``'s billing details."""
    session_id = session["id"]
    with state.lock:
        pi = payment_intent_for(state, session, pm, pm["type"])
        pi["status"] = "processing"  # ``processing`` (the hash) describes cards only: stays null
        state.emit("payment_intent.processing", pi)
        session["payment_intent"] = pi["id"]
        state.pending_debits[session_id] = outcome
        complete(state, session, pm if with_details else None)
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
            succeed(state, pi)
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
