"""Rendering the console's pages: one Jinja2 environment, its filters, the common context."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from api.console.auth import csrf_token
from api.console.registry import KINDS, kind_of
from domain.money import format_money

templates = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))


def when(moment: datetime | str | None) -> str:
    """``2026-11-22 15:47:27 UTC``."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def age(moment: datetime | str | None) -> str:
    """How long ago, in the largest unit that fits: ``3 d``, ``5 h``, ``12 min``, ``40 s``."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    seconds = max(0, int((datetime.now(UTC) - moment).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def link(object_id: str | None) -> str | None:
    """The console page of an id, if it names a kind the console shows."""
    if not object_id:
        return None
    kind = kind_of(object_id)
    return f"/support/view/{kind.name}/{object_id}" if kind else None


templates.env.filters.update(money=format_money, when=when, age=age, link=link)
NO_STORE = {"Cache-Control": "no-store"}


def render(request: Request, name: str, context: dict[str, Any], *, staff: str | None = None,
           status: int = 200) -> Response:
    """A console page: the staff member, the CSRF token and any flash message added."""
    context = {"staff": staff, "csrf": csrf_token(request), "kinds": KINDS,
               "flash": request.session.pop("flash", None), **context}
    return templates.TemplateResponse(request, f"console/{name}", context, status_code=status,
                                      headers=NO_STORE)


def problem(request: Request, status: int, message: str, *, staff: str | None = None
            ) -> Response:
    """An error page: what went wrong, and nothing was changed."""
    return render(request, "error.html", {"status": status, "message": message}, staff=staff,
                  status=status)


def back_to(request: Request, url: str, message: str, ok: bool = True) -> Response:
    """Post/Redirect/Get: the answer shown once on the page it redirects to."""
    request.session["flash"] = {"message": message, "ok": ok}
    return RedirectResponse(url, status_code=303, headers=NO_STORE)
