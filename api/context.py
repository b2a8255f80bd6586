"""What every handler needs: the ledger, its keys and logs, and who is calling."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar import Request
from litestar.datastructures import State

from api.access_log import AccessLog
from api.auth import Principal, Verifier, unauthenticated
from api.idempotency import Keys
from api.keys import LedgerKey
from api.writer import Writer
from domain.backend import Backend
from domain.ledger import Ledger
from domain.signing import TrustList
from domain.transparency.note import NoteKey
from projections.forms import Forms


@dataclass
class Services:
    ledger: Ledger
    backend: Backend
    verifier: Verifier
    keys: Keys
    access: AccessLog
    forms: Forms | None = None
    signing: LedgerKey = field(default_factory=lambda: LedgerKey.of("gakuseki-dev", Ed25519PrivateKey.generate()))
    trust: TrustList = field(default_factory=lambda: TrustList({}))
    witnesses: tuple[NoteKey, ...] = ()  # whose cosignatures the ledger keeps (GAKUSEKI_WITNESS_KEYS)
    writer: Writer | None = None  # runs the async write routes' writes (api/writer.py, ADR 0054)


def services(state: State) -> Services:
    return state["services"]


_PRINCIPAL = "gakuseki.principal"  # where the request's scope keeps its verified caller


def caller(request: Request[Any, Any, Any]) -> Principal:
    """The verified caller of a request (401 problem when there is no valid bearer token), verified once
    a request: the request checks (api/negotiation.py) ask first, the handler again."""
    known = request.scope.get(_PRINCIPAL)
    if isinstance(known, Principal):
        return known
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthenticated("send a bearer token: Authorization: Bearer <JWT>")
    principal = services(request.app.state).verifier.verify(token.strip())
    request.scope[_PRINCIPAL] = principal  # type: ignore[literal-required]
    return principal
