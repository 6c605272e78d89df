"""The reference webhook endpoint: the leanest correct ingestion, to measure the service against.

`POST /webhook` verifies `Stripe-Signature` (`stripe.WebhookSignature.verify_header`, 300 s
tolerance), parses the body with `json.loads`, and runs one `INSERT ... ON CONFLICT (id) DO
NOTHING` and one commit per request, answering `{"received": true, "duplicate": <bool>}`.
The store comes from the URL scheme, as for the service:

- `postgresql://...`: psycopg's `AsyncConnectionPool`, one pooled connection per request;
- `sqlite:///RELATIVE` or `sqlite:////ABSOLUTE`: Python's sqlite3 on one writer thread, WAL mode,
  `synchronous=FULL` (each commit is on disk before the answer, as in the service).

    DATABASE_URL=... STRIPE_WEBHOOK_SECRET=whsec_... PORT=8000 python benchmarks/reference.py
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Protocol

import stripe
import uvicorn
from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

MAX_BODY = 1024 * 1024
TOLERANCE_S = 300
SCHEMA = """CREATE TABLE IF NOT EXISTS webhook_events (
    id text PRIMARY KEY, type text NOT NULL, created bigint NOT NULL, payload text NOT NULL)"""
INSERT = (
    "INSERT INTO webhook_events (id, type, created, payload) VALUES ({0}, {0}, {0}, {0}) "
    "ON CONFLICT (id) DO NOTHING"
)
# The same as the service's SQLite store (eventsourcing keeps SQLite's default, FULL): an
# acknowledged event must survive a crash of the machine, not only of the process.
SQLITE_SYNCHRONOUS = "FULL"


class Store(Protocol):
    """Where raw events go: `insert` answers False when the event id was already recorded."""

    async def open(self) -> None: ...
    async def insert(self, event_id: str, type_: str, created: int, payload: str) -> bool: ...
    async def close(self) -> None: ...


class PostgresStore:
    """One pooled connection and one transaction per event."""

    def __init__(self, url: str, pool_size: int) -> None:
        self._pool = AsyncConnectionPool(url, min_size=pool_size, max_size=pool_size, open=False)
        self._insert = INSERT.format("%s")

    async def open(self) -> None:
        await self._pool.open(wait=True)
        async with self._pool.connection() as conn:
            await conn.execute(SCHEMA)

    async def insert(self, event_id: str, type_: str, created: int, payload: str) -> bool:
        async with self._pool.connection() as conn:  # commits when the block ends
            cur = await conn.execute(self._insert, (event_id, type_, created, payload))
            return cur.rowcount == 1

    async def close(self) -> None:
        await self._pool.close()


class SqliteStore:
    """One connection on one thread: SQLite has one writer at a time anyway."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._conn: sqlite3.Connection | None = None
        self._insert = INSERT.format("?")

    def _connect(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        conn.execute(SCHEMA)
        self._conn = conn

    def _insert_one(self, row: tuple[str, str, int, str]) -> bool:
        assert self._conn is not None
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            inserted = self._conn.execute(self._insert, row).rowcount == 1
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")
        return inserted

    async def open(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._connect)

    async def insert(self, event_id: str, type_: str, created: int, payload: str) -> bool:
        row = (event_id, type_, created, payload)
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._insert_one, row)

    async def close(self) -> None:
        if self._conn is not None:
            await asyncio.get_running_loop().run_in_executor(self._thread, self._conn.close)
        self._thread.shutdown()


def store_for(url: str, pool_size: int = 20) -> Store:
    """The store a `DATABASE_URL` names."""
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStore(url, pool_size)
    if url.startswith("sqlite:///"):
        return SqliteStore(url.removeprefix("sqlite:///"))
    raise SystemExit(f"DATABASE_URL: expected postgresql:// or sqlite:///, got {url.split(':')[0]}")


def _fields(event: object) -> tuple[str, str, int]:
    """id, type and created of a Stripe event; ValueError unless it has those and data.object."""
    if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
        raise ValueError("not an event")
    if "object" not in event["data"]:
        raise ValueError("no data.object")
    return str(event["id"]), str(event["type"]), int(event["created"])


def create_app(store: Store, secret: str) -> Starlette:
    """The reference app: `POST /webhook` and `GET /healthz`."""

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    async def webhook(request: Request) -> Response:
        if int(request.headers.get("content-length") or 0) > MAX_BODY:
            return error(413, "body over 1 MiB")
        body = (await request.body()).decode("utf-8", errors="replace")
        try:
            stripe.WebhookSignature.verify_header(
                body, request.headers.get("stripe-signature"), secret, tolerance=TOLERANCE_S
            )
            event_id, type_, created = _fields(json.loads(body))
        except stripe.SignatureVerificationError as exc:
            return error(400, f"signature: {exc.user_message or exc}")
        except (ValueError, KeyError, TypeError):
            return error(400, "body is not a Stripe event")
        inserted = await store.insert(event_id, type_, created, body)
        return JSONResponse({"received": True, "duplicate": not inserted})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await store.open()
        try:
            yield
        finally:
            await store.close()

    return Starlette(
        routes=[Route("/webhook", webhook, methods=["POST"]), Route("/healthz", healthz)],
        lifespan=lifespan,
    )


def app_from_env() -> Starlette:
    """The endpoint as configured by the environment (one per web process)."""
    store = store_for(os.environ["DATABASE_URL"], int(os.environ.get("REFERENCE_POOL_SIZE", "20")))
    return create_app(store, os.environ["STRIPE_WEBHOOK_SECRET"])


def main() -> None:
    """Serve the reference endpoint with the service's settings (`DATABASE_URL`, `HOST`, ...);
    `REFERENCE_WORKERS=N` runs N web processes on the port (uvicorn's workers)."""
    workers = int(os.environ.get("REFERENCE_WORKERS") or "1")
    options = {"host": os.environ.get("HOST", "127.0.0.1"), "port": int(os.environ["PORT"]),
               "log_level": "warning", "access_log": False}
    if workers > 1:
        uvicorn.run("reference:app_from_env", factory=True, workers=workers,
                    app_dir=os.path.dirname(os.path.abspath(__file__)), **options)  # type: ignore[arg-type]
    else:
        uvicorn.run(app_from_env(), **options)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
