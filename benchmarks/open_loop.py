"""An open-loop HTTP GET load at a fixed rate, for latency benchmarks (stdlib asyncio, uvloop
when installed).

Request ``i`` of a phase is due at ``start + i / rate`` whether or not the earlier ones have
been answered (open loop: a slow answer never delays the next request, so a stall shows up in
the percentiles instead of lowering the rate). Each request goes out on an idle keep-alive
connection, or a new one (at most ``max_connections`` at once). Per request it notes the
*answer time* (request written -> whole answer read), the time from its *due* moment to the
answer (which adds the client's own lateness and any wait for a connection) and how late the
client was in sending it: on a busy machine the last two tell the client's noise apart from
the server's.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

TIMEOUT_S = 10.0

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@dataclass
class Phase:
    """What one phase of the load saw."""

    name: str
    rate: float
    sent: int = 0
    ok: int = 0
    non_2xx: int = 0
    errors: int = 0
    seconds: float = 0.0
    answer_ms: list[float] = field(default_factory=list)
    from_due_ms: list[float] = field(default_factory=list)
    late_ms: list[float] = field(default_factory=list)

    def add(self, other: Phase) -> None:
        """Fold another phase of the same endpoint into this one."""
        self.sent += other.sent
        self.ok += other.ok
        self.non_2xx += other.non_2xx
        self.errors += other.errors
        self.seconds += other.seconds
        self.answer_ms += other.answer_ms
        self.from_due_ms += other.from_due_ms
        self.late_ms += other.late_ms

    def figures(self) -> dict[str, Any]:
        """The phase's figures, ms rounded to 0.01."""
        def pct(values: list[float], fraction: float) -> float:
            return round(percentile(values, fraction), 2)

        return {"sent": self.sent, "ok": self.ok, "non_2xx": self.non_2xx,
                "errors": self.errors,
                "rate_sent": round(self.sent / (self.seconds + 1 / self.rate), 1),
                "p50_ms": pct(self.answer_ms, 0.50), "p90_ms": pct(self.answer_ms, 0.90),
                "p99_ms": pct(self.answer_ms, 0.99), "max_ms": pct(self.answer_ms, 1.0),
                "p99_from_due_ms": pct(self.from_due_ms, 0.99),
                "late_p99_ms": pct(self.late_ms, 0.99)}


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


class _Pool:
    def __init__(self, host: str, port: int, limit: int) -> None:
        self.host, self.port = host, port
        self.idle: list[Connection] = []
        self.slots = asyncio.Semaphore(limit)

    async def get(self) -> tuple[Connection, bool]:
        """A connection, and whether it was kept alive from an earlier request."""
        await self.slots.acquire()
        if self.idle:
            return self.idle.pop(), True
        try:
            return await asyncio.open_connection(self.host, self.port), False
        except BaseException:
            self.slots.release()
            raise

    async def reopen(self, connection: Connection) -> Connection:
        """A new connection in place of ``connection`` (same slot)."""
        connection[1].close()
        return await asyncio.open_connection(self.host, self.port)

    def put(self, connection: Connection, reusable: bool) -> None:
        if reusable:
            self.idle.append(connection)
        else:
            connection[1].close()
        self.slots.release()

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


async def _exchange(connection: Connection, request: bytes) -> tuple[int, bool]:
    """Send one request, read its whole answer; (status, whether the connection stays open)."""
    reader, writer = connection
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, keep = 0, True
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value.strip().lower() == b"close":
            keep = False
        elif name == b"transfer-encoding":
            raise ValueError("chunked answers are not read here")
    await reader.readexactly(length)
    return status, keep


async def drive(host: str, port: int, name: str, request: Callable[[int], bytes], rate: float,
                seconds: float, max_connections: int = 200,
                on_answer: Callable[[int, int], None] | None = None) -> Phase:
    """One phase: ``rate * seconds`` requests (``request(i)`` is the i-th one's bytes) to
    ``host:port`` at a fixed rate; what it saw. ``on_answer(i, status)`` is told of each
    answer as it is read."""
    clock = time.perf_counter  # uvloop's loop.time() counts whole milliseconds
    phase = Phase(name, rate)
    pool = _Pool(host, port, max_connections)

    async def one(i: int, due: float) -> None:
        late = clock() - due
        try:
            connection, kept = await pool.get()
        except OSError:
            phase.errors += 1
            return
        reusable = False
        began = clock()
        try:
            try:
                status, reusable = await asyncio.wait_for(_exchange(connection, request(i)),
                                                          TIMEOUT_S)
            except (ConnectionError, asyncio.IncompleteReadError) as closed:
                if not kept or getattr(closed, "partial", b""):
                    raise
                # The server closed the idle connection (its keep-alive timeout) as this
                # request went out: sent again on a new one, as any HTTP client does.
                connection = await pool.reopen(connection)
                status, reusable = await asyncio.wait_for(_exchange(connection, request(i)),
                                                          TIMEOUT_S)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ValueError):
            phase.errors += 1
            return
        finally:
            pool.put(connection, reusable)
        done = clock()
        if on_answer is not None:
            on_answer(i, status)
        phase.answer_ms.append((done - began) * 1000)
        phase.from_due_ms.append((done - due) * 1000)
        phase.late_ms.append(late * 1000)
        if 200 <= status < 300:
            phase.ok += 1
        else:
            phase.non_2xx += 1

    tasks = []
    start = clock() + 0.01
    for i in range(int(rate * seconds)):
        due = start + i / rate
        delay = due - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
        phase.sent += 1
    phase.seconds = clock() - start  # the rate is the sender's: answers may come later
    await asyncio.gather(*tasks)
    pool.close()
    return phase


def run(main: Coroutine[Any, Any, Any]) -> Any:
    """Run ``main`` on uvloop when it is installed (a lighter client), else asyncio's loop."""
    with contextlib.suppress(ImportError):
        import uvloop

        return uvloop.run(main)
    return asyncio.run(main)


def get(path: str, port: int, headers: dict[str, str] | None = None) -> bytes:
    """The bytes of ``GET path`` on a kept-alive connection."""
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}",
             *(f"{k}: {v}" for k, v in (headers or {}).items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def phases(port: int, requests: dict[str, Any], rate: float, seconds: float,
                 cpu_of_service: Callable[[], float], *, rounds: int = 2,
                 warmup: float = 3.0) -> tuple[dict[str, Phase], dict[str, float]]:
    """A warm-up, then each endpoint in turn, ``rounds`` times (drift in the machine's load
    hits them all): each endpoint's phases folded into one, and the CPU seconds the service
    used during them (``cpu_of_service``: its CPU seconds so far)."""
    for name, request in requests.items():  # connections, caches, the thread pool
        await drive("127.0.0.1", port, name, request, rate, warmup / 2)
    folded: dict[str, Phase] = {}
    cpu = dict.fromkeys(requests, 0.0)
    for _ in range(rounds):
        for name, request in requests.items():
            used = cpu_of_service()
            phase = await drive("127.0.0.1", port, name, request, rate, seconds / rounds)
            cpu[name] += cpu_of_service() - used
            if name in folded:
                folded[name].add(phase)
            else:
                folded[name] = phase
    return folded, cpu
