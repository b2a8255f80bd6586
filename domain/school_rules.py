"""Decisions about schools, their calendars, year seals and classes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from domain import errors, streams, values
from domain.event import Event, stamp
from domain.school import (
    ClassFormed,
    Closure,
    Member,
    PrincipalAppointed,
    School,
    SchoolCalendarSet,
    SchoolClass,
    SchoolDetailsChanged,
    SchoolRegistered,
    SchoolYear,
    Term,
    YearSealed,
)
from domain.sealing import require_open_year
from domain.student import Student, StudentPlacedInClass


def register_school(state: School | None, code: str, name: str, board_code: str, address: str, *,
                    on: date, recorded_by: str, now: datetime) -> list[Event]:
    """PUT semantics: the first call registers, a later one records what changed (nothing: no event)."""
    code = values.school_code(code)
    kind = values.school_kind_of(code)
    name = values.text(name, "name", max_length=100)
    board_code = values.board_code(board_code)
    address = values.text(address, "address", max_length=200, required=False)
    meta = stamp(now, recorded_by, on)
    if state is None:
        return [SchoolRegistered(originator_id=streams.school(code), originator_version=1, **meta,
                                 school_code=code, name=name, kind=kind, board_code=board_code, address=address)]
    if (state.name, state.board_code, state.address) == (name, board_code, address):
        return []  # the same PUT again changes nothing
    return [SchoolDetailsChanged(originator_id=streams.school(code), originator_version=state.version + 1, **meta,
                                 name=name, board_code=board_code, address=address)]


def appoint_principal(state: School, staff_id: str, name: str, *, on: date, recorded_by: str,
                      now: datetime) -> list[Event]:
    """PUT semantics: the principal appointed; the same appointment again records nothing."""
    staff_id, name = values.text(staff_id, "staff_id", max_length=64), values.text(name, "name", max_length=100)
    if (state.principal_id, state.principal_name, state.principal_since) == (staff_id, name, on):
        return []
    return [PrincipalAppointed(
        originator_id=streams.school(state.code), originator_version=state.version + 1,
        recorded_at=now, recorded_by=recorded_by, effective_on=on, staff_id=staff_id, name=name,
    )]


def set_calendar(school: School, year: SchoolYear, school_year: int, terms: Sequence[Term],
                 days: Sequence[date], closures: Sequence[Closure], *, on: date, recorded_by: str,
                 now: datetime) -> list[Event]:
    """PUT semantics: the whole calendar; the calendar exactly as it stands records nothing."""
    values.school_year(school_year)
    require_open_year(year, school_year)
    if len(terms) not in (2, 3):
        raise errors.InvalidTermStructure(f"a school year has 2 or 3 terms, not {len(terms)}", field="terms")
    for i, t in enumerate(terms):
        f = f"terms[{i}]"
        if t.number != i + 1:
            raise errors.InvalidTermStructure(f"terms are numbered 1, 2, 3 in order; got {t.number}", field=f)
        values.day_in_school_year(t.starts_on, school_year, f"{f}.starts_on")
        values.day_in_school_year(t.ends_on, school_year, f"{f}.ends_on")
        if t.ends_on < t.starts_on or (i and t.starts_on <= terms[i - 1].ends_on):
            raise errors.InvalidTermStructure(f"term {t.number} must follow the previous and end after it starts",
                                              field=f)
    if not days:
        raise errors.InvalidTermStructure("a calendar lists its instructional days (授業日)",
                                          field="instructional_days")
    for i, d in enumerate(days):
        values.day_in_school_year(d, school_year, f"instructional_days[{i}]")
    grades = values.GRADES[school.kind]
    for i, c in enumerate(closures):
        f = f"closures[{i}]"
        values.day_in_school_year(c.on, school_year, f"{f}.on")
        values.text(c.reason, f"{f}.reason", max_length=200)
        if c.scope not in ("school", "grade", "class"):
            raise errors.InvalidClosure(f"a closure's scope is school, grade or class, not {c.scope!r}",
                                        field=f"{f}.scope")
        if c.scope == "school" and (c.grade is not None or c.class_name is not None):
            raise errors.InvalidClosure("a school closure names no grade or class", field=f)
        if c.scope in ("grade", "class") and c.grade not in grades:
            raise errors.InvalidClosure(f"a {c.scope} closure names a grade of this school", field=f"{f}.grade")
        if c.scope == "grade" and c.class_name is not None:
            raise errors.InvalidClosure("a grade closure names no class", field=f"{f}.class_name")
        if c.scope == "class" and not c.class_name:
            raise errors.InvalidClosure("a class closure names its class", field=f"{f}.class_name")
    calendar = year.calendar
    if calendar is not None and (calendar.terms, calendar.instructional_days, calendar.closures) == (
            tuple(terms), tuple(sorted(set(days))), tuple(closures)):
        return []
    return [SchoolCalendarSet(
        originator_id=streams.school_year(school.code, school_year), originator_version=year.version + 1,
        recorded_at=now, recorded_by=recorded_by, effective_on=on,
        school_code=school.code, year=school_year, terms=tuple(terms),
        instructional_days=tuple(sorted(set(days))), closures=tuple(closures),
    )]


def seal_year(school: School, year: SchoolYear, school_year: int, *, on: date, recorded_by: str,
              now: datetime) -> YearSealed:
    if year.sealed_on is not None:
        raise errors.YearAlreadySealed(f"school year {school_year} was sealed on {year.sealed_on}", field="year")
    if year.calendar is None:
        raise errors.CalendarNotSet(f"school year {school_year} has no calendar to seal", field="year")
    return YearSealed(
        originator_id=streams.school_year(school.code, school_year), originator_version=year.version + 1,
        recorded_at=now, recorded_by=recorded_by, effective_on=on, school_code=school.code, year=school_year,
    )


def form_class(school: School, year: SchoolYear, existing: SchoolClass | None, school_year: int, grade: int,
               name: str, teacher_id: str, teacher_name: str, members: Sequence[tuple[Student, int]], *,
               on: date, recorded_by: str, now: datetime) -> list[Event]:
    """A class with its homeroom teacher and (for a new year) the students placed in it.

    PUT semantics: the class exactly as it was formed (same teacher, day and members) records nothing;
    a formed class is not formed again otherwise."""
    values.school_year(school_year)
    values.grade(grade, school.kind)
    name = values.class_name(name)
    if existing is not None:
        teacher = (values.text(teacher_id, "homeroom_teacher_id", max_length=64),
                   values.text(teacher_name, "homeroom_teacher_name", max_length=100))
        if (teacher, on, tuple((s.id, n) for s, n in members)) == (
                (existing.homeroom_teacher_id, existing.homeroom_teacher_name), existing.formed_on,
                existing.formed_with):
            return []
        raise errors.ClassAlreadyFormed(f"class {grade}-{name} of {school_year} is already formed", field="name")
    require_open_year(year, school_year)
    values.day_in_school_year(on, school_year, "on")
    numbers: set[int] = set()
    placed: list[Event] = []
    for i, (student, number) in enumerate(members):
        f = f"students[{i}]"
        values.attendance_number(number, f"{f}.number")
        if number in numbers:
            raise errors.DuplicateAttendanceNumber(f"出席番号 {number} is given twice", field=f"{f}.number")
        numbers.add(number)
        if student.custodian != school.code or student.status != "enrolled":
            raise errors.StudentNotEnrolledAtSchool(
                f"student {student.id} is not enrolled at {school.code}", field=f"{f}.student_id")
        if school_year in student.placements:
            p = student.placements[school_year]
            raise errors.StudentAlreadyInAClass(
                f"student {student.id} is already in class {p.grade}-{p.class_name} for {school_year}",
                field=f"{f}.student_id")
        placed.append(StudentPlacedInClass(
            originator_id=student.id, originator_version=student.version + 1,
            recorded_at=now, recorded_by=recorded_by, effective_on=on,
            school_code=school.code, year=school_year, grade=grade, class_name=name, number=number,
        ))
    formed = ClassFormed(
        originator_id=streams.school_class(school.code, school_year, grade, name), originator_version=1,
        recorded_at=now, recorded_by=recorded_by, effective_on=on,
        school_code=school.code, year=school_year, grade=grade, class_name=name,
        homeroom_teacher_id=values.text(teacher_id, "homeroom_teacher_id", max_length=64),
        homeroom_teacher_name=values.text(teacher_name, "homeroom_teacher_name", max_length=100),
        members=tuple(Member(s.id, n) for s, n in members),
    )
    return [formed, *placed]
