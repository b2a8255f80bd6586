"""Everything a student's forms are composed from, read today or as known at a past point.

The 指導要録, the report card, the health cards and the long-absence figures are all composed from
the same few documents: the enrollment record, the schools and classes the child was in, those
schools' calendars, and the child's per-year assessments, year records, marks and examinations.
Today's read models answer when there is no cutoff; otherwise the same documents are replayed
from the child's own streams and those of their schools and classes (two indexed queries).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict, TypeVar
from uuid import UUID

from domain import school_year as school_years
from domain import streams
from projections.attendance_index import MonthCodes, child_codes, codes_key
from projections.attendance_register import Calendar, calendar_key
from projections.base import Cutoff
from projections.board_settings import BoardDocument, board_key
from projections.enrollment_record import (
    ClassRecord,
    Placement,
    SchoolRecord,
    StudentRecord,
    class_key,
    school_key,
    student_key,
)
from projections.guidance_record import Assessments, YearRecordDocument, assessments_key, year_record_key
from projections.health_records import HealthYear
from projections.roster import RosterClass
from projections.runner import Runner

K = TypeVar("K")
V = TypeVar("V")


class ChildMarks(TypedDict):
    """A child's mark codes of a school year by ISO day, and the facility of each deemed-present day."""

    codes: dict[str, str]
    facilities: dict[str, str]


def place(code: str, year: int, grade: int, class_name: str) -> str:
    return f"{code}/{year}/{grade}/{class_name}"


@dataclass
class StudentFile:
    student: StudentRecord
    schools: dict[str, SchoolRecord] = field(default_factory=dict)  # by school code
    homerooms: dict[str, ClassRecord] = field(default_factory=dict)  # by place()
    rolls: dict[str, RosterClass] = field(default_factory=dict)  # roster class documents, by place()
    calendars: dict[str, Calendar] = field(default_factory=dict)  # by "code/year"
    assessments: dict[int, Assessments] = field(default_factory=dict)  # by school year
    year_records: dict[int, YearRecordDocument] = field(default_factory=dict)
    # The child's mark codes and deemed-present facilities by day, per school year, from the
    # class-months of projections/attendance_index.py.
    attendance: dict[int, ChildMarks] = field(default_factory=dict)
    health: dict[int, HealthYear] = field(default_factory=dict)
    # The settings of the boards of the child's schools, by board code: read only for a child who was
    # on 休学 (how its days count is a board's setting, ADR 0028).
    boards: dict[str, BoardDocument] = field(default_factory=dict)
    # The last day (ISO) whose school days are counted: days after it have not yet come (ADR 0024).
    through: str = "9999-12-31"

    @property
    def student_id(self) -> str:
        return str(self.student["student_id"])

    def years(self) -> list[int]:
        return sorted({p["year"] for p in self.student["placements"]})

    def school(self, code: str) -> Mapping[str, Any]:
        """A school's document; empty for a school the file has none of (one outside the ledger)."""
        return self.schools.get(code) or {}

    def homeroom(self, place: str) -> Mapping[str, Any]:
        """A class's homeroom teachers' document, by place(); empty when the file has none."""
        return self.homerooms.get(place) or {}

    def places(self, year: int | None = None) -> list[Placement]:
        """The classes the child was placed in (of one year), each once, in the order placed."""
        seen: dict[str, Placement] = {}
        for p in self.student["placements"]:
            if year is None or p["year"] == year:
                seen.setdefault(place(p["school_code"], p["year"], p["grade"], p["class_name"]), p)
        return list(seen.values())


def read(runner: Runner, wanted: dict[str, list[str]], cutoff: Cutoff) -> dict[str, dict[str, Any]]:
    """Documents of several projections (each of its projection's TypedDicts, by its key): today's
    read models, or replayed as of the cutoff; either way in their stored form (ADR 0020)."""
    if cutoff.today:
        return runner.store.get_all(wanted)
    return runner.replay_documents(wanted, cutoff)


