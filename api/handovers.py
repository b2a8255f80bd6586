"""Hand-overs: one child's 転学 or 進学, and a board's 進学 of a whole final grade at year end.

A hand-over is one event (domain/handover.py). The bulk advancement makes one hand-over per
child; a child with a problem is reported with the rule that refused them and does not block the
others; a child already advanced to the same school on the same day is reported as such, so a
repeated request records nothing.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, post
from litestar.params import FromPath, JSONBody

from api.context import caller, services
from api.openapi_errors import ERRORS
from api.policy import Target, authorize
from api.schemas import AdvancementIn, HandoverIn, YearPath
from api.targets import school_target, student_target
from api.writes import Recorded, if_match, write
from domain import curriculum, errors
from domain import school_year as school_years
from domain.ledger import Ledger
from domain.student import Student

Req = Request[Any, Any, Any]


class HandoverController(Controller):
    path = "/v1/students/{student_id:str}/handovers"
    tags = ["hand-overs"]
    responses = ERRORS

    @post("/", sync_to_thread=True,
          summary="転学 or 進学: custody passes to the receiving school in one event (registrar, principal)")
    def hand_over(self, request: Req, student_id: FromPath[str], data: JSONBody[HandoverIn]) -> Response[Recorded]:
        p, ledger = caller(request), services(request.app.state).ledger
        expected: list[int | None] = []

        def target() -> Target:
            resolved, _ = student_target(ledger, student_id)
            expected.append(if_match(request))  # after the student is found, as before: a missing one is 404
            return resolved

        return write(request, p, "student.handover", target, lambda _: ledger.hand_over(
            student_id, kind=data.kind, to_school=data.to_school, left_on=data.left_on,
            accepted_on=data.accepted_on, year=data.year, grade=data.grade, reason=data.reason,
            external=data.external, to_school_name=data.to_school_name, to_school_address=data.to_school_address,
            class_name=data.class_name, number=data.number, expected_version=expected[0], recorded_by=p.staff_id),
            data=data)


class Advanced(msgspec.Struct, frozen=True, omit_defaults=True):
    """One child's outcome: advanced (with the log position), already advanced, or refused (and why)."""

    student_id: str
    outcome: str  # "advanced", "already-advanced" or "refused"
    to_school: str | None = None
    position: int | None = None
    rule: str | None = None
    field: str | None = None
    detail: str | None = None


class Advancements(msgspec.Struct, frozen=True):
    advanced: int
    already_advanced: int
    refused: int
    results: list[Advanced]


class AdvancementController(Controller):
    path = "/v1/schools/{school_code:str}/years/{year:int}/advancements"
    tags = ["hand-overs"]
    responses = ERRORS

    @post("/", sync_to_thread=True, status_code=200,
          summary="進学 of a whole final grade (or a list) to their junior highs: one hand-over per child (board)")
    def advance(self, request: Req, school_code: FromPath[str], year: YearPath,
                data: JSONBody[AdvancementIn]) -> Advancements:
        p, ledger = caller(request), services(request.app.state).ledger
        authorize(p, "advancement.bulk", school_target(ledger, school_code))
        results = [_advance(ledger, p.staff_id, school_code, data, sid, to, c, n)
                   for sid, to, c, n in _children(ledger, school_code, year, data)]
        count = {o: sum(1 for r in results if r.outcome == o) for o in ("advanced", "already-advanced", "refused")}
        return Advancements(count["advanced"], count["already-advanced"], count["refused"], results)


def _children(ledger: Ledger, code: str, year: int, data: AdvancementIn) -> list[tuple[str, str | None, str, int]]:
    """(student, junior high, class there, number) for every child named or on a named class's roll."""
    out: list[tuple[str, str | None, str, int]] = [
        (a.student_id, a.to_school or data.to_school, a.class_name, a.number) for a in data.students]
    kind = ledger.school(code).kind
    for i, name in enumerate(data.classes):
        klass = ledger.find_class(code, year, curriculum.FINAL_GRADE[kind], name)
        if klass is None:
            raise errors.UnknownClass(f"class {curriculum.FINAL_GRADE[kind]}-{name} of {year} is not formed",
                                      field=f"classes[{i}]")
        out += [(str(sid), data.to_school, "", 0) for sid in klass.placements]
    return list({sid: (sid, to, c, n) for sid, to, c, n in out}.values())


def _advance(ledger: Ledger, by: str, code: str, data: AdvancementIn, sid: str, to_school: str | None,
             class_name: str, number: int) -> Advanced:
    try:
        if to_school is None:
            raise errors.InvalidValue("name the junior high: to_school, for the request or the child",
                                      field="to_school")
        student = ledger.student(sid)
        if all(e.school_code != code for e in student.enrollments):  # never this school's: as if missing
            raise errors.UnknownStudent(f"student {sid} is not in the register", field="student_id")
        if _already(student, to_school, data) and student.enrollments[-2].school_code == code:
            return Advanced(str(student.id), "already-advanced", to_school)
        if student.enrollments[-1].school_code != code:
            raise errors.StudentNotEnrolledAtSchool(f"student {student.id} is no longer at {code}",
                                                    field="student_id")
        graduated = student.enrollments[-1].ended_on
        receipt = ledger.hand_over(
            student.id, kind="advancement", to_school=to_school, left_on=graduated or data.accepted_on,
            accepted_on=data.accepted_on, year=school_years.year_of(data.accepted_on), grade=1,
            class_name=class_name, number=number, recorded_by=by)
        return Advanced(str(student.id), "advanced", to_school, position=receipt.position)
    except errors.LedgerError as e:
        return Advanced(sid, "refused", to_school, rule=e.rule, field=e.field, detail=e.message)


def _already(student: Student, to_school: str, data: AdvancementIn) -> bool:
    last = student.enrollments[-1] if student.enrollments else None
    return last is not None and last.school_code == to_school and last.began_on == data.accepted_on \
        and last.ended_on is None and len(student.enrollments) > 1



