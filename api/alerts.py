"""Alerts (issue 14, ADR 0042): a school year's alerts, scoped by the policy, and their acknowledgements.

The list names children (and their absence or health examination), so like the long-absence list it
needs a multi-factor token and every read is written to the access log. Who sees which rows follows
PRODUCT.md §3.5: the principal (and an auditor) every alert of the school, a homeroom teacher those of
their class (``grade`` and ``class_name``), the nurse the health examination's, the board only the
counts (no child named). A caller outside the school or class gets 404 as for one that does not exist.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from api.context import caller, services
from api.forms import AsOf, Position, cutoff, forms_for
from api.openapi_errors import ALERT_ERRORS, ERRORS
from api.policy import Target, authorize, can, not_found
from api.problems import ApiProblem
from api.schemas import AcknowledgementIn, YearPath
from api.targets import class_target, school_target
from api.writes import Recorded, write
from domain.alerts import HEALTH_RULES, RULES
from projections.alerts import alerts_of
from projections.forms.student_file import read

Req = Request[Any, Any, Any]


class AcknowledgementOut(msgspec.Struct, frozen=True):
    staff_id: str  # who followed the alert up
    action: str  # what was done
    note: str
    at: str  # when it was recorded


class AlertOut(msgspec.Struct, frozen=True):
    """One alert: the rule crossed for a child, the days that crossed it, the threshold in force, the follow-up."""

    alert_id: str
    student_id: str
    name: str | None  # the child's name on the class roll (None if the roll does not have it)
    grade: int
    class_name: str
    rule: str  # absence-run, notice-run, long-absence, health-exam-overdue
    first_day: str
    last_day: str
    days: int  # the days counted to the crossing (0 for the health examination)
    threshold: int
    raised_at: str
    acknowledgements: list[AcknowledgementOut]
    done_on: str | None = None  # health-exam-overdue: the examination's day, recorded since (late), or None


class RuleCount(msgspec.Struct, frozen=True):
    raised: int
    acknowledged: int  # of those, followed up at least once


class AlertList(msgspec.Struct, frozen=True):
    """A school year's alerts as the caller may see them: the counts by rule, and the alerts (none for a board)."""

    school_code: str
    year: int
    grade: int | None
    class_name: str | None
    counts: dict[str, RuleCount]
    alerts: list[AlertOut]


GradeQuery = Annotated[int | None, QueryParameter(ge=1, le=9, description="a class's grade (with class_name)")]
ClassQuery = Annotated[str | None, QueryParameter(max_length=200, description="a class's name (with grade)")]


class AlertController(Controller):
    path = "/v1/schools/{school_code:str}/years/{year:int}/alerts"
    tags = ["alerts"]
    responses = ALERT_ERRORS

    @get("/", sync_to_thread=True,
         summary="A school year's alerts (or one class's), with their follow-up, as the caller may see them")
    def alerts(self, request: Req, school_code: FromPath[str], year: YearPath, grade: GradeQuery = None,
               class_name: ClassQuery = None, as_of: AsOf = None, wait_for: Position = None) -> AlertList:
        p, svc = caller(request), services(request.app.state)
        with svc.access.reading(p, "alert.list", request.url.path, None):
            if (grade is None) != (class_name is None):
                raise ApiProblem(422, "class-needs-grade-and-name", "grade and class_name name a class together: "
                                 "give both, or neither for the whole school",
                                 field="class_name" if class_name is None else "grade")
            if grade is not None and class_name is not None:
                target = class_target(svc.ledger, school_code, year, grade, class_name)
            else:
                target = school_target(svc.ledger, school_code)
            authorize(p, "alert.list", target)
            forms = forms_for(request, wait_for)
            point = cutoff(request, as_of)
            rows = [r for r in alerts_of(forms.runner, school_code, year, point)["alerts"]
                    if grade is None or (r["grade"], r["class_name"]) == (grade, class_name)]
            if can(p, "alert.read", target):  # the principal, the class's homeroom teacher, an auditor
                shown = counted = rows
            elif can(p, "alert.read_health", target):  # the nurse: the health examination's alerts
                shown = counted = [r for r in rows if r["rule"] in HEALTH_RULES]
            else:  # a board: the counts alone, no child named
                shown, counted = [], rows
            counts = {rule: RuleCount(sum(1 for r in counted if r["rule"] == rule),
                                      sum(1 for r in counted if r["rule"] == rule and r["acknowledgements"]))
                      for rule in RULES}
            names = _names(forms.runner, [r["student_id"] for r in shown], point)
            return AlertList(school_code, year, grade, class_name, counts,
                             [msgspec.convert({**r, "name": names.get(r["student_id"])}, AlertOut) for r in shown])


def _names(runner: Any, ids: list[str], point: Any) -> dict[str, str]:
    """The children's names as the roster holds them."""
    docs = read(runner, {"roster": [f"student/{sid}" for sid in dict.fromkeys(ids)]}, point)["roster"] if ids else {}
    return {key.split("/", 1)[1]: doc["name"] for key, doc in docs.items()}


class AcknowledgementController(Controller):
    path = "/v1/alerts/{alert_id:str}/acknowledgements"
    tags = ["alerts"]
    responses = ERRORS

    @post("/", sync_to_thread=True, summary="Record what was done about an alert, with a note")
    def acknowledge(self, request: Req, alert_id: FromPath[str],
                    data: JSONBody[AcknowledgementIn]) -> Response[Recorded]:
        p, ledger = caller(request), services(request.app.state).ledger

        def target() -> Target:
            try:
                state = ledger.alert(UUID(alert_id))
            except ValueError:
                state = None
            if state is None:
                raise not_found("alert")
            raised = state.raised
            try:
                found = class_target(ledger, raised.school_code, raised.year, raised.grade, raised.class_name)
            except Exception as e:  # the class is gone from sight: the alert is as missing
                raise not_found("alert") from e
            return replace(found, kind="alert")

        return write(request, p, "alert.acknowledge", target,
                     lambda _: ledger.acknowledge_alert(UUID(alert_id), action=data.action, note=data.note,
                                                        recorded_by=p.staff_id), data=data)

