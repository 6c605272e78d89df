"""The hosted payment page, ``/pay/{cs_id}``: what ``session.url`` points at.

Stable element ids for browser tests: ``#card-number``, ``#pay-button``, ``#error``, ``#total``,
``#cancel-link`` and radios ``input[name=method]`` valued ``card``, ``bank_debit_succeeds``,
``bank_debit_fails``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from domain.money import format_money
from emulator import checkout_flow
from emulator.errors import StripeError
from emulator.runtime import Runtime, runtime_of

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
templates.env.filters["money"] = format_money  # the service's own formatter


def _page(request: Request, rt: Runtime, session: dict[str, Any], *, error: str | None = None,
          status: int = 200) -> Response:
    with rt.state.lock:
        items = list(rt.state.line_items.get(session["id"], []))
    context = {"session": session, "items": items, "error": error,
               "bank_debit": "us_bank_account" in session["payment_method_types"]}
    return templates.TemplateResponse(request, "pay.html", context, status_code=status)


async def show(request: Request) -> Response:
    """The page: line items, total, card form, bank debit choice (or the session's final state)."""
    rt = runtime_of(request)
    session = rt.state.find("checkout.session", request.path_params["id"])
    if session is None:
        return templates.TemplateResponse(request, "missing.html", {}, status_code=404)
    return _page(request, rt, session)


async def submit(request: Request) -> Response:
    """Pay: 303 to the success URL, or the page again with Stripe's message (402 for a decline)."""
    rt = runtime_of(request)
    session_id = request.path_params["id"]
    session = rt.state.find("checkout.session", session_id)
    if session is None:
        return templates.TemplateResponse(request, "missing.html", {}, status_code=404)
    form = await request.form()
    method = str(form.get("method") or "card")
    try:
        if method == "card":
            session = checkout_flow.pay_with_card(rt.state, session_id,
                                                  str(form.get("card_number") or ""))
        else:
            session = checkout_flow.pay_with_bank_debit(rt.state, session_id, method,
                                                        rt.schedule_settlement,
                                                        rt.config.settle_delay_seconds)
    except StripeError as exc:
        return _page(request, rt, session, error=exc.message, status=exc.status)
    return RedirectResponse(checkout_flow.redirect_url(session), status_code=303)


routes = [
    Route("/pay/{id}", show, methods=["GET"]),
    Route("/pay/{id}", submit, methods=["POST"]),
]
