"""The records of a year: class rolls, mark corrections, assessments, year records, examinations
and their corrections."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import date
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, post
from litestar.params import FromPath, JSONBody

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
from api.targets import RecordStream, class_target, student_target
from api.writes import Recorded, write, written
from domain import school_year as school_years
from domain import streams
from domain.assessment import AssessmentRecorded
from domain.event import Event
from domain.ledger import Ledger, Receipt

Req = Request[Any, Any, Any]
RECORDS = ("assessment", "year-record", "health-exam", "dental-exam")  # what POST corrections corrects


def approval(p: Principal, target: Target) -> str | None:
    """A correction posted by the school's principal carries their approval; anyone else's does not."""
    return p.staff_id if any(g.role == "principal" and g.school == target.school for g in p.grants) else None


class RollController(Controller):
    path = "/v1/attendance-rolls"
    tags = ["attendance"]
    responses = ERRORS

    @post("/", summary="A class roll: one class, one day, every student, in one transaction")
    async def roll(self, request: Req, data: JSONBody[RollIn]) -> Response[Recorded]:
        p, ledger = caller(request), services(request.app.state).ledger
        marks = [(m.student_id, {"code": m.code, "reason": m.reason, "authority": m.authority,
                                 "facility": m.facility}) for m in data.marks]
        return await written(request, lambda: write(
            request, p, "attendance.roll",
            lambda: class_target(ledger, data.school_code, data.year, data.grade, data.class_name),
            lambda _: ledger.record_roll(data.school_code, data.year, data.grade, data.class_name,
                                         on=data.date, marks=marks, recorded_by=p.staff_id), data=data))


class RecordController(Controller):
    path = "/v1/students/{student_id:str}"
    tags = ["records"]
    responses = ERRORS

    @post("/attendance-corrections", summary="Correct one day's mark, with the reason")
    async def correct_mark(self, request: Req, student_id: FromPath[str],
                     data: JSONBody[MarkCorrectionIn]) -> Response[Recorded]:
        return await _on_record(request, student_id, "attendance.correct", data, school_years.year_of(data.date),
                          lambda sid, _: streams.attendance(sid, data.date), lambda ledger, p, target:
                          ledger.correct_mark(student_id, on=data.date, mark=data.mark, reason=data.reason,
                                              approved_by=approval(p, target), recorded_by=p.staff_id),
                          day=lambda _: (data.date, "date"))

    @post("/assessments", summary="観点別学習状況 and 評定 of a subject (subject teacher)")
    async def assess(self, request: Req, student_id: FromPath[str], data: JSONBody[AssessmentIn]) -> Response[Recorded]:
        return await _on_record(request, student_id, "assessment.record", data, data.year, streams.assessments,
                          lambda ledger, p, _: ledger.record_assessment(
                              student_id, data.year, subject=data.subject, viewpoints=data.viewpoints,
                              rating=data.rating, term=data.term, on=data.assessed_on, recorded_by=p.staff_id),
                          subject=lambda _: data.subject, day=lambda _: (data.assessed_on, "assessed_on"))

    @post("/year-records", summary="道徳, 総合, 特別活動, 行動の記録, 総合所見 (homeroom teacher)")
    async def year_record(self, request: Req, student_id: FromPath[str],
                          data: JSONBody[YearRecordIn]) -> Response[Recorded]:
        return await _on_record(request, student_id, "year_record.enter", data, data.year, streams.year_record,
                          lambda ledger, p, _: ledger.enter_year_record(
                              student_id, data.year, record=data.record, on=data.entered_on, recorded_by=p.staff_id),
                          day=lambda _: (data.entered_on, "entered_on"))

    @post("/health-exams", summary="The annual health examination (nurse)")
    async def health(self, request: Req, student_id: FromPath[str], data: JSONBody[HealthExamIn]) -> Response[Recorded]:
        return await _on_record(request, student_id, "health.record", data, data.year, streams.health,
                          lambda ledger, p, _: ledger.record_health_exam(
                              student_id, data.year, examination=data.examination, examined_on=data.examined_on,
                              recorded_by=p.staff_id), day=lambda _: (data.examined_on, "examined_on"))

    @post("/dental-exams", summary="The dental examination (nurse)")
    async def dental(self, request: Req, student_id: FromPath[str], data: JSONBody[DentalExamIn]) -> Response[Recorded]:
        return await _on_record(request, student_id, "health.record", data, data.year, streams.health,
                          lambda ledger, p, _: ledger.record_dental_exam(
                              student_id, data.year, examination=data.examination, examined_on=data.examined_on,
                              recorded_by=p.staff_id), day=lambda _: (data.examined_on, "examined_on"))

    @post("/corrections",
          summary="Correct an assessment, year record or examination, naming the event (its stream version)")
    async def correct(self, request: Req, student_id: FromPath[str],
                      data: JSONBody[CorrectionIn]) -> Response[Recorded]:
        if data.record not in RECORDS:  # before the student is looked up: the same answer for every student
            raise ApiProblem(422, "unknown-record", f"record is one of {', '.join(RECORDS)}", field="record")
        v = data.value
        commands: dict[str, tuple[str, RecordStream, Command]] = {
            "assessment": ("assessment.correct", streams.assessments, lambda ledger, p, target:
                           ledger.correct_assessment(student_id, data.year, viewpoints=v.get("viewpoints"),
                                                     rating=v.get("rating"), **_correcting(data, p, target))),
            "year-record": ("year_record.correct", streams.year_record, lambda ledger, p, target:
                            ledger.correct_year_record(student_id, data.year, record=v,
                                                       **_correcting(data, p, target))),
            "health-exam": ("health.correct", streams.health, lambda ledger, p, target:
                            ledger.correct_examination(student_id, data.year, examination=v,
                                                       **_correcting(data, p, target))),
            "dental-exam": ("health.correct", streams.health, lambda ledger, p, target:
                            ledger.correct_examination(student_id, data.year, examination=v, dental=True,
                                                       **_correcting(data, p, target))),
        }
        action, record, command = commands[data.record]
        subject = (lambda ledger: _subject_of(ledger, student_id, data.year, data.corrects_version)) \
            if data.record == "assessment" else None

        def day(ledger: Ledger) -> tuple[date | None, str]:  # the day the corrected original is about
            original = _original(ledger, record, student_id, data.year, data.corrects_version)
            return (original.effective_on if original is not None else None), "corrects_version"

        return await _on_record(request, student_id, action, data, data.year, record, command, subject=subject, day=day)


Command = Callable[[Ledger, Principal, Target], Receipt]


async def _on_record(request: Req, student_id: str, action: str, data: Any, year: int, record: RecordStream,
               command: Command, *, subject: Callable[[Ledger], str | None] | None = None,
               day: Callable[[Ledger], tuple[date | None, str]]) -> Response[Recorded]:
    """A write to one of the student's records of ``year``: authorized on the student's class that year,
    by the school that held the child on the day the record is about (``day``: it and its field).

    The student and the record stream are read in one query, the school, class and school year in
    another (in the first one too once a request about the child has named them: ``student_target``),
    and the command judges by those same reads (``write`` runs both in one reading block), in the app's
    writer (api/writer.py, ADR 0054): the writes that arrive together are saved in one transaction.
    """
    p, ledger = caller(request), services(request.app.state).ledger

    def target() -> Target:
        with suppress(ValueError):  # not a student id: student_target answers 404
            sid = UUID(student_id)  # before the subject is looked up; with the child's school, class and year
            ledger.prefetch([sid, record(sid, year), *ledger.read_together(sid)])  # when known (student_target)
        on, field = day(ledger)
        return student_target(ledger, student_id, year=year, subject=subject(ledger) if subject else None,
                              records=(record,), school_year=True, day=on, day_field=field)[0]

    return await written(request, lambda: write(request, p, action, target,
                                                lambda resolved: command(ledger, p, resolved), data=data))


def _correcting(data: CorrectionIn, p: Principal, target: Target) -> dict[str, Any]:
    return dict(corrects_version=data.corrects_version, reason=data.reason, approved_by=approval(p, target),
                recorded_by=p.staff_id)


def _subject_of(ledger: Ledger, student_id: str, year: int, version: int) -> str | None:
    """The subject of the assessment a correction names (subject teachers may correct only theirs)."""
    event = _original(ledger, streams.assessments, student_id, year, version)
    return event.subject if isinstance(event, AssessmentRecorded) else None


def _original(ledger: Ledger, record: RecordStream, student_id: str, year: int, version: int) -> Event | None:
    """The original record a correction names (through the corrections it names), or None."""
    try:
        history = ledger.stream(record(UUID(student_id), year))
    except ValueError:
        return None
    if not 1 <= version <= len(history):
        return None
    event = history[version - 1]
    while hasattr(event, "corrects_version") and 1 <= event.corrects_version < event.originator_version:
        event = history[event.corrects_version - 1]
    return event
