"""The console's pages: the queue of open failures, search, and one page per object with
its state (now or after its N-th event), its timeline and its actions."""

from __future__ import annotations

from collections import Counter
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from api.console import kinds as _builtin_kinds  # noqa: F401  (registers the built-in kinds)
from api.console import subscription_kinds as _subscriptions  # noqa: F401  (and these)
from api.console.act import act
from api.console.actions import RECONCILE
from api.console.guard import console_route, signed_in
from api.console.registry import KINDS, SERVICE_ACTIONS, NotKnown, kind_of
from api.console.render import link, problem, render
from api.console.signin import sign_in_form, sign_in_page, sign_out_form
from api.params import BadParameter, parse_version
from api.system import Services
from api.views import case_view
from domain.apps.support import FAILURE_KINDS
from domain.model.directory_entry import directory_key

MAX_QUERY = 254
SERVICE_ACTIONS[RECONCILE.name] = RECONCILE


def _one(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise BadParameter(f"{name} was given {len(values)} times; give it once")
    value = values[0].strip() if values else ""
    if len(value) > MAX_QUERY:
        raise BadParameter(f"{name} is longer than {MAX_QUERY} characters")
    return value or None


@signed_in
async def queue(request: Request, staff: str) -> Response:
    """Every open failure, oldest first, filtered by kind and customer; a count per kind."""
    services: Services = request.app.state.services
    try:
        kind, customer = _one(request, "kind"), _one(request, "customer")
    except BadParameter as bad:
        return problem(request, 400, str(bad), staff=staff)
    cases = await run_in_threadpool(services.support.failures)
    counts = Counter(case.kind for case in cases)
    kinds = sorted(set(FAILURE_KINDS) | set(counts))
    if kind is not None and kind not in kinds:
        return problem(request, 400, f"kind must be one of {', '.join(kinds)}", staff=staff)
    aliases = await run_in_threadpool(_aliases, services, customer) if customer else set()
    shown = [case_view(c) for c in cases if (kind is None or c.kind == kind) and (
        customer is None or _matches(c.customer, customer, aliases))]
    return render(request, "queue.html", {
        "cases": shown, "counts": [(k, counts.get(k, 0)) for k in kinds], "kind": kind,
        "customer": customer or "", "total": len(cases),
        "service_actions": list(SERVICE_ACTIONS.values())}, staff=staff)


def _aliases(services: Services, customer: str) -> set[str]:
    """The other names of a customer in the cases: a customer's email for its id, the
    customer ids filed under an email."""
    if customer.startswith("cus_"):
        found = services.customers.customer(customer)
        return {found.email.lower()} if found is not None and found.email else set()
    if "@" in customer:
        return {target for _, target in services.directory.lookup(directory_key(customer))}
    return set()


def _matches(case_customer: str | None, wanted: str, aliases: set[str]) -> bool:
    shown = (case_customer or "").lower()
    return wanted.lower() in shown or shown in {a.lower() for a in aliases}


@signed_in
async def search(request: Request, staff: str) -> Response:
    """By ``cs_``, ``cus_``, ``chg_``, ``evt_`` (and other registered) ids, ``pi_`` or
    ``sub_`` ids and emails (the directory): straight to the object when there is one."""
    try:
        term = _one(request, "q")
    except BadParameter as bad:
        return problem(request, 400, str(bad), staff=staff)
    if term is None:
        return RedirectResponse("/support", status_code=303)
    kind = kind_of(term)
    if kind is not None:
        try:
            return RedirectResponse(f"/support/view/{kind.name}/{kind.parse(term)}",
                                    status_code=303)
        except BadParameter as bad:
            return problem(request, 400, str(bad), staff=staff)
    if not (term.startswith(("pi_", "sub_")) or "@" in term):
        return problem(request, 400, "Search by a cs_, cus_, pi_, sub_, evt_ or chg_ id, or a "
                                     "customer's email.", staff=staff)
    services: Services = request.app.state.services
    found = await run_in_threadpool(services.directory.lookup, directory_key(term))
    if len(found) == 1 and link(found[0][1]):
        return RedirectResponse(str(link(found[0][1])), status_code=303)
    return render(request, "search.html", {"term": term, "found": found},
                  staff=staff, status=200 if found else 404)


@signed_in
async def view(request: Request, staff: str) -> Response:
    """One object: its state (``?version=N``: after its N-th event), timeline, actions."""
    kind = KINDS.get(request.path_params["kind"])
    if kind is None:
        return problem(request, 404, f"the console shows no {request.path_params['kind']!r}",
                       staff=staff)
    try:
        object_id = kind.parse(request.path_params["object_id"])
        raw = _one(request, "version")
        version = parse_version(raw) if raw is not None else None
        if version is not None and not kind.versioned:
            raise BadParameter(f"a {kind.title.lower()} has no versions")
    except BadParameter as bad:
        return problem(request, 400, str(bad), staff=staff)
    services: Services = request.app.state.services
    try:
        shown = await run_in_threadpool(kind.load, services, object_id, version)
    except NotKnown as missing:
        return problem(request, 404, str(missing), staff=staff)
    return render(request, "object.html", {"kind": kind, "object_id": object_id,
                                           "view": shown, "state": _rows(shown.state)},
                  staff=staff)


def _rows(state: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in state.items() if k != "payload"]


routes: list[BaseRoute] = [
    console_route("/support", queue, methods=["GET"]),
    console_route("/support/sign-in", sign_in_page, methods=["GET"]),
    console_route("/support/sign-in", sign_in_form, methods=["POST"]),
    console_route("/support/sign-out", sign_out_form, methods=["POST"]),
    console_route("/support/search", search, methods=["GET"]),
    console_route("/support/view/{kind}/{object_id}", view, methods=["GET"]),
    console_route("/support/act/{kind}/{action}", act, methods=["POST"]),
]
