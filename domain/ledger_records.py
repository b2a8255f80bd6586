"""Commands about the records of a school year: attendance rolls, assessments, the year record,
health and dental examinations, and their corrections."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from domain import assessment, attendance, errors, health, streams
from domain.event import Event
from domain.ledger_base import LedgerBase, Receipt, as_value, student_uuid
from domain.school import School, SchoolYear
from domain.student import Student


class RecordCommands(LedgerBase):
    def record_roll(self, code: str, year: int, grade: int, class_name: str, *, on: date,
                    marks: Sequence[tuple[UUID | str, Any]], recorded_by: str) -> Receipt:
        """One class, one day, every student: all marks in one transaction, or none."""
        self.prefetch([streams.school_class(code, year, grade, class_name), streams.school_year(code, year)])
        klass = self.school_class(code, year, grade, class_name)
        parsed = [
            (student_uuid(sid, f"marks[{i}].student_id"), as_value(m, attendance.Mark, f"marks[{i}]"))
            for i, (sid, m) in enumerate(marks)
        ]
        school_year = self.school_year(code, year)
        events = attendance.take_roll(school_year, klass, on, parsed, recorded_by=recorded_by, now=self.now())
        try:
            return self.record(events, unchanged=[self.judged_on(code, year, school_year)])
        except errors.JudgedOnChanged:
            raise
        except errors.ConcurrencyConflict:
            # Only first events of student-day streams were written: a mark was already there.
            raise errors.AttendanceAlreadyMarked(
                f"class {grade}-{class_name} already has marks on {on.isoformat()}; correct a mark instead",
                field="date") from None

    def correct_mark(self, student_id: UUID | str, *, on: date, mark: Any, reason: str,
                     approved_by: str | None = None, recorded_by: str) -> Receipt:
        student = self.student(student_id)
        history = self.stream(streams.attendance(student.id, on))
        if not history:
            raise errors.NoMarkToCorrect(f"student {student.id} has no mark on {on.isoformat()}", field="date")
        first = history[0]
        assert isinstance(first, attendance.AttendanceMarked)
        klass = self.school_class(first.school_code, first.year, first.grade, first.class_name)
        school_year = self.school_year(first.school_code, first.year)
        event = attendance.correct_mark(
            self.school(first.school_code), school_year, klass, history,
            student.id, on,
            as_value(mark, attendance.Mark, "mark"), reason=reason, approved_by=approved_by,
            recorded_by=recorded_by, now=self.now())
        return self.record([event], unchanged=[self.judged_on(first.school_code, first.year, school_year)])

    def _year_context(self, student_id: UUID | str, year: int) -> tuple[Student, School, SchoolYear]:
        student = self.student(student_id)
        placement = student.placements.get(year)
        if placement is None:
            raise errors.StudentNotEnrolledAtSchool(
                f"student {student.id} was in no class in school year {year}", field="year")
        return student, self.school(placement.school_code), self.school_year(placement.school_code, year)

    def _correction_context(self, student_id: UUID | str, year: int, record: Any,
                            corrects_version: int) -> tuple[School, SchoolYear, list[Event]]:
        """A correction is judged by the school that recorded the original (its seal, its principal), not
        by the school that holds the child now (ADR 0019); the record's history comes with it."""
        student, school, school_year = self._year_context(student_id, year)
        history = self.stream(record(student.id, year))
        original = history[corrects_version - 1] if 1 <= corrects_version <= len(history) else None
        while original is not None and 1 <= getattr(original, "corrects_version", 0) < original.originator_version:
            original = history[original.corrects_version - 1]  # type: ignore[attr-defined]
        code = getattr(original, "school_code", None)
        if isinstance(code, str) and code != school.code:
            school, school_year = self.school(code), self.school_year(code, year)
        return school, school_year, history

    def record_assessment(self, student_id: UUID | str, year: int, *, subject: str, viewpoints: Any,
                          rating: int | None = None, term: int | None = None, on: date,
                          recorded_by: str) -> Receipt:
        student, school, school_year = self._year_context(student_id, year)
        event = assessment.record_assessment(
            school, school_year, student, self.stream(streams.assessments(student.id, year)), year, term, subject,
            as_value(viewpoints, assessment.Viewpoints, "viewpoints"), rating, on=on, recorded_by=recorded_by,
            now=self.now())
        return self.record([event], unchanged=[self.judged_on(school.code, year, school_year)])

    def correct_assessment(self, student_id: UUID | str, year: int, *, corrects_version: int, viewpoints: Any,
                           rating: int | None = None, reason: str, approved_by: str | None = None,
                           recorded_by: str) -> Receipt:
        school, school_year, history = self._correction_context(student_id, year, streams.assessments,
                                                                corrects_version)
        event = assessment.correct_assessment(
            school, school_year, history, corrects_version,
            as_value(viewpoints, assessment.Viewpoints, "viewpoints"), rating, reason=reason,
            approved_by=approved_by, on=self.today(), recorded_by=recorded_by, now=self.now())
        return self.record([event], unchanged=[self.judged_on(school.code, year, school_year)])

    def enter_year_record(self, student_id: UUID | str, year: int, *, record: Any, on: date,
                          recorded_by: str) -> Receipt:
        student, school, school_year = self._year_context(student_id, year)
        event = assessment.enter_year_record(
            school, school_year, student, self.stream(streams.year_record(student.id, year)), year,
            as_value(record, assessment.YearRecord, "record"), on=on, recorded_by=recorded_by, now=self.now())
        return self.record([event], unchanged=[self.judged_on(school.code, year, school_year)])

    def correct_year_record(self, student_id: UUID | str, year: int, *, corrects_version: int, record: Any,
                            reason: str, approved_by: str | None = None, recorded_by: str) -> Receipt:
        school, school_year, history = self._correction_context(student_id, year, streams.year_record,
                                                                corrects_version)
        event = assessment.correct_year_record(
            school, school_year, history, corrects_version,
            as_value(record, assessment.YearRecord, "record"), reason=reason, approved_by=approved_by,
            on=self.today(), recorded_by=recorded_by, now=self.now())
        return self.record([event], unchanged=[self.judged_on(school.code, year, school_year)])

    def record_health_exam(self, student_id: UUID | str, year: int, *, examination: Any, examined_on: date,
                           recorded_by: str) -> Receipt:
        student, school, school_year = self._year_context(student_id, year)
        event = health.record_health(
            school, school_year, student, self.stream(streams.health(student.id, year)), year,
            as_value(examination, health.HealthExamination, "examination"), on=examined_on,
            recorded_by=recorded_by, now=self.now())
        return self.record([event], unchanged=[self.judged_on(school.code, year, school_year)])

    def record_dental_exam(self, student_id: UUID | str, year: int, *, examination: Any, examined_on: date,
                           recorded_by: str) -> Receipt:
        student, school, school_year = self._year_context(student_id, year)
        event = health.record_dental(
            school, school_year, student, self.stream(streams.health(student.id, year)), year,
            as_value(examination, health.DentalExamination, "examination"), on=examined_on,
            recorded_by=recorded_by, now=self.now())
        return self.record([event], unchanged=[self.judged_on(school.code, year, school_year)])

    def correct_examination(self, student_id: UUID | str, year: int, *, corrects_version: int, examination: Any,
                            dental: bool = False, reason: str, approved_by: str | None = None,
                            recorded_by: str) -> Receipt:
        school, school_year, history = self._correction_context(student_id, year, streams.health, corrects_version)
        exam: health.HealthExamination | health.DentalExamination = (
            as_value(examination, health.DentalExamination, "examination") if dental
            else as_value(examination, health.HealthExamination, "examination"))
        event = health.correct_examination(
            school, school_year, history, corrects_version, exam,
            reason=reason, approved_by=approved_by, on=self.today(), recorded_by=recorded_by, now=self.now())
        return self.record([event], unchanged=[self.judged_on(school.code, year, school_year)])

