"""An auditor's reads of a subscription (either kind) as it stood after each of its events."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.conftest import STAFF


def read_every_version(service: TestClient, subscription_id: str) -> list[dict[str, Any]]:
    """``GET /subscriptions/{id}?version=v`` for every version, checked against the document
    now: each is the history cut at ``v``, the last is the document now, past the last is
    404, a malformed version 400, and reading changes nothing. The documents, oldest first."""
    path = f"/subscriptions/{subscription_id}"
    now = service.get(path, headers=STAFF).json()
    count = now["version"]
    assert count == len(now["history"]) >= 2

    documents = []
    for version in range(1, count + 1):
        answer = service.get(f"{path}?version={version}", headers=STAFF)
        assert answer.status_code == 200, answer.text
        document = answer.json()
        assert document["version"] == version
        assert document["history"] == now["history"][:version]
        documents.append(document)

    assert documents[-1] == now
    assert service.get(f"{path}?version={count + 1}", headers=STAFF).status_code == 404
    for bad in ("0", "-1", "two", "1.5", ""):
        assert service.get(f"{path}?version={bad}", headers=STAFF).status_code == 400, bad
    assert service.get(path, headers=STAFF).json() == now
    return documents
