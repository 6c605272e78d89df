"""Signing in with a staff token (the form posts it; it never goes in a URL or a cookie),
and signing out."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api.console.auth import csrf_ok, sign_in, sign_out, signed_in_staff, staff_for_token
from api.console.guard import read_form, safe_next, signed_in
from api.console.render import NO_STORE, problem, render

MAX_TOKEN = 512


async def sign_in_page(request: Request) -> Response:
    next_page = safe_next(request.query_params.get("next"))
    if signed_in_staff(request) is not None:
        return RedirectResponse(next_page, status_code=303)
    return render(request, "sign_in.html", {"next": next_page, "error": None})


async def sign_in_form(request: Request) -> Response:
    form = await read_form(request)
    if not csrf_ok(request, form):
        return problem(request, 403, "The form is out of date (CSRF check failed). "
                                     "Reload the sign-in page and try again.")
    token, next_page = form.get("token"), safe_next(form.get("next"))
    if not isinstance(token, str) or not 0 < len(token.strip()) <= MAX_TOKEN:
        return render(request, "sign_in.html", {"next": next_page,
                                                "error": "Enter your staff token."}, status=400)
    name = staff_for_token(request, token.strip())
    if name is None:
        return render(request, "sign_in.html", {
            "next": next_page, "error": "That is not a staff token."}, status=401)
    sign_in(request, token.strip(), name)
    return RedirectResponse(next_page, status_code=303, headers=NO_STORE)


@signed_in
async def sign_out_form(request: Request, staff: str) -> Response:
    form = await read_form(request)
    if not csrf_ok(request, form):
        return problem(request, 403, "The form is out of date (CSRF check failed); you "
                                     "are still signed in.", staff=staff)
    sign_out(request)
    return RedirectResponse("/support/sign-in", status_code=303, headers=NO_STORE)
