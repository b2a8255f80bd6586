"""出席簿: the attendance register of a class, per month, with month, term and year totals.

Documents: ``marks/<school>/<year>/<grade>/<class>/<YYYY-MM>`` (every student's current mark per
day, with the trail of corrections) and ``calendar/<school>/<year>`` (instructional days,
closures, terms). The register is composed when read, with the roster's days on the roll, by the
pure arithmetic of projections/attendance_arithmetic.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID

from domain import streams
from domain.attendance import AttendanceCorrected, AttendanceMarked
from domain.event import Event
from domain.school import SchoolCalendarSet
from projections.attendance_arithmetic import tally
from projections.base import Document

DEFAULT_EXCUSED_LABEL = "出席停止・忌引等の日数"


def month_key(school: str, year: int, grade: int, class_name: str, day: date) -> str:
    return f"marks/{school}/{year}/{grade}/{class_name}/{day.isoformat()[:7]}"


def calendar_key(school: str, year: int) -> str:
    return f"calendar/{school}/{year}"


class AttendanceRegister:
    name: str = "attendance_register"
    topics: tuple[str, ...] = ("AttendanceMarked", "AttendanceCorrected", "SchoolCalendarSet")

    def keys(self, event: Event) -> Iterable[str]:
        match event:
            case AttendanceMarked() | AttendanceCorrected():
                return (month_key(event.school_code, event.year, event.grade, event.class_name, event.effective_on),)
            case SchoolCalendarSet():
                return (calendar_key(event.school_code, event.year),)
        return ()

    def sources(self, key: str) -> list[UUID] | None:
        """A calendar lives in its school-year stream; a month's marks in many student-day streams."""
        if key.startswith("calendar/"):
            _, school, year = key.split("/")
            return [streams.school_year(school, int(year))]
        return None

    def apply(self, document: Document | None, event: Event) -> Document:
        match event:
            case SchoolCalendarSet():
                return {"instructional_days": [d.isoformat() for d in event.instructional_days],
                        "closures": [{"on": c.on.isoformat(), "scope": c.scope, "grade": c.grade,
                                      "class_name": c.class_name, "reason": c.reason} for c in event.closures],
                        "terms": [{"number": t.number, "starts_on": t.starts_on.isoformat(),
                                   "ends_on": t.ends_on.isoformat()} for t in event.terms]}
            case AttendanceMarked() | AttendanceCorrected():
                doc = document or {"marks": {}}  # updated in place (projections/base.py)
                student = doc["marks"].setdefault(str(event.student_id), {})
                day = event.effective_on.isoformat()
                student[day] = mark_entry(student.get(day), event)
                return doc
        raise ValueError(f"the register does not read {type(event).__name__}")


def mark_entry(before: Document | None, event: AttendanceMarked | AttendanceCorrected) -> Document:
    """A student-day's mark after the event; a correction keeps what it replaced in the trail."""
    entry = {**_mark(event.mark), "recorded_by": event.recorded_by, "stream_id": str(event.originator_id),
             "version": event.originator_version}
    if isinstance(event, AttendanceCorrected):
        before = before or {}
        entry["trail"] = [*before.get("trail", []), {
            "code": before.get("code"), "reason": before.get("reason", ""),
            "corrected_by": event.recorded_by, "corrected_at": event.recorded_at.isoformat(),
            "why": event.reason, "approved_by": event.approved_by}]
    return entry


def _mark(mark: Any) -> dict[str, Any]:
    out = {"code": mark.code, "reason": mark.reason}
    if mark.authority:
        out["authority"] = mark.authority
    if mark.facility:
        out["facility"] = mark.facility
    return out


def _grade_days(calendar: Document, grade: int) -> list[str]:
    off = {c["on"] for c in calendar["closures"]
           if c["scope"] == "school" or (c["scope"] == "grade" and c["grade"] == grade)}
    return [d for d in calendar["instructional_days"] if d not in off]


def _on_roll(periods: list[dict[str, Any]], day: str) -> bool:
    return any(p["joined_on"] <= day < p.get("left_on", "9999") for p in periods)


def compose(roster_class: Document, roster_students: dict[str, Document], calendar: Document,
            months: dict[str, Document], month: str, *, excused_label: str = DEFAULT_EXCUSED_LABEL) -> Document:
    """The register of one class for ``month`` (YYYY-MM), with term and year totals per student.

    ``months`` holds the class's marks documents by YYYY-MM (missing months have no marks).
    """
    grade, class_name = roster_class["grade"], roster_class["class_name"]
    days = _grade_days(calendar, grade)
    closed = {c["on"] for c in calendar["closures"]
              if c["scope"] == "class" and c["grade"] == grade and c["class_name"] == class_name}
    month_days = [d for d in days if d.startswith(month)]
    terms = calendar["terms"]
    students = []
    for sid, periods in roster_class["placements"].items():
        on_roll = [d for d in days if _on_roll(periods, d)]
        marks = {d: m for doc in months.values() for d, m in doc["marks"].get(sid, {}).items()}
        rolled = set(on_roll)
        codes = {d: m["code"] for d, m in marks.items() if d in rolled}

        def figures(first: str, last: str, on_roll: list[str] = on_roll, codes: dict[str, str] = codes) -> dict[
                str, int]:
            """The tally over the days from ``first`` to ``last`` (ISO dates, inclusive)."""
            return tally([d for d in on_roll if first <= d <= last], codes,
                         [d for d in closed if first <= d <= last]).as_dict()

        in_month = [d for d in month_days if _on_roll(periods, d)]
        if not in_month and not any(d.startswith(month) for d in marks):
            continue
        students.append({
            "student_id": sid,
            "number": periods[-1]["number"],
            **{k: v for k, v in roster_students.get(f"student/{sid}", {}).items() if k in ("name", "name_kana")},
            "days": {d: ("closed" if d in closed else marks.get(d)) for d in in_month},
            "month": figures(f"{month}-01", f"{month}-31"),
            "terms": {str(t["number"]): figures(t["starts_on"], t["ends_on"]) for t in terms},
            "year": figures("0000-00-00", "9999-99-99"),
            "deemed_present_at": sorted({m["facility"] for m in marks.values() if m.get("facility")}),
        })
    students.sort(key=lambda s: (s["number"], s["student_id"]))
    return {
        "school_code": roster_class["school_code"], "year": roster_class["year"], "grade": grade,
        "class_name": class_name, "month": month, "homeroom_teacher": roster_class["homeroom_teacher"],
        "instructional_days": month_days, "class_closures": sorted(d for d in closed if d.startswith(month)),
        "labels": {"excused": excused_label},
        "students": students,
    }
