"""A small HTTP/1.1 load generator: N asyncio workers, one keep-alive connection each.

Closed loop (``run``): each worker takes the next request of a shared list, sends it, reads the
whole response and records its status and its client-side latency (send to last byte); throughput
is the number of answered requests over the wall time of the whole run. Open loop (``run_open``):
requests arrive at random times at a fixed rate and take a free connection; latency runs from the
arrival (waiting for a connection included). It is a plain asyncio stream client (uvloop
when installed) rather than httpx, to spend as little of the machine's two cores as it can: the
server, PostgreSQL and this client share them, so every figure includes that competition.

While it measures, this process's cycle collector is off (``_loop``): the bench process holds the
seeded dataset, and a full collection walks all of it; at `bench.writes`'s small scale (1,500
children) one stopped the generator for 33-65 ms in the first round's open loop, no request sent and
no answer read meanwhile, and the open loop counted the delay in the latency of every request it held
(docs/benchmarks.md, "The write tail at 100/s"; the full bench holds 100,000 children). The garbage
of a load is collected after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    token: str
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Answer:
    status: int
    seconds: float
    body: bytes


@dataclass
class Load:
    answers: list[Answer]
    wall: float  # seconds from the first request sent to the last answer read

    def ok(self, status: int | None = None) -> list[Answer]:
        return [a for a in self.answers if (a.status == status if status else 200 <= a.status < 300)]

    def refused(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for a in self.answers:
            if not 200 <= a.status < 300:
                out[a.status] = out.get(a.status, 0) + 1
        return out


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def send(self, call: Call) -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        assert self.reader is not None
        assert self.writer is not None
        head = [f"{call.method} {call.path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                f"Authorization: Bearer {call.token}", "Accept: application/json"]
        head += [f"{k}: {v}" for k, v in call.headers]
        if call.body is not None:
            head += ["Content-Type: application/json", f"Content-Length: {len(call.body)}"]
        self.writer.write("\r\n".join(head).encode() + b"\r\n\r\n" + (call.body or b""))
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, chunked, close = None, False, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and "close" in value.lower():
                close = True
        if chunked:
            body = await self._chunks()
        elif length is not None:
            body = await self.reader.readexactly(length)
        else:
            body, close = await self.reader.read(), True
        if close:
            await self.close()
        return status, body

    async def _chunks(self) -> bytes:
        assert self.reader is not None
        parts: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)


async def _run(host: str, port: int, calls: Sequence[Call], concurrency: int) -> Load:
    connections = [Connection(host, port) for _ in range(max(1, min(concurrency, len(calls))))]
    await asyncio.gather(*(c.open() for c in connections))
    answers: list[Answer | None] = [None] * len(calls)
    queue = iter(range(len(calls)))

    async def worker(conn: Connection) -> None:
        for i in queue:
            start = time.perf_counter()
            status, body = await conn.send(calls[i])
            answers[i] = Answer(status, time.perf_counter() - start, body)

    start = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    wall = time.perf_counter() - start
    await asyncio.gather(*(c.close() for c in connections))
    return Load([a for a in answers if a is not None], wall)


async def _open_loop(host: str, port: int, calls: Sequence[Call], concurrency: int, rate: float) -> Load:
    """Calls arrive at random (Poisson) times at ``rate`` per second and take a free connection of
    ``concurrency``; latency runs from the arrival, so waiting for a connection counts."""
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    connections = [Connection(host, port) for _ in range(concurrency)]
    await asyncio.gather(*(c.open() for c in connections))
    for c in connections:
        pool.put_nowait(c)
    answers: list[Answer | None] = [None] * len(calls)
    rng = random.Random("bench/arrivals")
    loop = asyncio.get_running_loop()

    async def one(i: int, arrival: float) -> None:
        conn = await pool.get()
        try:
            status, body = await conn.send(calls[i])
        finally:
            pool.put_nowait(conn)
        answers[i] = Answer(status, loop.time() - arrival, body)

    start = loop.time()
    arrival, tasks = start, []
    for i in range(len(calls)):
        arrival += rng.expovariate(rate)
        await asyncio.sleep(max(0.0, arrival - loop.time()))
        tasks.append(asyncio.ensure_future(one(i, arrival)))
    await asyncio.gather(*tasks)
    wall = loop.time() - start
    await asyncio.gather(*(c.close() for c in connections))
    return Load([a for a in answers if a is not None], wall)


def _loop(coroutine: Any) -> Any:
    """Run a load to its end, the cycle collector off meanwhile (as it was before, after)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        try:
            import uvloop
        except ImportError:
            return asyncio.run(coroutine)
        return uvloop.run(coroutine)
    finally:
        if collecting:
            gc.enable()


def run(host: str, port: int, calls: Sequence[Call], concurrency: int = 1) -> Load:
    """Closed loop: ``concurrency`` workers send every call once, each the next as soon as it is answered."""
    return _loop(_run(host, port, calls, concurrency))


def run_open(host: str, port: int, calls: Sequence[Call], concurrency: int, rate: float) -> Load:
    """Open loop: every call once, arriving at ``rate`` per second on ``concurrency`` connections."""
    return _loop(_open_loop(host, port, calls, concurrency, rate))


def one(host: str, port: int, call: Call) -> Answer:
    """One request on a fresh connection (set-up steps, not measurements)."""
    return run(host, port, [call]).answers[0]
