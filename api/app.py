"""The HTTP application: the v1 API over one ledger, its OpenAPI at /schema, and /health."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar, Response, get
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from api.access_log import AccessLog
from api.auth import Verifier
from api.context import Services
from api.feeds import HistoryController, LogController
from api.idempotency import Keys
from api.problems import HANDLERS
from api.records import RecordController, RollController
from api.schools import SchoolController
from api.students import StudentController
from domain.backend import Backend
from domain.ledger import Ledger

MAX_BODY = 256 * 1024  # a class roll of 45 is about 10 KB; a calendar about 8 KB


class Health(msgspec.Struct, frozen=True):
    status: str  # "ok", or "unavailable" when the ledger cannot be read
    backend: str  # "sqlite" or "postgresql"
    position: int | None  # log position of the last recorded event
    detail: str = ""


def create_app(ledger: Ledger, backend: Backend, verifier: Verifier | None = None) -> Litestar:
    @get("/health", sync_to_thread=True, summary="Is the ledger reachable, and how far is its log?",
         tags=["operations"], security=[{}])
    def health() -> Response[Health]:
        try:
            position = ledger.position()
        except Exception as e:  # the one place an unreachable database is reported, not raised
            return Response(Health("unavailable", backend.kind, None, type(e).__name__), status_code=503)
        return Response(Health("ok", backend.kind, position))

    def close(_: Any = None) -> None:
        ledger.close()

    state: dict[str, Any] = {}
    if verifier is not None:
        state["services"] = Services(ledger, backend, verifier, Keys(ledger, backend), AccessLog(ledger, backend))
    openapi = OpenAPIConfig(
        title="Gakuseki ledger API",
        version="1.0.0",
        description="The official student register (公簿) as an event ledger. Every error is RFC 9457 "
                    "problem+json; writes accept Idempotency-Key; student writes accept If-Match.",
        path="/schema",
        components=Components(security_schemes={"bearer": SecurityScheme(
            type="http", scheme="bearer", bearer_format="JWT",
            description="A JWT from the jurisdiction's identity provider (or `gakuseki token` in development): "
                        "sub = staff id, roles = [{role, school|board, classes, subjects}], amr with 'mfa' for "
                        "sensitive reads.")}),
        security=[{"bearer": []}],
    )
    handlers: list[Any] = [health]
    if verifier is not None:
        handlers += [SchoolController, StudentController, RollController, RecordController, HistoryController,
                     LogController]
    return Litestar(route_handlers=handlers, on_shutdown=[close], openapi_config=openapi,
                    exception_handlers=HANDLERS, request_max_body_size=MAX_BODY, state=_state(state))


def _state(values: dict[str, Any]) -> Any:
    from litestar.datastructures import State

    return State(values)
