"""Schools, principals, calendars, classes and the year seal."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post, put
from litestar.params import FromPath, JSONBody

from api.context import caller, services
from api.openapi_errors import ERRORS
from api.policy import Target, can
from api.problems import ApiProblem
from api.schemas import CalendarIn, ClassIn, GradePath, PrincipalIn, SchoolIn, SealIn, YearPath
from api.targets import class_target, school_target
from api.writes import Recorded, write

Req = Request[Any, Any, Any]


class SchoolController(Controller):
    path = "/v1/schools/{school_code:str}"
    tags = ["schools"]
    responses = ERRORS

    @put("/", sync_to_thread=True, status_code=201, summary="Register a school, or update its details (board)")
    def put_school(self, request: Req, school_code: FromPath[str], data: JSONBody[SchoolIn]) -> Response[Recorded]:
        p, ledger = caller(request), services(request.app.state).ledger

        def target() -> Target:
            found = school_target(ledger, school_code, board=data.board_code)
            moving = Target(school=school_code, board=data.board_code, kind="school")
            if found.board != data.board_code and can(p, "school.register", found) \
                    and not can(p, "school.register", moving):
                raise ApiProblem(403, "forbidden", f"moving {school_code} to board {data.board_code} needs that "
                                 "board's role as well", field="board_code")
            return found

        return write(request, p, "school.register", target, lambda _: ledger.register_school(
            school_code, data.name, data.board_code, data.address, recorded_by=p.staff_id), data=data)

    @put("/principal", sync_to_thread=True, status_code=201, summary="Appoint the principal (校長)")
    def put_principal(self, request: Req, school_code: FromPath[str],
                      data: JSONBody[PrincipalIn]) -> Response[Recorded]:
        p, ledger = caller(request), services(request.app.state).ledger
        return write(request, p, "principal.appoint", lambda: school_target(ledger, school_code),
                     lambda _: ledger.appoint_principal(school_code, data.staff_id, data.name, on=data.appointed_on,
                                                        recorded_by=p.staff_id), data=data)

    @put("/years/{year:int}/calendar", sync_to_thread=True, status_code=201,
         summary="Set a school year's calendar: terms, instructional days, closures (principal)")
    def put_calendar(self, request: Req, school_code: FromPath[str], year: YearPath,
                     data: JSONBody[CalendarIn]) -> Response[Recorded]:
        p, ledger = caller(request), services(request.app.state).ledger
        return write(request, p, "calendar.set", lambda: school_target(ledger, school_code, year=year),
                     lambda _: ledger.set_calendar(school_code, year, terms=data.terms,
                                                   instructional_days=data.instructional_days,
                                                   closures=data.closures, recorded_by=p.staff_id), data=data)

    @put("/years/{year:int}/classes/{grade:int}/{name:str}", sync_to_thread=True, status_code=201,
         summary="Form a class with its homeroom teacher and students (registrar, principal)")
    def put_class(self, request: Req, school_code: FromPath[str], year: YearPath, grade: GradePath,
                  name: FromPath[str], data: JSONBody[ClassIn]) -> Response[Recorded]:
        p, ledger = caller(request), services(request.app.state).ledger
        return write(request, p, "class.form", lambda: class_target(ledger, school_code, year, grade, name),
                     lambda _: ledger.form_class(
                         school_code, year, grade, name, homeroom_teacher_id=data.homeroom_teacher_id,
                         homeroom_teacher_name=data.homeroom_teacher_name,
                         students=[(m.student_id, m.number) for m in data.students], on=data.formed_on,
                         recorded_by=p.staff_id), data=data)

    @post("/years/{year:int}/seal", sync_to_thread=True, summary="Seal the school year (学年末確定; principal)")
    def seal(self, request: Req, school_code: FromPath[str], year: YearPath,
             data: JSONBody[SealIn]) -> Response[Recorded]:
        p, ledger = caller(request), services(request.app.state).ledger
        return write(request, p, "year.seal", lambda: school_target(ledger, school_code, year=year),
                     lambda _: ledger.seal_year(school_code, year, recorded_by=p.staff_id), data=data)
