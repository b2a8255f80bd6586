"""Each answer in one socket write: `gakuseki serve`'s uvicorn protocol (api/one_send.py, ADR 0050)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from api.one_send import HeldWrites, OneSendProtocol
from api.security import SecuredLitestar
from tests.api.conftest import YEAR, Api, uvicorn_serving


class Transport:
    """What the protocol writes to: each write and the close, in order."""

    def __init__(self, inner: Any = None) -> None:
        self.inner, self.closing = inner, False
        self.calls: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.calls.append(bytes(data))
        if self.inner is not None:
            self.inner.write(data)

    def close(self) -> None:
        self.calls.append(b"<close>")
        self.closing = True
        if self.inner is not None:
            self.inner.close()

    def is_closing(self) -> bool:
        return self.closing if self.inner is None else self.inner.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_the_writes_of_one_turn_leave_together_at_its_end() -> None:
    async def run() -> list[bytes]:
        transport = Transport()
        held = HeldWrites(transport, asyncio.get_running_loop())  # type: ignore[arg-type]
        held.write(b"HTTP/1.1 201 Created\r\n\r\n")
        held.write(b'{"events":1}')
        assert transport.calls == []  # nothing sent before the turn ends
        await asyncio.sleep(0)
        held.write(b"next")  # a later turn: a write of its own
        await asyncio.sleep(0)
        held.write(b"held at the close")
        held.close()  # what is held leaves before the connection closes
        held.write(b"after the close")
        await asyncio.sleep(0)
        return transport.calls

    assert asyncio.run(run()) == [b'HTTP/1.1 201 Created\r\n\r\n{"events":1}', b"next", b"held at the close",
                                  b"<close>"]


class Counted(OneSendProtocol):
    """The protocol, with its transport's writes recorded (the test's window on the socket)."""

    writes: list[bytes] = []

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        counted = Transport(transport)
        counted.calls = Counted.writes
        super().connection_made(counted)  # type: ignore[arg-type]


@contextmanager
def served(app: SecuredLitestar) -> Iterator[int]:
    with uvicorn_serving(app, access_log=False, log_config=None, http=Counted) as url:
        yield int(url.rsplit(":", 1)[1])


def exchange(connection: socket.socket, request: bytes) -> bytes:
    """Send one request; read its whole answer (by its Content-Length)."""
    connection.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length"))
    while len(body) < length:
        body += connection.recv(65536)
    return head + b"\r\n\r\n" + body


def test_every_answer_leaves_in_one_write(world: Api) -> None:
    """A write (201), a refusal (problem+json), an HTML page (held by the security headers to hash its styles)
    and a last answer that closes the connection: one write each, heads and bodies as uvicorn makes them."""
    _, student = world.fresh_student()
    token = world.token("principal")
    body = (b'{"year":%d,"subject":"japanese","term":1,"assessed_on":"2026-07-17",'
            b'"viewpoints":{"knowledge":"A","thinking":"B","attitude":"B"}}' % YEAR)
    Counted.writes.clear()
    with served(world.client.app) as port, socket.create_connection(("127.0.0.1", port)) as connection:
        answers = [
            exchange(connection, b"POST /v1/students/" + student.encode() + b"/assessments HTTP/1.1\r\nHost: x\r\n"
                     b"Authorization: Bearer " + token.encode() + b"\r\nContent-Type: application/json\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body),
            exchange(connection, b"GET /v1/students/not-a-student HTTP/1.1\r\nHost: x\r\n\r\n"),
            exchange(connection, b"GET /schema/reference HTTP/1.1\r\nHost: x\r\n\r\n"),
            exchange(connection, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        ]
        assert connection.recv(1) == b""  # closed by the server after the last answer
    assert [a.split(b"\r\n")[0] for a in answers] == [b"HTTP/1.1 201 Created", b"HTTP/1.1 401 Unauthorized",
                                                      b"HTTP/1.1 200 OK", b"HTTP/1.1 200 OK"]
    assert b"content-type: application/problem+json" in answers[1]
    assert b"content-security-policy: default-src 'none'" in answers[2]
    assert b"<html" in answers[2].lower()
    closed = Counted.writes.index(b"<close>")  # uvicorn may close more than once: the transport ignores a repeat
    assert Counted.writes[:closed] == answers
    assert set(Counted.writes[closed:]) == {b"<close>"}
