"""The forms, read from the projections: 名簿 (roster) and 出席簿 (attendance register).

``as_of`` (a log position) reproduces a form as it was known then, by replaying the events up to
that position instead of reading today's read model. ``wait_for`` (the position a write answered
with) waits until the read models have applied it: read-your-writes.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import Parameter

from api.context import caller, services
from api.openapi_errors import FORM_ERRORS
from api.policy import authorize, not_found
from api.problems import ApiProblem
from api.targets import class_target
from projections.forms import Forms

Req = Request[Any, Any, Any]
Position = Annotated[int | None, Parameter(ge=1, description="a log position")]


def _forms(request: Req, wait_for: int | None) -> Forms:
    forms = services(request.app.state).forms
    assert forms is not None
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
    def roster(self, request: Req, school_code: str, year: int, grade: int, name: str,
               on: date | None = None, wait_for: Position = None) -> dict[str, Any]:
        p, ledger = caller(request), services(request.app.state).ledger
        authorize(p, "student.read", class_target(ledger, school_code, year, grade, name))
        form = _forms(request, wait_for).roster(school_code, year, grade, name, on)
        if form is None:
            raise not_found("class")
        return form

    @get("/attendance-register", sync_to_thread=True,
         summary="出席簿 of a month: daily marks with correction trails, month, term and year totals")
    def attendance_register(self, request: Req, school_code: str, year: int, grade: int, name: str,
                            month: Annotated[str, Parameter(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$",
                                                            description="YYYY-MM")],
                            as_of: Position = None, wait_for: Position = None) -> dict[str, Any]:
        p, ledger = caller(request), services(request.app.state).ledger
        target = class_target(ledger, school_code, year, grade, name)
        authorize(p, "attendance.read", target)
        if not re.match(r"^[0-9]{4}-(0[1-9]|1[0-2])$", month):
            raise ApiProblem(400, "invalid-request", "month is YYYY-MM", field="month")
        form = _forms(request, wait_for).attendance_register(school_code, year, grade, name, month,
                                                             board=target.board, as_of=as_of)
        if form is None:
            raise not_found("class")
        return form
