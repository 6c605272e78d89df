"""``/v1/payment_pages/{cs_id}``: the API behind Checkout's hosted page, as the Stripe CLI uses it.

``stripe trigger checkout.session.*`` creates a session, reads its payment page, creates a
PaymentMethod and confirms the page with it (``payment_method``, ``expected_amount``): what a
customer paying on the hosted page does. Stripe does not document this API; the emulator answers
a page object of its own (:func:`page`) and confirms as its hosted page pays:

- a card pays a ``payment`` session (or declines: the card's 402, nothing changes), saves itself
  in ``setup`` mode, starts the subscription in ``subscription`` mode (a customer is created when
  the session has none, and the card is attached to it);
- a bank debit (``sepa_debit``) completes a ``payment`` session unpaid; its debit settles after
  the emulator's ``settle_delay_seconds`` (``POST /_emulator/checkout/sessions/{id}/settle`` for
  now), succeeding or failing as its test IBAN does (:mod:`emulator.sepa`).
"""

from __future__ import annotations

from typing import Any

from emulator import cards, checkout_debit, payment_methods
from emulator.checkout_flow import open_session
from emulator.checkout_steps import complete, payment_intent_for, subscribe, succeed
from emulator.errors import card_error, invalid
from emulator.objects import build_customer
from emulator.objects_payments import build_setup_intent
from emulator.state import EmulatorState

BANK_DEBITS = ("sepa_debit",)


def page(state: EmulatorState, session: dict[str, Any]) -> dict[str, Any]:
    """What the hosted page shows of a session."""
    return {
        "id": session["id"], "object": "payment_page", "session_id": session["id"],
        "mode": session["mode"], "status": session["status"],
        "payment_status": session["payment_status"], "currency": session["currency"],
        "amount_total": session["amount_total"],
        "payment_method_types": list(session["payment_method_types"]),
        "customer": session["customer"], "customer_email": session["customer_email"],
        "line_items": [{"price": li["price"]["id"], "quantity": li["quantity"],
                        "description": li["description"], "amount_total": li["amount_total"]}
                       for li in state.line_items.get(session["id"], [])],
        "success_url": session["success_url"], "cancel_url": session["cancel_url"],
        "livemode": False,
    }


def confirm(state: EmulatorState, session_id: str, pm_id: str, expected_amount: int | None,
            schedule: checkout_debit.Schedule | None, delay: float | None) -> dict[str, Any]:
    """Pay the session with the PaymentMethod ``pm_id``; answers the page as it is after."""
    with state.lock:
        session = open_session(state, session_id)
        pm = payment_methods.resolve(state, pm_id, param="payment_method")
        payment_methods.usable(state, pm)
        if pm["type"] not in session["payment_method_types"]:
            raise invalid(f"The PaymentMethod type {pm['type']} is not available on this "
                          "Checkout Session.", param="payment_method")
        due = session["amount_total"]
        if expected_amount is not None and due is not None and expected_amount != due:
            raise invalid(f"The expected amount ({expected_amount}) does not match the amount "
                          f"due on this Checkout Session ({due}).", param="expected_amount")
        if pm["type"] in BANK_DEBITS:
            if session["mode"] != "payment":
                raise invalid(f"A {pm['type']} PaymentMethod can only pay a payment-mode "
                              "Checkout Session here.", param="payment_method")
            outcome = state.debit_outcomes.get(pm["id"], "bank_debit_succeeds")
            checkout_debit.start_debit(state, session, pm, outcome, schedule, delay)
        else:
            _pay_by_card(state, session, pm)
        return page(state, session)


def _pay_by_card(state: EmulatorState, session: dict[str, Any], pm: dict[str, Any]) -> None:
    number = state.card_numbers.get(pm["id"], "")
    if session["mode"] == "setup":
        _save(state, session, pm)
        complete(state, session, pm)
        return
    decline = cards.charge_decline(number, off_session=False)
    if decline:
        raise card_error(decline.message, code=decline.code, decline_code=decline.decline_code)
    if session["mode"] == "payment":
        pi = payment_intent_for(state, session, pm, "card")
        if session["customer"] and pi["setup_future_usage"]:
            payment_methods.attach(state, pm, session["customer"])  # saved for later
        succeed(state, pi)
        session.update(payment_intent=pi["id"], payment_status="paid")
    else:
        customer = state.find("customer", session["customer"])
        if customer is None:
            customer = state.put(build_customer(email=pm["billing_details"]["email"]
                                                or session["customer_email"], name=None))
            state.emit("customer.created", customer)
            session["customer"] = customer["id"]
        payment_methods.attach(state, pm, customer["id"])
        subscribe(state, session, customer, pm)
    complete(state, session, pm)


def _save(state: EmulatorState, session: dict[str, Any], pm: dict[str, Any]) -> None:
    """Setup mode: the card is saved (to the session's customer, if it has one)."""
    customer = session["customer"]
    if customer:
        payment_methods.attach(state, pm, customer)
    seti = build_setup_intent(customer=customer, payment_method=pm["id"],
                              payment_method_types=["card"], metadata={})
    state.put(seti)
    state.emit("setup_intent.created", seti)
    seti["status"] = "succeeded"
    state.emit("setup_intent.succeeded", seti)
    session["setup_intent"] = seti["id"]
