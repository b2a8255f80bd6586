"""The class forms, read from the projections: 名簿 (roster) and 出席簿 (attendance register).

``as_of`` (a log position or a recorded time) reproduces a form as it was known then, by
replaying the events up to that point instead of reading today's read model; ``on`` (an
effective date) as it stood on a day. ``wait_for`` (the position a write answered
with) waits until the read models have applied it: read-your-writes.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, MediaType, Request, Response, get
from litestar.params import FromPath, FromQuery, QueryParameter

from api.context import caller, services
from api.negotiation import PDF, form_media_type
from api.openapi_errors import FORM_ERRORS
from api.policy import authorize, not_found
from api.problems import ApiProblem
from api.schemas import LAST_POSITION, GradePath, YearPath
from api.targets import class_target
from domain.ledger_base import JST
from projections.base import Cutoff
from projections.forms import Forms, html, pdf
from projections.store import note_changes, noted_changes

Req = Request[Any, Any, Any]
Position = Annotated[int | None, QueryParameter(ge=1, le=LAST_POSITION, description="a log position")]


AsOf = Annotated[str | None, QueryParameter(
    pattern=r"^([0-9]{1,18}|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2})?)$",
    description="as known at a log position (an integer) or at a recorded time (ISO 8601; JST when no offset)")]
On = Annotated[date | None, QueryParameter(description="as it stood on this effective date (events about later "
                                                        "days are left out)")]


def cutoff(request: Req, as_of: str | None, on: date | None = None) -> Cutoff:
    """The point in time a form is asked for; a position the log has not reached is refused."""
    position = at = None
    if as_of is not None and as_of.isdigit():
        position = int(as_of)
        if position < 1 or position > services(request.app.state).ledger.position():
            raise ApiProblem(422, "position-not-recorded", f"the log has no position {as_of}", field="as_of")
    elif as_of is not None:
        try:
            at = datetime.fromisoformat(as_of.replace("Z", "+00:00"))
        except ValueError:  # the shape of a time, but no such time (month 13, hour 25)
            raise ApiProblem(422, "invalid-time", f"as_of {as_of!r} is not a real time (ISO 8601)",
                             field="as_of") from None
        at = at if at.tzinfo else at.replace(tzinfo=JST)
    return Cutoff(position=position, at=at, on=on)


def encode(document: dict[str, Any]) -> bytes:
    """The one encoder of every form: JSON with the members of every object in sorted order, so a
    form's bytes depend only on what it holds, never on the order its code or its documents set
    them (ADR 0020)."""
    return msgspec.json.encode(document, order="sorted")


def answer(request: Req, form: str, document: dict[str, Any]) -> Response[Any]:
    """JSON, the printable page (``text/html``: a browser) or the PDF (``application/pdf``: a print
    run, an archive), as Accept or the ``format`` query asks (api/negotiation.py).

    All come from the same bytes: the page and the PDF are laid out from the JSON as encoded, read back."""
    body = encode(document)
    media_type = form_media_type(request)
    if media_type == MediaType.HTML:
        return Response(html.render(form, msgspec.json.decode(body)), media_type=MediaType.HTML)
    if media_type == PDF:
        printed = pdf.render(form, msgspec.json.decode(body), printed_at(request))
        return Response(printed, media_type=PDF, headers={
            "Content-Disposition": f'inline; filename="{pdf.file_name(form, document)}"'})
    return Response(body, media_type=MediaType.JSON)


def printed_at(request: Req) -> datetime | None:
    """The creation time a PDF carries (ADR 0035), never the clock's: the point in time the form was
    read as of (the recorded time of the last whole transaction at a position, or the time asked
    for); for a form of today, the recorded time of the transaction that last changed one of the
    documents it was composed from, so a write that leaves the form as it is leaves its bytes too."""
    ledger = services(request.app.state).ledger
    as_of = request.query_params.get("as_of")
    if as_of is not None:
        when = cutoff(request, as_of)
        return ledger.known_time(ledger.settled(when.position)) if when.position is not None else when.at
    changed = noted_changes()
    return ledger.known_time(ledger.transaction_end(max(changed))) if changed else None


def forms_for(request: Req, wait_for: int | None) -> Forms:
    """The forms, once the read models have reached ``wait_for``; what the handler then reads is noted
    for the date of its PDF (``printed_at``)."""
    forms = services(request.app.state).forms
    assert forms is not None
    note_changes()
    if wait_for is not None and wait_for > forms.runner.ledger.position():
        raise ApiProblem(422, "position-not-recorded", f"the log has no position {wait_for} yet", field="wait_for")
    if wait_for is not None and not forms.runner.wait(wait_for, timeout=5.0):
        raise ApiProblem(503, "projection-lagging", f"the read models have not reached position {wait_for} "
                         "within 5 s; retry", field="wait_for", headers={"Retry-After": "1"})
    return forms


class FormController(Controller):
    path = "/v1/schools/{school_code:str}/years/{year:int}/classes/{grade:int}/{name:str}"
    tags = ["forms"]
    responses = FORM_ERRORS

    @get("/roster", sync_to_thread=True, summary="名簿: the class's students with 出席番号 and days on the roll")
    def roster(self, request: Req, school_code: FromPath[str], year: YearPath, grade: GradePath,
               name: FromPath[str], on: FromQuery[date | None] = None, as_of: AsOf = None,
               wait_for: Position = None) -> Response[Any]:
        p, ledger = caller(request), services(request.app.state).ledger
        authorize(p, "student.read", class_target(ledger, school_code, year, grade, name))
        form = forms_for(request, wait_for).roster(school_code, year, grade, name, on, as_of=cutoff(request, as_of))
        if form is None:
            raise not_found("class")
        return answer(request, "roster", form)

    @get("/attendance-register", sync_to_thread=True,
         summary="出席簿 of a month: daily marks with correction trails, month, term and year totals")
    def attendance_register(self, request: Req, school_code: FromPath[str], year: YearPath,
                            grade: GradePath, name: FromPath[str],
                            month: Annotated[str, QueryParameter(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$",
                                                                 description="YYYY-MM")],
                            as_of: AsOf = None, wait_for: Position = None) -> Response[Any]:
        p, ledger = caller(request), services(request.app.state).ledger
        target = class_target(ledger, school_code, year, grade, name)
        authorize(p, "attendance.read", target)
        if not re.match(r"^[0-9]{4}-(0[1-9]|1[0-2])$", month):
            raise ApiProblem(400, "invalid-request", "month is YYYY-MM", field="month")
        when = cutoff(request, as_of)
        form = forms_for(request, wait_for).attendance_register(school_code, year, grade, name, month, as_of=when)
        if form is None:
            raise not_found("class")
        return answer(request, "attendance_register", form)
