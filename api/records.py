"""The records of a year: class rolls, mark corrections, assessments, year records, examinations
and their corrections."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post

from api.auth import Principal
from api.context import caller, services
from api.openapi_errors import ERRORS
from api.policy import Target
from api.problems import ApiProblem
from api.schemas import (
    AssessmentIn,
    CorrectionIn,
    DentalExamIn,
    HealthExamIn,
    MarkCorrectionIn,
    RollIn,
    YearRecordIn,
)
from api.targets import class_target, student_target
from api.writes import Recorded, write
from domain import values

Req = Request[Any, Any, Any]
RECORDS = ("assessment", "year-record", "health-exam", "dental-exam")  # what POST corrections corrects


def approval(p: Principal, target: Target) -> str | None:
    """A correction posted by the school's principal carries their approval; anyone else's does not."""
    return p.staff_id if any(g.role == "principal" and g.school == target.school for g in p.grants) else None


class RollController(Controller):
    path = "/v1/attendance-rolls"
    tags = ["attendance"]
    responses = ERRORS

    @post("/", sync_to_thread=True, summary="A class roll: one class, one day, every student, in one transaction")
    def roll(self, request: Req, data: RollIn) -> Response[Recorded]:
        p, ledger = caller(request), services(request.app.state).ledger
        target = class_target(ledger, data.school_code, data.year, data.grade, data.class_name)
        marks = [(m.student_id, {"code": m.code, "reason": m.reason, "authority": m.authority,
                                 "facility": m.facility}) for m in data.marks]
        return write(request, p, "attendance.roll", target, lambda: ledger.record_roll(
            data.school_code, data.year, data.grade, data.class_name, on=data.date, marks=marks,
            recorded_by=p.staff_id), data=data)


class RecordController(Controller):
    path = "/v1/students/{student_id:str}"
    tags = ["records"]
    responses = ERRORS

    @post("/attendance-corrections", sync_to_thread=True, summary="Correct one day's mark, with the reason")
    def correct_mark(self, request: Req, student_id: str, data: MarkCorrectionIn) -> Response[Recorded]:
        p, ledger = caller(request), services(request.app.state).ledger
        target, _ = student_target(ledger, student_id, year=values.school_year_of(data.date))
        return write(request, p, "attendance.correct", target, lambda: ledger.correct_mark(
            student_id, on=data.date, mark=data.mark, reason=data.reason, approved_by=approval(p, target),
            recorded_by=p.staff_id), data=data)

    @post("/assessments", sync_to_thread=True, summary="観点別学習状況 and 評定 of a subject (subject teacher)")
    def assess(self, request: Req, student_id: str, data: AssessmentIn) -> Response[Recorded]:
        p, ledger = caller(request), services(request.app.state).ledger
        target, _ = student_target(ledger, student_id, year=data.year, subject=data.subject)
        return write(request, p, "assessment.record", target, lambda: ledger.record_assessment(
            student_id, data.year, subject=data.subject, viewpoints=data.viewpoints, rating=data.rating,
            term=data.term, on=data.assessed_on, recorded_by=p.staff_id), data=data)

    @post("/year-records", sync_to_thread=True, summary="道徳, 総合, 特別活動, 行動の記録, 総合所見 (homeroom teacher)")
    def year_record(self, request: Req, student_id: str, data: YearRecordIn) -> Response[Recorded]:
        p, ledger = caller(request), services(request.app.state).ledger
        target, _ = student_target(ledger, student_id, year=data.year)
        return write(request, p, "year_record.enter", target, lambda: ledger.enter_year_record(
            student_id, data.year, record=data.record, on=data.entered_on, recorded_by=p.staff_id), data=data)

    @post("/health-exams", sync_to_thread=True, summary="The annual health examination (nurse)")
    def health(self, request: Req, student_id: str, data: HealthExamIn) -> Response[Recorded]:
        p, ledger = caller(request), services(request.app.state).ledger
        target, _ = student_target(ledger, student_id, year=data.year)
        return write(request, p, "health.record", target, lambda: ledger.record_health_exam(
            student_id, data.year, examination=data.examination, examined_on=data.examined_on,
            recorded_by=p.staff_id), data=data)

    @post("/dental-exams", sync_to_thread=True, summary="The dental examination (nurse)")
    def dental(self, request: Req, student_id: str, data: DentalExamIn) -> Response[Recorded]:
        p, ledger = caller(request), services(request.app.state).ledger
        target, _ = student_target(ledger, student_id, year=data.year)
        return write(request, p, "health.record", target, lambda: ledger.record_dental_exam(
            student_id, data.year, examination=data.examination, examined_on=data.examined_on,
            recorded_by=p.staff_id), data=data)

    @post("/corrections", sync_to_thread=True,
          summary="Correct an assessment, year record or examination, naming the event (its stream version)")
    def correct(self, request: Req, student_id: str, data: CorrectionIn) -> Response[Recorded]:
        p, ledger = caller(request), services(request.app.state).ledger
        if data.record not in RECORDS:  # before the student is looked up: the same answer for every student
            raise ApiProblem(422, "unknown-record", f"record is one of {', '.join(RECORDS)}", field="record")
        subject = None
        if data.record == "assessment":
            subject = _subject_of(ledger, student_id, data.year, data.corrects_version)
        target, _ = student_target(ledger, student_id, year=data.year, subject=subject)
        approved = approval(p, target)
        common: dict[str, Any] = dict(corrects_version=data.corrects_version, reason=data.reason,
                                      approved_by=approved, recorded_by=p.staff_id)
        v = data.value
        commands = {
            "assessment": ("assessment.correct", lambda: ledger.correct_assessment(
                student_id, data.year, viewpoints=v.get("viewpoints"), rating=v.get("rating"), **common)),
            "year-record": ("year_record.correct", lambda: ledger.correct_year_record(
                student_id, data.year, record=v, **common)),
            "health-exam": ("health.correct", lambda: ledger.correct_examination(
                student_id, data.year, examination=v, **common)),
            "dental-exam": ("health.correct", lambda: ledger.correct_examination(
                student_id, data.year, examination=v, dental=True, **common)),
        }
        action, command = commands[data.record]
        return write(request, p, action, target, command, data=data)


def _subject_of(ledger: Any, student_id: str, year: int, version: int) -> str | None:
    """The subject of the assessment a correction names (subject teachers may correct only theirs)."""
    from uuid import UUID

    from domain import streams
    from domain.assessment import AssessmentRecorded

    try:
        history = ledger.stream(streams.assessments(UUID(student_id), year))
    except ValueError:
        return None
    if not 1 <= version <= len(history):
        return None
    event = history[version - 1]
    while not isinstance(event, AssessmentRecorded) and hasattr(event, "corrects_version"):
        event = history[event.corrects_version - 1]
    return event.subject if isinstance(event, AssessmentRecorded) else None
