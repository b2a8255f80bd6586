"""The HTTP application: for now, the health endpoint (the v1 API is the next issue)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar, Response, get

from domain.backend import Backend
from domain.ledger import Ledger


class Health(msgspec.Struct, frozen=True):
    status: str  # "ok", or "unavailable" when the ledger cannot be read
    backend: str  # "sqlite" or "postgresql"
    position: int | None  # log position of the last recorded event
    detail: str = ""


def create_app(ledger: Ledger, backend: Backend) -> Litestar:
    @get("/health", sync_to_thread=True, summary="Is the ledger reachable, and how far is its log?")
    def health() -> Response[Health]:
        try:
            position = ledger.position()
        except Exception as e:  # the one place an unreachable database is reported, not raised
            return Response(Health("unavailable", backend.kind, None, type(e).__name__), status_code=503)
        return Response(Health("ok", backend.kind, position))

    def close(_: Any = None) -> None:
        ledger.close()

    return Litestar(route_handlers=[health], on_shutdown=[close], openapi_config=None)
