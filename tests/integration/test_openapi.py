"""The published OpenAPI document covers every route the service serves."""

from __future__ import annotations

import re

from starlette.routing import Route
from starlette.testclient import TestClient


def test_every_served_route_is_in_the_openapi_document(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    served = {
        (route.path, method.lower())
        for route in client.app.app.routes  # type: ignore[attr-defined]
        if isinstance(route, Route)
        for method in (route.methods or set()) - {"HEAD"}
    }
    served = {(p, m) for p, m in served if not (p == "/webhook" and m != "post")}
    served.add(("/webhook", "post"))

    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}

    assert document["openapi"].startswith("3.")
    assert served <= documented, served - documented


def test_staff_routes_declare_bearer_auth_and_401(client: TestClient) -> None:
    document = client.get("/openapi.json").json()

    for path, ops in document["paths"].items():
        if re.match(r"^/(sessions|events|support)", path):
            for op in ops.values():
                if op.get("security") in ([{"console": []}], []):  # the console's pages
                    assert path.startswith("/support")
                    continue
                assert op["security"] == [{"staff": []}]
                assert "401" in op["responses"]
