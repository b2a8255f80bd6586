"""Attendance (出席簿): one mark per student per day, taken as a class roll.

Each student-day is its own tiny stream, so a roll of 30 students is 30 first events saved
in one transaction: the store's uniqueness refuses a second roll for the same day, and a
correction loads only the one or two events of that student-day (ADR 0003).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

import msgspec

from domain import errors, streams, values
from domain.event import Correction, Event
from domain.school import School, SchoolClass, SchoolYear
from domain.sealing import require_correction_allowed, require_open_year

# Mark codes and the column of the 出席簿 each one counts in. Inputs are plain strings judged by
# check_mark, so that a wrong code is refused by its own rule (UnknownMarkCode).
MARK_CODES: dict[str, str] = {
    "present": "出席",
    "late": "遅刻",  # present, tallied separately
    "left_early": "早退",  # present, tallied separately
    "absent_illness": "欠席(病気)",
    "absent_other": "欠席(事故)",
    "suspended": "出席停止",  # needs the authority (学校保健安全法§19, 学校教育法§35, 非常変災...)
    "mourning": "忌引",
    "deemed_present": "出席扱い",  # needs the facility (教育支援センター, フリースクール...)
    "online_special": "オンライン特例授業",  # board-defined
    "other_excused": "校長が認めた日",  # board-defined: 出席しなくてもよいと認めた日
}
# How each code counts in the 出欠 arithmetic (§2.4, §3.1): the one split of the codes above.
PRESENT = frozenset({"present", "late", "left_early", "deemed_present"})  # 出席 (出席扱い noted in 備考)
ABSENT = frozenset({"absent_illness", "absent_other"})  # 欠席 (病気, 事故)
EXCUSED = frozenset({"suspended", "mourning", "online_special", "other_excused"})  # 出席停止・忌引等
assert set(MARK_CODES) == PRESENT | ABSENT | EXCUSED, "every mark code counts in exactly one column"
AUTHORITIES = frozenset({"infection", "order", "disaster", "hospitalisation", "principal"})


class Mark(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    code: str  # one of MARK_CODES
    reason: str = ""
    authority: str | None = None  # who decided an excused day: see AUTHORITIES
    facility: str | None = None  # where a deemed-present day was spent


class AttendanceMarked(Event, frozen=True, tag="AttendanceMarked"):
    """A student's mark for ``effective_on``, taken in a class roll."""

    student_id: UUID
    school_code: str
    year: int
    grade: int
    class_name: str
    mark: Mark


class AttendanceCorrected(Correction, frozen=True, tag="AttendanceCorrected"):
    """The mark that replaces the one at ``corrects_version`` of the same student-day."""

    student_id: UUID
    mark: Mark
    # The class whose register the day belongs to (added later, so with defaults: a correction
    # recorded without them is placed by its student-day's first mark).
    school_code: str = ""
    year: int = 0
    grade: int = 0
    class_name: str = ""


def check_mark(mark: Mark, field: str) -> Mark:
    if mark.code not in MARK_CODES:
        raise errors.UnknownMarkCode(
            f"{mark.code!r} is not a mark; one of {', '.join(sorted(MARK_CODES))}", field=f"{field}.code"
        )
    if mark.code == "suspended" and mark.authority not in AUTHORITIES:
        raise errors.MarkNeedsAuthority(
            f"出席停止 needs its authority, one of {', '.join(sorted(AUTHORITIES))}", field=f"{field}.authority"
        )
    if mark.code == "deemed_present" and not (mark.facility and mark.facility.strip()):
        raise errors.MarkNeedsFacility("出席扱い needs the facility where the day was spent", field=f"{field}.facility")
    values.text(mark.reason, f"{field}.reason", max_length=200, required=False)
    return mark


