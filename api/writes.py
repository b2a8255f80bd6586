"""The one path every write takes: authorize, honour the Idempotency-Key, run, answer."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Request, Response

from api.auth import Principal
from api.context import services
from api.idempotency import request_hash
from api.policy import Target, authorize
from api.problems import ApiProblem
from domain.ledger import Ledger, Receipt

IDEMPOTENCY_KEY_PATTERN = r"^[!-~]{1,200}$"  # visible ASCII: what a header carries unchanged
_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)
IF_MATCH_PATTERN = r'^(W/)?"[0-9]{1,18}"$|^[0-9]{1,18}$'
_IF_MATCH = re.compile(IF_MATCH_PATTERN)


class Recorded(msgspec.Struct, frozen=True):
    """What a write recorded: the stream of its first event, how many events, the last log position."""

    stream_id: str
    events: int
    position: int


def write(request: Request[Any, Any, Any], principal: Principal, action: str, target: Target | Callable[[], Target],
          command: Callable[[Target], Receipt | None], *, data: Any = None,
          status: int = 201) -> Response[Recorded]:
    """Resolve the target (a Target, or a function that reads it), authorize, run ``command(target)``.

    The target and the command run in one ``Ledger.reading`` block: a stream the target read is not
    read again by the command, and what the block read is dropped when the request ends (and after
    every save). Every save is still checked against the versions it was decided on.
    """
    svc = services(request.app.state)
    with svc.ledger.reading():
        resolved = target() if callable(target) else target
        authorize(principal, action, resolved)
        key = request.headers.get("idempotency-key")
        if key is None:
            return _answer(command(resolved), svc.ledger, status)
        if not _IDEMPOTENCY_KEY.fullmatch(key):
            raise ApiProblem(400, "invalid-idempotency-key", "an Idempotency-Key is 1–200 visible ASCII characters",
                             field="Idempotency-Key")
        digest = request_hash(request.method, request.url.path, msgspec.json.encode(data))
        stored = svc.keys.claim(principal.staff_id, key, digest)
        if stored is not None:
            return Response(msgspec.convert(stored[1], Recorded), status_code=stored[0])
        with svc.keys.completing(principal.staff_id, key, status):
            receipt = command(resolved)
        if receipt is None:  # nothing to record (a PUT of what is already there): nothing to remember
            svc.keys.release(principal.staff_id, key)
        return _answer(receipt, svc.ledger, status)


async def written(request: Request[Any, Any, Any], fn: Callable[[], Response[Recorded]]) -> Response[Recorded]:
    """``fn`` (a ``write``) run by the app's writer, from an ``async`` route: the writes that arrive together
    are read together, decided one after another in a writer thread and saved in one transaction (ADR 0054)."""
    writer = services(request.app.state).writer
    assert writer is not None, "the app's services have a writer (api/app.py)"
    return await writer.run(fn)


def _answer(receipt: Receipt | None, ledger: Ledger, status: int) -> Response[Recorded]:
    if receipt is None:  # only then is the log position read: a receipt carries its own
        return Response(Recorded("", 0, ledger.position()), status_code=200)
    return Response(Recorded(str(receipt.stream_id), receipt.events, receipt.position), status_code=status)


def if_match(request: Request[Any, Any, Any]) -> int | None:
    """The expected version of a student's record, from If-Match: "N" (as the ETag of GET gives it)."""
    value = request.headers.get("if-match")
    if value is None:
        return None
    if not _IF_MATCH.fullmatch(value.strip()):
        raise ApiProblem(400, "invalid-if-match", 'If-Match is the student version in quotes, e.g. "3"',
                         field="If-Match")
    return int(value.strip().removeprefix("W/").strip('"'))
