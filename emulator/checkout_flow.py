"""What happens to a Checkout Session after creation: paid by card (a new one, or the returning
customer's pre-filled saved card), completed, expired. Bank debits: ``checkout_debit``.

Used by the hosted page and by the control API (``/_emulator/checkout/sessions/{id}/pay``); both
change the same state and emit the same events as Stripe would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator import card_form, cards, prefill
from emulator.checkout_steps import complete, email_of, payment_intent_for, subscribe, succeed
from emulator.errors import card_error, invalid
from emulator.objects import build_customer, now
from emulator.objects_payments import build_setup_intent
from emulator.payment_methods import new_card
from emulator.state import EmulatorState


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


def pay_with_card(state: EmulatorState, session_id: str, number: str,
                  billing: Mapping[str, Any] | None = None, *, save: bool = False
                  ) -> dict[str, Any]:
    """Complete the session with a test card, or raise the card's decline (402, nothing changes).

    ``billing`` holds the page's ``billing_*`` fields (see :mod:`emulator.card_form`); ``save``
    is the "save my card" box, which counts only when the session offers it.
    """
    with state.lock:
        session = open_session(state, session_id)
        if not cards.is_valid(number):
            raise card_error("Your card number is incorrect.", code="incorrect_number",
                             decline_code=None, extra={"param": "number"})
        if session["mode"] != "setup":
            _raise_decline(cards.normalize(number))
        details = card_form.billing_details(billing or {}, session["billing_address_collection"],
                                            email=email_of(state, session))
        consent = save and card_form.save_offered(session)
        override = state.checkout_options.get(session_id, {}).get("allow_redisplay")
        redisplay = card_form.allow_redisplay(session["mode"], consent=consent, override=override)
        if session["mode"] == "payment":
            owner = state.find("customer", session["customer"]) if consent else None
            pm = _card(state, number, details, owner, redisplay if owner else "unspecified")
            pi = payment_intent_for(state, session, pm, "card",
                                    setup_future_usage="on_session" if owner else None)
            succeed(state, pi)
            session.update(payment_intent=pi["id"], payment_status="paid")
        elif session["mode"] == "setup":
            # Saved to the session's customer when it has one; otherwise to nobody (Checkout
            # creates no Customer in setup mode).
            owner = state.find("customer", session["customer"])
            pm = _card(state, number, details, owner, redisplay)
            _save_card(state, session, owner, pm)
        else:
            customer = _customer(state, session)
            pm = _card(state, number, details, customer, redisplay)
            subscribe(state, session, customer, pm)
        return complete(state, session, pm)


def pay_with_saved_card(state: EmulatorState, session_id: str, pm_id: str,
                        at: int | None = None) -> dict[str, Any]:
    """Complete the session with the saved card the page pre-fills (:mod:`emulator.prefill`).

    The PaymentIntent (or the subscription) uses that PaymentMethod, which stays attached to the
    customer. A card the page does not offer (another one, or after the 30 minutes) is a 400; a
    decline is the card's 402, and nothing changes.
    """
    with state.lock:
        session = open_session(state, session_id)
        offered = prefill.choose(state, session, state.clock() if at is None else at)
        if offered is None or offered["id"] != pm_id:
            raise invalid("This saved card is not offered on this Checkout Session. Enter the "
                          "card details instead.", param="payment_method")
        _raise_decline(state.card_numbers.get(pm_id, ""))
        if session["mode"] == "payment":
            pi = payment_intent_for(state, session, offered, "card")
            succeed(state, pi)
            session.update(payment_intent=pi["id"], payment_status="paid")
        else:
            subscribe(state, session, state.get("customer", session["customer"]), offered)
        return complete(state, session, offered)


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


def _raise_decline(number: str) -> None:
    decline = cards.charge_decline(number, off_session=False)
    if decline:
        raise card_error(decline.message, code=decline.code, decline_code=decline.decline_code)


def _customer(state: EmulatorState, session: dict[str, Any]) -> dict[str, Any]:
    """The session's customer; subscription sessions create one when none was given."""
    existing = state.find("customer", session["customer"])
    if existing:
        return existing
    customer = state.put(build_customer(email=email_of(state, session), name=None))
    state.emit("customer.created", customer)
    session["customer"] = customer["id"]
    return customer


def _card(state: EmulatorState, number: str, billing: dict[str, Any],
          owner: dict[str, Any] | None, redisplay: str) -> dict[str, Any]:
    """A new card with the page's billing details, attached to ``owner`` when there is one."""
    pm = new_card(state, number, customer=owner["id"] if owner else None, email=billing["email"])
    pm.update(billing_details=billing, allow_redisplay=redisplay)
    if owner:
        state.emit("payment_method.attached", pm)
    return pm


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
