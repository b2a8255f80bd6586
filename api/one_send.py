"""Each answer leaves the server in one socket write (`gakuseki serve`; ADR 0050).

uvicorn writes an answer's status line and headers to the connection's transport when the app
starts the answer, and its body when the app sends it: two writes, and with uvloop each write is a
``send`` system call made at once, holding the interpreter lock, and the client is woken twice. Under
writes at 32 clients those two calls were a sixth of the server's interpreter time (py-spy ``--gil``:
docs/benchmarks.md, 2026-12-07, "One send per answer").

Here the connection's transport is wrapped: what is written during one turn of the event loop is
held, and sent in one write at the end of that turn (``call_soon``). Litestar sends an answer's start
and its body in one turn (nothing between them waits), so they leave together; a streamed answer's
parts leave one turn apart, as before. Nothing is held past the turn it was written in: closing the
connection sends what is held first; a connection already lost drops it, as the transport would.
Everything else (flow control, the peer's address, closing) is the transport's own.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class HeldWrites:
    """A transport whose writes of one event-loop turn are sent together, at the end of the turn."""

    __slots__ = ("_held", "_loop", "transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport, self._loop = transport, loop
        self._held: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._held:
            self._loop.call_soon(self.flush)
        self._held.append(data)

    def flush(self) -> None:
        if not self._held:
            return
        held = self._held[0] if len(self._held) == 1 else b"".join(self._held)
        self._held = []
        if not self.transport.is_closing():
            self.transport.write(held)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def __getattr__(self, name: str) -> Any:  # is_closing, get_extra_info, pause_reading, set_protocol...
        return getattr(self.transport, name)


class OneSendProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, writing through ``HeldWrites`` (``uvicorn.run(..., http=OneSendProtocol)``)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)  # flow control and the addresses read from the transport itself
        self.transport = HeldWrites(transport, self.loop)  # type: ignore[assignment]