def student_file(runner: Runner, student_id: UUID | str, cutoff: Cutoff, *, health: bool = False) -> StudentFile | None:
    """The child's documents; None when the register had no such child at the cutoff.

    The roster and the enrollment record name a class by the same key (its class stream id).
    """
    student = read(runner, {"enrollment_record": [student_key(student_id)]}, cutoff)["enrollment_record"]
    if not student:
        return None
    file = StudentFile(next(iter(student.values())))
    places = file.places()
    codes = sorted({p["school_code"] for p in places} | {e["school_code"] for e in file.student["enrollments"]})
    years = file.years()
    wanted: dict[str, list[str]] = {
        "enrollment_record": [school_key(c) for c in codes]
        + [class_key(p["school_code"], p["year"], p["grade"], p["class_name"]) for p in places],
        "roster": [class_key(p["school_code"], p["year"], p["grade"], p["class_name"]) for p in places],
        "attendance_register": sorted({calendar_key(p["school_code"], p["year"]) for p in places}),
        "guidance_record": [assessments_key(file.student_id, y) for y in years]
        + [year_record_key(file.student_id, y) for y in years],
    }
    months = {(p["school_code"], p["year"], p["grade"], p["class_name"], m): codes_key(
        p["school_code"], p["year"], p["grade"], p["class_name"], first) for p in places
        for m, first in enumerate(school_years.month_firsts(p["year"]))}
    wanted["attendance_index"] = list(months.values())
    if health:
        wanted["health_records"] = [health_key(file.student_id, y) for y in years]
    if cutoff.today:
        docs = read(runner, wanted, cutoff)
    else:
        # The class-month codes are replayed from this child's own student-day streams of the
        # month's instructional days (named by the calendars): they then hold this child's marks only.
        index = wanted.pop("attendance_index")
        docs = runner.replay_documents(wanted, cutoff)
        sid = UUID(file.student_id)
        known: dict[tuple[str, str], list[Any]] = {}
        for (code, year, _, _, _), key in months.items():
            calendar = docs["attendance_register"].get(calendar_key(code, year), {"instructional_days": []})
            known[("attendance_index", key)] = streams.attendance_days(
                sid, [d for d in calendar["instructional_days"] if d[:7] == key[-7:]])
        docs["attendance_index"] = runner.replay_documents({"attendance_index": index}, cutoff,
                                                           known)["attendance_index"]
    enrollment, guidance = docs["enrollment_record"], docs["guidance_record"]
    for code in codes:
        if (doc := enrollment.get(school_key(code))) is not None:
            file.schools[code] = doc
    for p in places:
        key, ck = place(p["school_code"], p["year"], p["grade"], p["class_name"]), class_key(
            p["school_code"], p["year"], p["grade"], p["class_name"])
        _put(file.homerooms, key, enrollment.get(ck))
        _put(file.rolls, key, docs["roster"].get(ck))
        _put(file.calendars, f"{p['school_code']}/{p['year']}",
             docs["attendance_register"].get(calendar_key(p["school_code"], p["year"])))
    for y in years:
        _put(file.assessments, y, guidance.get(assessments_key(file.student_id, y)))
        _put(file.year_records, y, guidance.get(year_record_key(file.student_id, y)))
        _put(file.attendance, y, _marks(file.student_id, y, months, docs["attendance_index"]))
        if health:
            _put(file.health, y, docs["health_records"].get(health_key(file.student_id, y)))
    if file.student["leaves"]:  # the boards of the schools, named by the school documents just read
        keys = sorted({board_key(s["board_code"]) for s in file.schools.values()})
        for doc in read(runner, {"board_settings": keys}, cutoff)["board_settings"].values():
            file.boards[doc["board_code"]] = doc
    return file


def _marks(sid: str, year: int, months: dict[tuple[str, int, int, str, int], str],
           index: dict[str, MonthCodes]) -> ChildMarks | None:
    """The child's mark codes of a school year, gathered from the class-months of the classes they
    were in (a child who moved has marks at two schools), in the order they were placed."""
    codes, facilities = child_codes((index.get(key) for (_, y, _, _, _), key in months.items() if y == year), sid)
    return {"codes": codes, "facilities": facilities} if codes else None


def health_key(student_id: str, year: int) -> str:
    return f"health/{streams.health(UUID(student_id), year)}"


def _put(into: dict[K, V], key: K, doc: V | None) -> None:
    if doc is not None:
        into[key] = doc
