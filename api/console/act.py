"""``POST /support/act/{kind}/{action}``: one staff action from a console form.

The CSRF token is checked before anything else, then the action, the object's id and the
reason; any problem is a 4xx page and nothing is done. The action runs the application
command the JSON route runs, recorded under the signed-in staff member's name, and its
answer is shown on the object's page (Post/Redirect/Get).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from api.console.auth import csrf_ok
from api.console.guard import read_form, signed_in
from api.console.registry import KINDS, SERVICE_ACTIONS, Action, NotKnown
from api.console.render import back_to, problem
from api.errors import ERRORS, answer_for
from api.params import BadParameter
from api.system import Services

MAX_REASON = 1000
SERVICE = "service"


@signed_in
async def act(request: Request, staff: str) -> Response:
    form = await read_form(request)
    if not csrf_ok(request, form):
        return problem(request, 403, "The form is out of date (CSRF check failed); "
                                     "nothing was done. Reload the page and try again.",
                       staff=staff)
    fields = {name: form.getlist(name) for name in ("id", "reason")}
    if any(len(values) > 1 or not all(isinstance(v, str) for v in values)
           for values in fields.values()):
        return problem(request, 400, "give each field once, as text", staff=staff)
    kind_name, action_name = request.path_params["kind"], request.path_params["action"]
    raw_id = str(fields["id"][0]).strip() if fields["id"] else ""
    reason = str(fields["reason"][0]).strip() if fields["reason"] else ""
    if not 0 < len(reason) <= MAX_REASON:
        return problem(request, 400, f"say why, in at most {MAX_REASON} characters (the reason "
                                     "is kept in the history); nothing was done", staff=staff)
    action: Action | None
    if kind_name == SERVICE:
        action, object_id, page = SERVICE_ACTIONS.get(action_name), "", "/support"
    else:
        kind = KINDS.get(kind_name)
        action = kind.action(action_name) if kind else None
        if kind is None or action is None:
            return problem(request, 404, f"no action {kind_name}/{action_name}", staff=staff)
        try:
            object_id = kind.parse(raw_id)
        except BadParameter as bad:
            return problem(request, 400, f"{bad}; nothing was done", staff=staff)
        page = f"/support/view/{kind.name}/{object_id}"
    if action is None:
        return problem(request, 404, f"no action {kind_name}/{action_name}", staff=staff)
    services: Services = request.app.state.services
    try:
        done = await run_in_threadpool(action.run, services, object_id, staff, reason)
    except NotKnown as missing:
        return problem(request, 404, str(missing), staff=staff)
    except tuple(ERRORS) as error:
        status, message = answer_for(error)
        return problem(request, status, message, staff=staff)
    return back_to(request, page, done.message, done.ok)
