"""Students: admission, the current summary, identity changes, leave, withdrawal, graduation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody

from api.context import caller, services
from api.openapi_errors import ERRORS, READ_ERRORS
from api.policy import Target, authorize, viewing_school
from api.schemas import AdmissionIn, GraduationIn, IdentityChangeIn, LeaveIn, ReturnIn, WithdrawalIn
from api.targets import class_target, student_target
from api.writes import Recorded, if_match, write
from domain.ledger import Ledger, Receipt

Req = Request[Any, Any, Any]


class StudentController(Controller):
    path = "/v1/students"
    tags = ["students"]
    responses = ERRORS

    @post("/", sync_to_thread=True, summary="Admit a student (入学 or 編入学) into a formed class (registrar)")
    def admit(self, request: Req, data: JSONBody[AdmissionIn]) -> Response[Recorded]:
        p, ledger = caller(request), services(request.app.state).ledger
        return write(request, p, "student.admit",
                     lambda: class_target(ledger, data.school_code, data.year, data.grade, data.class_name),
                     lambda _: ledger.admit_student(
            data.school_code, data.year, data.grade, data.class_name, data.number, data.identity,
            admitted_on=data.admitted_on, admission_kind=data.admission_kind, prior_history=data.prior_history,
            reason=data.reason, different_child=data.different_child, recorded_by=p.staff_id), data=data)

    @get("/{student_id:str}", sync_to_thread=True, responses=READ_ERRORS,
         summary="The student as the register stands now; ETag is the version for If-Match")
    def summary(self, request: Req, student_id: FromPath[str]) -> Response[dict[str, Any]]:
        p, ledger = caller(request), services(request.app.state).ledger
        with ledger.reading():  # the student is read once for the policy and the summary
            target, student = student_target(ledger, student_id)
            authorize(p, "student.read", target)
            # a school the child has left reads them as they stood when custody passed (domain/custody.py)
            summary = ledger.student_summary(student.id, school=viewing_school(p, "student.read", target))
            return Response(summary, headers={"ETag": f'"{summary["version"]}"'})

    @post("/{student_id:str}/identity-changes", sync_to_thread=True,
          summary="Record changed identity details (name, address, guardian) with the reason (registrar)")
    def change_identity(self, request: Req, student_id: FromPath[str],
                        data: JSONBody[IdentityChangeIn]) -> Response[Recorded]:
        return _on_student(request, student_id, "student.identity", data, lambda ledger, by, expected:
                           ledger.change_identity(student_id, data.identity, reason=data.reason,
                                                  on=data.effective_on, expected_version=expected, recorded_by=by))

    @post("/{student_id:str}/leaves", sync_to_thread=True, summary="休学: leave of absence from a day")
    def leave(self, request: Req, student_id: FromPath[str], data: JSONBody[LeaveIn]) -> Response[Recorded]:
        return _on_student(request, student_id, "student.leave", data, lambda ledger, by, expected:
                           ledger.begin_leave(student_id, on=data.on, reason=data.reason,
                                              expected_version=expected, recorded_by=by))

    @post("/{student_id:str}/returns", sync_to_thread=True, summary="復学: back from leave on a day")
    def return_from_leave(self, request: Req, student_id: FromPath[str],
                          data: JSONBody[ReturnIn]) -> Response[Recorded]:
        return _on_student(request, student_id, "student.leave", data, lambda ledger, by, expected:
                           ledger.end_leave(student_id, on=data.on, number=data.number,
                                            expected_version=expected, recorded_by=by))

    @post("/{student_id:str}/withdrawal", sync_to_thread=True, summary="退学, on the day the principal approved it")
    def withdraw(self, request: Req, student_id: FromPath[str], data: JSONBody[WithdrawalIn]) -> Response[Recorded]:
        return _on_student(request, student_id, "student.withdraw", data, lambda ledger, by, expected:
                           ledger.withdraw(student_id, on=data.on, reason=data.reason,
                                           expected_version=expected, recorded_by=by))

    @post("/{student_id:str}/graduation", sync_to_thread=True, summary="卒業 from the final grade")
    def graduate(self, request: Req, student_id: FromPath[str], data: JSONBody[GraduationIn]) -> Response[Recorded]:
        return _on_student(request, student_id, "student.graduate", data, lambda ledger, by, expected:
                           ledger.graduate(student_id, on=data.on, expected_version=expected, recorded_by=by))


def _on_student(request: Req, student_id: str, action: str, data: Any,
                command: Callable[[Ledger, str, int | None], Receipt]) -> Response[Recorded]:
    """A write to the student's own record: authorized on the student, with If-Match as the expected version."""
    p, ledger = caller(request), services(request.app.state).ledger

    def target() -> Target:
        return student_target(ledger, student_id, school_year=True)[0]

    # If-Match is read once the caller may write to the student: a missing student and one outside
    # the caller's duty both answer 404, whatever the header says.
    return write(request, p, action, target, lambda _: command(ledger, p.staff_id, if_match(request)), data=data)
