"""The hosted payment page, ``/pay/{cs_id}``: what ``session.url`` points at.

Stable element ids for browser tests: ``#card-number``, ``#pay-button``, ``#error``, ``#total``,
``#cancel-link`` and radios ``input[name=method]`` valued ``card``, ``bank_debit_succeeds``,
``bank_debit_fails``. The card's billing fields: ``#billing-name``, ``#billing-country``,
``#billing-postal-code`` (and with ``billing_address_collection=required``: ``#billing-line1``,
``#billing-line2``, ``#billing-city``, ``#billing-state``); ``#save-card-consent`` when the session
offers to save the card.

A returning customer (``customer=`` set, see :mod:`emulator.prefill`) sees ``#saved-card``: a
label holding the preselected radio ``input[name=method][value=saved_card]`` and the card's
brand and last4 ("Pay with Visa •••• 4242"), with the pre-filled name, email and address in
``#saved-card-details``. Paying with it is one click on ``#pay-button``; typing a card number
into ``#card-number`` chooses a new card instead (the page's script switches the radio, and the
server treats a typed number as a new card even without script).

After a refused payment (a decline, a wrong number) the page comes back with ``#error`` and
everything the customer typed and chose, never an empty card field. A recurring price shows its
interval (`` / month``) on its line, beside ``#total`` (``#total-interval``) and on the button. A
paid session's page (``#paid``, ``#status``) says so and leads back through ``#return-link`` to
the success URL (for a Payment Link with ``hosted_confirmation``, its confirmation page); an
expired one says nothing was charged. Long ids wrap on a phone's 390 px; ``/favicon.ico`` and
``/favicon.svg`` answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from domain.money import format_money
from emulator import card_form, checkout_debit, checkout_flow, payment_links, prefill
from emulator.errors import StripeError
from emulator.runtime import Runtime, runtime_of

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
templates.env.filters["money"] = format_money  # the service's own formatter


def per_interval(item: dict[str, Any]) -> str:
    """`` / month`` (or `` / 3 months``) after the amount of a recurring line item, else ``""``."""
    recurring = (item.get("price") or {}).get("recurring") if isinstance(item, dict) else None
    if not recurring:
        return ""
    count = int(recurring.get("interval_count") or 1)
    interval = str(recurring.get("interval") or "")
    return f" / {interval}" if count == 1 else f" / {count} {interval}s"


templates.env.filters["per_interval"] = per_interval


def _page(request: Request, rt: Runtime, session: dict[str, Any], *, error: str | None = None,
          status: int = 200, form: FormData | None = None) -> Response:
    """The page; after a refused payment, ``form`` is what the customer sent: typed fields
    and the chosen method are shown again (a decline never empties the card field)."""
    with rt.state.lock:
        items = list(rt.state.line_items.get(session["id"], []))
        saved = prefill.choose(rt.state, session, rt.state.clock())
        confirmation = payment_links.confirmation_of(rt.state, session)
    typed = {name: str(form.get(name) or "") for name in _TYPED} if form is not None else {}
    chosen = str(form.get("method") or "card") if form is not None else None
    if chosen == "saved_card" and typed.get("card_number", "").strip():
        chosen = "card"  # as :func:`_pay` reads it
    context = {"session": session, "items": items, "error": error, "saved": saved,
               "bank_debit": "us_bank_account" in session["payment_method_types"],
               "collection": session.get("billing_address_collection"),
               "countries": card_form.COUNTRIES, "test_billing": card_form.TEST_BILLING,
               "save_offered": card_form.save_offered(session), "typed": typed,
               "chosen": chosen, "per": next((per_interval(i) for i in items if per_interval(i)), ""),
               "return_url": checkout_flow.redirect_url(session) if session["success_url"] else None,
               "confirmation": confirmation is not None}
    return templates.TemplateResponse(request, "pay.html", context, status_code=status)


_TYPED = ("card_number", *card_form.FORM_FIELDS, "save_card")


async def show(request: Request) -> Response:
    """The page: line items, total, the pre-filled saved card, card form, bank debit choice (or
    the session's final state)."""
    rt = runtime_of(request)
    session = rt.state.find("checkout.session", request.path_params["id"])
    if session is None:
        return templates.TemplateResponse(request, "missing.html", {}, status_code=404)
    return _page(request, rt, session)


def _pay(rt: Runtime, session_id: str, form: FormData) -> dict[str, Any]:
    """Pay as the form says: the saved card, a new card, or a bank debit."""
    method = str(form.get("method") or "card")
    number = str(form.get("card_number") or "")
    if method == "saved_card" and number.strip():
        method = "card"  # a number typed into #card-number is a new card
    if method == "saved_card":
        return checkout_flow.pay_with_saved_card(rt.state, session_id,
                                                 str(form.get("payment_method") or ""))
    if method == "card":
        billing = {name: str(form.get(name) or "") for name in card_form.FORM_FIELDS}
        return checkout_flow.pay_with_card(rt.state, session_id, number, billing,
                                           save=form.get("save_card") == "on")
    return checkout_debit.pay_with_bank_debit(rt.state, session_id, method,
                                              rt.schedule_settlement,
                                              rt.config.settle_delay_seconds)


async def submit(request: Request) -> Response:
    """Pay: 303 to the success URL, or the page again with Stripe's message (402 for a decline)."""
    rt = runtime_of(request)
    session_id = request.path_params["id"]
    session = rt.state.find("checkout.session", session_id)
    if session is None:
        return templates.TemplateResponse(request, "missing.html", {}, status_code=404)
    form = await request.form()
    try:
        session = _pay(rt, session_id, form)
    except StripeError as exc:
        return _page(request, rt, session, error=exc.message, status=exc.status, form=form)
    return RedirectResponse(checkout_flow.redirect_url(session), status_code=303)


_FAVICON = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" '
            b'height="32" rx="7" fill="#635bff"/><path d="M8 13h16v10H8z" fill="none" '
            b'stroke="#fff" stroke-width="2.4"/><path d="M8 17h16" stroke="#fff" '
            b'stroke-width="2.4"/></svg>')


async def favicon(request: Request) -> Response:
    """The hosted pages' icon (``/favicon.svg``, and ``/favicon.ico`` browsers ask for)."""
    return Response(_FAVICON, media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})


routes = [
    Route("/favicon.ico", favicon, methods=["GET"]),
    Route("/favicon.svg", favicon, methods=["GET"]),
    Route("/pay/{id}", show, methods=["GET"]),
    Route("/pay/{id}", submit, methods=["POST"]),
]
