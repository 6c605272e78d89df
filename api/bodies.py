"""Request bodies: JSON objects, size-capped while they are read."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request

MAX_BODY = 16 * 1024


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object; an empty body is an empty object; 400 otherwise."""
    raw = b""
    async for chunk in request.stream():  # refused while reading: never held whole
        raw += chunk
        if len(raw) > MAX_BODY:
            raise HTTPException(413, f"body over {MAX_BODY} bytes")
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)  # bounded nesting: no RecursionError on hostile input
    except orjson.JSONDecodeError:
        raise HTTPException(400, "body must be JSON, e.g. {\"reason\": \"...\"}") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "body must be a JSON object, e.g. {\"reason\": \"...\"}")
    return body
