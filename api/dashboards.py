"""The dashboards (issue 14; ADR 0043): a child's, a class's, a school's and a board's, as JSON or as a
page in Japanese with its charts drawn as inline SVG on the server (api/dashboard_pages.py).

Access (api/policy.py): a child's dashboard is read by those who read the child's health and 出欠 (the
homeroom teacher, the nurse, the principal, an auditor; multi-factor, logged); a class's by those who read
its 出席簿 (the homeroom teacher, the nurse, the principal, an auditor); a school's by its principal or an
auditor (it names the children of its 長期欠席 list: multi-factor, logged); a board's by the board or an
auditor of it: per school only aggregates, no child named. The board's drill-down to a school's named
list is the school's long-absence list, which the policy gives the board (multi-factor, logged).
``as_of``, ``on`` and ``wait_for`` as the forms (api/forms.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get
from litestar.params import FromPath, QueryParameter

from api import dashboard_pages
from api.context import caller, services
from api.forms import AsOf, On, Position, cutoff, encode, forms_for
from api.negotiation import dashboard_media_type
from api.openapi_errors import FORM_ERRORS
from api.policy import Target, authorize, not_found, viewing_school
from api.schemas import GradePath, YearPath
from api.targets import class_target, school_target, student_target
from projections.dashboards.views import Dashboards

Req = Request[Any, Any, Any]
Year = Annotated[int | None, QueryParameter(ge=2000, le=2100, description="school year (年度); default: the latest")]


def answer(request: Req, level: str, document: dict[str, Any]) -> Response[Any]:
    """JSON, or the page laid out from the JSON as encoded (the same bytes either way)."""
    body = encode(document)
    if dashboard_media_type(request) == MediaType.HTML:
        return Response(dashboard_pages.render(level, document), media_type=MediaType.HTML)
    return Response(body, media_type=MediaType.JSON)


class DashboardController(Controller):
    tags = ["dashboards"]
    responses = FORM_ERRORS

    @get("/v1/students/{student_id:str}/dashboard", sync_to_thread=True,
         summary="A child's dashboard: 出欠 by day and month, the current run of absence, health, assessments")
    def child(self, request: Req, student_id: FromPath[str], year: Year = None, as_of: AsOf = None, on: On = None,
              wait_for: Position = None) -> Response[Any]:
        p, svc = caller(request), services(request.app.state)
        with svc.access.reading(p, "dashboard.child", request.url.path, student_id):
            target, student = student_target(svc.ledger, student_id)
            authorize(p, "dashboard.child", target)
            view = Dashboards(forms_for(request, wait_for)).child(
                student.id, year, school=viewing_school(p, "dashboard.child", target), as_of=cutoff(request, as_of, on))
            if view is None:
                raise not_found("student")
            return answer(request, "child", view)

    @get("/v1/schools/{school_code:str}/years/{year:int}/classes/{grade:int}/{name:str}/dashboard",
         sync_to_thread=True, summary="A class's dashboard: today's roll, the daily rate, runs of absence, "
                                      "the last 30 days, unrecorded days")
    def klass(self, request: Req, school_code: FromPath[str], year: YearPath, grade: GradePath, name: FromPath[str],
              as_of: AsOf = None, on: On = None, wait_for: Position = None) -> Response[Any]:
        p, ledger = caller(request), services(request.app.state).ledger
        authorize(p, "dashboard.class", class_target(ledger, school_code, year, grade, name))
        view = Dashboards(forms_for(request, wait_for)).klass(school_code, year, grade, name,
                                                              as_of=cutoff(request, as_of, on))
        if view is None:
            raise not_found("class")
        return answer(request, "class", view)

    @get("/v1/schools/{school_code:str}/years/{year:int}/dashboard", sync_to_thread=True,
         summary="A school's dashboard: by grade and class, 長期欠席 and §20 candidates, health examinations, "
                 "assessment entry, rolls not taken today (read is logged)")
    def school(self, request: Req, school_code: FromPath[str], year: YearPath, as_of: AsOf = None, on: On = None,
               wait_for: Position = None) -> Response[Any]:
        p, svc = caller(request), services(request.app.state)
        with svc.access.reading(p, "dashboard.school", request.url.path, None):
            authorize(p, "dashboard.school", school_target(svc.ledger, school_code))
            view = Dashboards(forms_for(request, wait_for)).school(school_code, year, as_of=cutoff(request, as_of, on))
            if view is None:
                raise not_found("school")
            return answer(request, "school", view)

    @get("/v1/boards/{board_code:str}/years/{year:int}/dashboard", sync_to_thread=True,
         summary="A board's dashboard: its schools side by side, aggregates only (no child named)")
    def board(self, request: Req, board_code: FromPath[str], year: YearPath, as_of: AsOf = None, on: On = None,
              wait_for: Position = None) -> Response[Any]:
        p = caller(request)
        # The board's own: no school's staff sees it (a board_target would let its schools' staff see it).
        authorize(p, "dashboard.board", Target(board=board_code, kind="board"))
        view = Dashboards(forms_for(request, wait_for)).board(board_code, year, as_of=cutoff(request, as_of, on))
        if view is None:
            raise not_found("board")
        return answer(request, "board", view)