def check_school_day(year: SchoolYear, klass: SchoolClass, day: date) -> None:
    """The day is an instructional day of the class's grade, the class is open, the year unsealed."""
    if year.calendar is None:
        raise errors.CalendarNotSet(f"school year {klass.year} has no calendar yet", field="date")
    require_open_year(year, klass.year)
    values.day_in_school_year(day, klass.year, "date")
    if not year.is_instructional_day(day, klass.grade):
        raise errors.NotAnInstructionalDay(
            f"{day.isoformat()} is not an instructional day (授業日) of grade {klass.grade}", field="date"
        )
    if closure := year.class_closed(day, klass.grade, klass.name):
        raise errors.ClassClosedThatDay(
            f"class {klass.grade}-{klass.name} was closed on {day.isoformat()} ({closure.reason}); "
            "its students count as excused without a roll",
            field="date",
        )


def check_on_roll(klass: SchoolClass, student_id: UUID, day: date, field: str) -> None:
    if klass.placement_on(student_id, day) is not None:
        return
    last = klass.last_placement(student_id)
    where = f"class {klass.grade}-{klass.name} on {day.isoformat()}"
    if last is not None and last.left_on is not None and last.left_on <= day:
        if last.left_because == "withdrawal":
            raise errors.StudentWithdrawn(f"student {student_id} withdrew; off the roll from {last.left_on}",
                                          field=field)
        if last.left_because == "graduation":
            raise errors.StudentGraduated(f"student {student_id} graduated; off the roll from {last.left_on}",
                                          field=field)
        if last.left_because == "leave":
            raise errors.StudentOnLeave(f"student {student_id} is on leave (休学) since {last.left_on}", field=field)
    raise errors.StudentNotInClass(f"student {student_id} is not on the roll of {where}", field=field)


def take_roll(
    year: SchoolYear,
    klass: SchoolClass,
    day: date,
    marks: Sequence[tuple[UUID, Mark]],
    *,
    recorded_by: str,
    now: datetime,
) -> list[AttendanceMarked]:
    """Decide a class roll: one mark for every student on the class's roll that day (a day that has come)."""
    check_school_day(year, klass, day)
    values.day_not_after_today(day, now, "date")
    seen: set[UUID] = set()
    for i, (student_id, mark) in enumerate(marks):
        field = f"marks[{i}]"
        if student_id in seen:
            raise errors.DuplicateStudentInRoll(f"student {student_id} appears twice in the roll", field=field)
        seen.add(student_id)
        check_on_roll(klass, student_id, day, f"{field}.student_id")
        check_mark(mark, field)
    missing = sorted(set(klass.members_on(day)) - seen, key=str)
    if missing:
        raise errors.StudentMissingFromRoll(
            f"the roll must mark every student of the class; missing: {', '.join(map(str, missing))}", field="marks"
        )
    return [
        AttendanceMarked(
            originator_id=streams.attendance(student_id, day),
            originator_version=1,
            recorded_at=now,
            recorded_by=recorded_by,
            effective_on=day,
            student_id=student_id,
            school_code=klass.school_code,
            year=klass.year,
            grade=klass.grade,
            class_name=klass.name,
            mark=mark,
        )
        for student_id, mark in marks
    ]


def correct_mark(
    school: School,
    year: SchoolYear,
    klass: SchoolClass,
    history: Sequence[Event],
    student_id: UUID,
    day: date,
    mark: Mark,
    *,
    reason: str,
    approved_by: str | None,
    recorded_by: str,
    now: datetime,
) -> AttendanceCorrected:
    """Decide a correction of one student-day's mark; it replaces the latest mark."""
    values.day_not_after_today(day, now, "date")
    if not history:
        raise errors.NoMarkToCorrect(
            f"student {student_id} has no mark on {day.isoformat()} to correct", field="date"
        )
    reason = require_correction_allowed(school, year, reason, approved_by)
    check_mark(mark, "mark")
    latest = history[-1]
    return AttendanceCorrected(
        originator_id=latest.originator_id,
        originator_version=latest.originator_version + 1,
        recorded_at=now,
        recorded_by=recorded_by,
        effective_on=day,
        corrects_version=latest.originator_version,
        reason=reason,
        approved_by=approved_by,
        student_id=student_id,
        mark=mark,
        school_code=klass.school_code,
        year=klass.year,
        grade=klass.grade,
        class_name=klass.name,
    )
