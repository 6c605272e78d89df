"""``POST /v1/setup_intents`` (retrieving one is in :mod:`emulator.routes.payments`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from emulator import setup_intents
from emulator.expand import expand
from emulator.forms import Params
from emulator.known import Spec
from emulator.runtime import Runtime
from emulator.v1 import endpoint


def create(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    return expand(rt.state, setup_intents.create(rt.state, p), p.array("expand"))


CREATE: Spec = {"customer": None, "payment_method": None, "payment_method_types": None,
                "confirm": None, "description": None, "metadata": None, "usage": None,
                "expand": None}

routes = [Route("/v1/setup_intents", endpoint(create, CREATE), methods=["POST"])]
