"""Driving the support console over HTTP, as a browser would: sign in, read the CSRF token
from a page, post forms."""

from __future__ import annotations

import re

import httpx
from starlette.testclient import TestClient

from tests.conftest import STAFF_TOKEN

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


def sign_in(service: TestClient, token: str = STAFF_TOKEN) -> str:
    """Sign in through the form; the CSRF token of the new session."""
    form = service.get("/support/sign-in")
    answer = service.post("/support/sign-in", data={"csrf": csrf_of(form), "token": token},
                          follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return csrf_of(service.get("/support"))


def act(service: TestClient, csrf: str, path: str, **fields: str) -> httpx.Response:
    """Post an action form (``path`` like ``session/fulfill``), without following."""
    return service.post(f"/support/act/{path}", data={"csrf": csrf, **fields},
                        follow_redirects=False)
