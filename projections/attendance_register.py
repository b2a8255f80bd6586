"""The 出席簿's read model: each class-month's marks and each school year's calendar.

Documents: ``marks/<school>/<year>/<grade>/<class>/<YYYY-MM>`` (every student's current mark per
day, with the trail of corrections) and ``calendar/<school>/<year>`` (instructional days,
closures, terms). The 出席簿 is composed from them when read (projections/forms/attendance_register.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import NotRequired, TypedDict
from uuid import UUID

from domain import streams
from domain.attendance import AttendanceCorrected, AttendanceMarked
from domain.event import Event
from domain.school import SchoolCalendarSet
from projections.attendance_index import class_month
from projections.base import day_text, id_text, uuid_text


class MarkCorrection(TypedDict):
    """What a correction of a day's mark replaced, who corrected it, when, why, who approved."""

    code: str | None
    reason: str
    corrected_by: str
    corrected_at: str
    why: str
    approved_by: str | None


class MarkEntry(TypedDict):
    """A student-day's current mark, the event that set it, and the trail of corrections."""

    code: str
    reason: str
    authority: NotRequired[str]
    facility: NotRequired[str]
    recorded_by: str
    stream_id: str
    version: int
    trail: NotRequired[list[MarkCorrection]]


class MonthMarks(TypedDict):
    """``marks/<school>/<year>/<grade>/<class>/<YYYY-MM>``: every student's mark by ISO day."""

    marks: dict[str, dict[str, MarkEntry]]


class ClosureDay(TypedDict):
    on: str
    scope: str
    grade: int | None
    class_name: str | None
    reason: str


class TermDays(TypedDict):
    number: int
    starts_on: str
    ends_on: str


class Calendar(TypedDict):
    """``calendar/<school>/<year>``."""

    instructional_days: list[str]
    closures: list[ClosureDay]
    terms: list[TermDays]


RegisterDocument = MonthMarks | Calendar

def month_key(school: str, year: int, grade: int, class_name: str, day: date) -> str:
    return f"marks/{school}/{year}/{grade}/{class_name}/{day.isoformat()[:7]}"


def calendar_key(school: str, year: int) -> str:
    return f"calendar/{school}/{year}"


class AttendanceRegister:
    name: str = "attendance_register"
    version: int = 1  # raise it when what the documents hold changes (Runner.upgrade)
    topics: tuple[str, ...] = ("AttendanceMarked", "AttendanceCorrected", "SchoolCalendarSet")

    def keys(self, event: Event) -> Iterable[str]:
        if isinstance(event, _MARKS):  # the most of the log: tested first; month_key
            return ("marks/" + class_month(event),)
        if isinstance(event, SchoolCalendarSet):
            return (calendar_key(event.school_code, event.year),)
        return ()

    def sources(self, key: str) -> list[UUID] | None:
        """A calendar lives in its school-year stream; a month's marks in many student-day streams."""
        if key.startswith("calendar/"):
            _, school, year = key.split("/")
            return [streams.school_year(school, int(year))]
        return None

    def apply(self, document: RegisterDocument | None, event: Event) -> RegisterDocument:
        if isinstance(event, _MARKS):
            doc: MonthMarks = document or {"marks": {}}  # type: ignore[assignment]  # updated in place (base.py)
            by_student, sid = doc["marks"], id_text(event.student_id)
            student = by_student.get(sid)
            if student is None:
                student = by_student[sid] = {}
            day = day_text(event.effective_on)
            student[day] = mark_entry(student.get(day), event)
            return doc
        if isinstance(event, SchoolCalendarSet):
            return {"instructional_days": [d.isoformat() for d in event.instructional_days],
                    "closures": [{"on": c.on.isoformat(), "scope": c.scope, "grade": c.grade,
                                  "class_name": c.class_name, "reason": c.reason} for c in event.closures],
                    "terms": [{"number": t.number, "starts_on": t.starts_on.isoformat(),
                               "ends_on": t.ends_on.isoformat()} for t in event.terms]}
        raise ValueError(f"the register does not read {type(event).__name__}")


_MARKS = (AttendanceMarked, AttendanceCorrected)


def mark_entry(before: MarkEntry | None, event: AttendanceMarked | AttendanceCorrected) -> MarkEntry:
    """A student-day's mark after the event; a correction keeps what it replaced in the trail."""
    mark = event.mark
    entry: MarkEntry = {"code": mark.code, "reason": mark.reason, "recorded_by": event.recorded_by,
                        "stream_id": uuid_text(event.originator_id), "version": event.originator_version}
    if mark.authority:
        entry["authority"] = mark.authority
    if mark.facility:
        entry["facility"] = mark.facility
    if isinstance(event, AttendanceCorrected):
        entry["trail"] = [*(before.get("trail", []) if before else []), {
            "code": before["code"] if before else None, "reason": before["reason"] if before else "",
            "corrected_by": event.recorded_by, "corrected_at": event.recorded_at.isoformat(),
            "why": event.reason, "approved_by": event.approved_by}]
    return entry
