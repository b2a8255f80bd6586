"""A student's forms: 指導要録, 通知表, 健康診断票 (一般, 歯・口腔), and a school's long-absence list.

All are sensitivity class I/II: a multi-factor token is needed, and every read (answered, refused
or not found) is recorded in the access log. ``as_of`` and ``on`` reproduce a form as known at a
past point or as it stood on a past date (api/forms.py).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, QueryParameter

from api.context import caller, services
from api.forms import AsOf, On, Position, answer, cutoff, forms_for
from api.openapi_errors import FORM_ERRORS
from api.policy import authorize, not_found, viewing_school
from api.problems import ApiProblem
from api.schemas import YearPath
from api.targets import school_target, student_target
from projections.forms.report_card import NoSuchTerm

Req = Request[Any, Any, Any]


class StudentFormController(Controller):
    path = "/v1/students/{student_id:str}/forms"
    tags = ["forms"]
    responses = FORM_ERRORS

    @get("/cumulative-record", sync_to_thread=True,
         summary="指導要録: 様式1 (enrollment) and 様式2 (guidance, 出欠) with correction trails (read is logged)")
    def cumulative_record(self, request: Req, student_id: FromPath[str], as_of: AsOf = None, on: On = None,
                          wait_for: Position = None) -> Response[Any]:
        p, svc = caller(request), services(request.app.state)
        with svc.access.reading(p, "record.read", request.url.path, student_id):
            target, student = student_target(svc.ledger, student_id)
            authorize(p, "record.read", target)
            form = forms_for(request, wait_for).cumulative_record(
                student.id, board=target.board, as_of=cutoff(request, as_of, on),
                school=viewing_school(p, "record.read", target))
            if form is None:
                raise not_found("student")
            return answer(request, "cumulative_record", form)

    @get("/report-card", sync_to_thread=True,
         summary="通知表 of one term of a school year, by the school's own terms (read is logged)")
    def report_card(self, request: Req, student_id: FromPath[str],
                    year: Annotated[int, QueryParameter(ge=2000, le=2100, description="school year (年度), 2000–2100")],
                    term: Annotated[int, QueryParameter(ge=1, le=3)], as_of: AsOf = None, on: On = None,
                    wait_for: Position = None) -> Response[Any]:
        p, svc = caller(request), services(request.app.state)
        with svc.access.reading(p, "report_card.read", request.url.path, student_id):
            target, student = student_target(svc.ledger, student_id, year=year)
            authorize(p, "report_card.read", target)
            try:
                form = forms_for(request, wait_for).report_card(
                    student.id, year, term, board=target.board, as_of=cutoff(request, as_of, on),
                    school=viewing_school(p, "report_card.read", target))
            except NoSuchTerm as e:
                raise ApiProblem(422, "term-out-of-range", str(e), field="term") from None
            if form is None:
                raise not_found("report card")
            return answer(request, "report_card", form)


    @get("/health-card", sync_to_thread=True,
         summary="健康診断票(一般): each school year's examination, the items of each grade (read is logged)")
    def health_card(self, request: Req, student_id: FromPath[str], as_of: AsOf = None, on: On = None,
                    wait_for: Position = None) -> Response[Any]:
        return _card(request, student_id, "health_card", as_of, on, wait_for)

    @get("/dental-card", sync_to_thread=True,
         summary="健康診断票(歯・口腔): each year's tooth chart and its counts (read is logged)")
    def dental_card(self, request: Req, student_id: FromPath[str], as_of: AsOf = None, on: On = None,
                    wait_for: Position = None) -> Response[Any]:
        return _card(request, student_id, "dental_card", as_of, on, wait_for)


def _card(request: Req, student_id: str, form: str, as_of: str | None, on: date | None,
          wait_for: int | None) -> Response[Any]:
    p, svc = caller(request), services(request.app.state)
    with svc.access.reading(p, "health.read", request.url.path, student_id):
        target, student = student_target(svc.ledger, student_id)
        authorize(p, "health.read", target)
        forms = forms_for(request, wait_for)
        read = forms.health_card if form == "health_card" else forms.dental_card
        document = read(student.id, as_of=cutoff(request, as_of, on), school=viewing_school(p, "health.read", target))
        if document is None:
            raise not_found("student")
        return answer(request, form, document)


class LongAbsenceController(Controller):
    path = "/v1/schools/{school_code:str}/years/{year:int}"
    tags = ["forms"]
    responses = FORM_ERRORS

    @get("/long-absence", sync_to_thread=True,
         summary="長期欠席 (30 days or more) and runs of 7 school days absent: the notices due (read is logged)")
    def long_absence(self, request: Req, school_code: FromPath[str], year: YearPath, as_of: AsOf = None,
                     on: On = None, wait_for: Position = None) -> Response[Any]:
        p, svc = caller(request), services(request.app.state)
        with svc.access.reading(p, "long_absence.read", request.url.path, None):
            authorize(p, "long_absence.read", school_target(svc.ledger, school_code))
            form = forms_for(request, wait_for).long_absence(school_code, year, as_of=cutoff(request, as_of, on))
            return answer(request, "long_absence", form)
