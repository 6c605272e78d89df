"""Test clocks under ``/v1/test_helpers/test_clocks``: create, retrieve, list, delete, advance."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from emulator import test_clocks
from emulator.errors import invalid
from emulator.expand import expand
from emulator.forms import Params
from emulator.known import LIST, RETRIEVE, Spec
from emulator.pagination import paginate
from emulator.runtime import Runtime
from emulator.v1 import endpoint

KIND = test_clocks.KIND
MAX_NAME = 300


def _frozen_time(p: Params) -> int:
    value = p.integer("frozen_time", required=True, minimum=0)
    assert value is not None
    return value


def create_clock(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    frozen_time = _frozen_time(p)
    name = p.string("name")
    if name is not None and len(name) > MAX_NAME:
        raise invalid(f"Invalid string: must be at most {MAX_NAME} characters", param="name")
    return test_clocks.create(rt.state, frozen_time, name)


def retrieve_clock(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    return expand(rt.state, rt.state.get(KIND, request.path_params["id"]), p.array("expand"))


def list_clocks(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    return paginate(rt.state.all(KIND), p, "/v1/test_helpers/test_clocks", "test_clock")


def delete_clock(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    return test_clocks.delete(rt.state, rt.state.get(KIND, request.path_params["id"]))


def advance_clock(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    clock = rt.state.get(KIND, request.path_params["id"])
    test_clocks.start_advance(rt.state, clock, _frozen_time(p))
    rt.scheduler.call_later(0, lambda: test_clocks.finish_advance(rt.state, clock["id"]),
                            kind="test_clock")
    return expand(rt.state, clock, p.array("expand"))


CREATE: Spec = {"frozen_time": None, "name": None, "expand": None}
PAGE: Spec = {k: v for k, v in LIST.items() if k != "created"}
BASE = "/v1/test_helpers/test_clocks"

routes = [
    Route(BASE, endpoint(create_clock, CREATE), methods=["POST"]),
    Route(BASE, endpoint(list_clocks, PAGE), methods=["GET"]),
    Route(BASE + "/{id}", endpoint(retrieve_clock, RETRIEVE), methods=["GET"]),
    Route(BASE + "/{id}", endpoint(delete_clock, {}), methods=["DELETE"]),
    Route(BASE + "/{id}/advance", endpoint(advance_clock, {"frozen_time": None, "expand": None}),
          methods=["POST"]),
]
