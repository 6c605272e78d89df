"""``POST /v1/stripecli/sessions`` (what ``stripe listen`` calls first) and its websocket."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route, WebSocketRoute

from emulator.cli_sessions import FEATURES, RECONNECT_DELAY_SECONDS
from emulator.cli_websocket import PATH, subscribe, websocket_url
from emulator.errors import invalid
from emulator.forms import Params
from emulator.known import Spec
from emulator.runtime import Runtime
from emulator.v1 import endpoint


def create_session(request: Request, p: Params, rt: Runtime) -> dict[str, Any]:
    """A listening session: its websocket, its signing secret, the API version of its events.

    The forward URLs are the CLI's business (it forwards each event itself); they are accepted
    and checked for a scheme, as Stripe shows them on the Dashboard, and not used."""
    device_name = p.req("device_name")
    features = [str(f) for f in p.array("websocket_features")] or list(FEATURES)
    for i, feature in enumerate(features):
        if feature not in FEATURES:
            raise invalid(f"Invalid websocket_features[{i}]: the emulator streams only "
                          f"{', '.join(FEATURES)} (no v2 events, no request logs)",
                          param=f"websocket_features[{i}]")
    for name in ("forward_to_url", "forward_connect_to_url", "forward_thin_to_url",
                 "forward_thin_connect_to_url"):
        url = p.string(name)
        if url is not None and not url.startswith(("http://", "https://")):
            raise invalid("Invalid URL: must be an http or https URL", param=name,
                          code="url_invalid")
    p.string("filters")
    session = rt.cli.open(device_name)
    return {
        "websocket_id": session.websocket_id,
        "websocket_url": websocket_url(str(request.base_url)),
        "websocket_authorized_feature": ",".join(features),
        "secret": rt.cli.secret,
        "reconnect_delay": RECONNECT_DELAY_SECONDS,
        "display_connect_filter_warning": False,
        "default_version": rt.config.api_version,
        "latest_version": rt.config.api_version,
        "device_token": "",
    }


CREATE: Spec = {"device_name": None, "websocket_features": None, "filters": None,
                "forward_to_url": None, "forward_connect_to_url": None,
                "forward_thin_to_url": None, "forward_thin_connect_to_url": None}

routes = [
    Route("/v1/stripecli/sessions", endpoint(create_session, CREATE), methods=["POST"]),
    WebSocketRoute(PATH, subscribe),
]
