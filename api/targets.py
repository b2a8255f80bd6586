"""Resolve what a request touches into a policy Target, from the ledger's own records.

Inside a write (``api/writes.py:write`` runs the target and the command in one ``Ledger.reading``
block) the streams read here are read once for the whole request, and the streams the command
will judge by are read in the same query: the school year, and the student's record stream of the
year when the caller names it (``records``). Outside such a block the prefetching does nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from uuid import UUID

from api.policy import Seat, Target, class_key, not_found
from domain import custody, errors, streams
from domain import school_year as school_years
from domain.ledger import Ledger
from domain.school import evolve_class
from domain.student import Placement, Student

RecordStream = Callable[[UUID, int], UUID]  # a student's stream of one school year, e.g. streams.assessments


def student_target(ledger: Ledger, student_id: str, *, year: int | None = None, subject: str | None = None,
                   records: Sequence[RecordStream] = (), school_year: bool = False, day: date | None = None,
                   day_field: str | None = None) -> tuple[Target, Student]:
    """The student's school and class (of ``year``, else where they are now): a missing student is a plain 404.

    Custody decides the rest (domain/custody.py): the school that may write is the one that held the
    child on ``day`` (the day the record is about; None: the child's own record), while it holds them;
    every school that held the child reads its period, and teachers see the child through the class
    of ``year`` and, at each school the child has left, the class they left from. In a ``reading``
    block the student comes with the ``records`` streams of ``year`` in one query, and the school and
    class with the school year (``school_year``) in a second one; from the second request about the
    same child on, with the streams that request read after the student, all in the first query (the
    second then reads only what the child's record now names that was not read yet).
    """
    try:
        sid = UUID(student_id)
    except ValueError:
        raise not_found("student") from None
    ledger.prefetch([sid, *(record(sid, year) for record in records if year is not None), *ledger.read_together(sid)])
    try:
        student = ledger.student(sid)
    except (ValueError, errors.UnknownStudent):
        raise not_found("student") from None
    periods = custody.periods(student)
    holder = custody.holder(periods)
    last = student.enrollments[-1].school_code
    if year is None and student.placements and student.placements[max(student.placements)].school_code == last:
        year = max(student.placements)
    placement = student.placements.get(year) if year is not None else None
    school_code = placement.school_code if placement else last
    places = [(year, placement)] if placement is not None and year is not None else []
    for school in custody.schools(periods):  # the class the child left each school from
        left = [p for p in student.classes if p.school_code == school]
        if school != holder and left and left[-1] is not placement:
            places.append((year_of(student, left[-1]), left[-1]))
    class_streams = [streams.school_class(p.school_code, y, p.grade, p.class_name) for y, p in places]
    held = custody.schools(periods)
    then = [*(streams.school(code) for code in dict.fromkeys([school_code, *held])), *class_streams,
            *([streams.school_year(school_code, year)] if school_year and year is not None else [])]
    ledger.read_together.remember(sid, then)  # read with the student next time: one query (ADR 0040)
    ledger.prefetch(then)
    seats = []
    for (y, p), stream in zip(places, class_streams, strict=True):
        klass = ledger._fold(stream, evolve_class)
        seats.append(Seat(p.school_code, class_key(y, p.grade, p.class_name),
                          klass.homeroom_teacher_id if klass else None))
    writer = custody.writer(periods, day)
    return Target(school=writer, board=ledger.school(school_code).board_code,
                  class_key=seats[0].class_key if seats and placement is not None else None,
                  homeroom=seats[0].homeroom if seats and placement is not None else None, subject=subject,
                  kind="student", held_by=tuple((code, ledger.school(code).board_code) for code in held),
                  seats=tuple(seats), day=day.isoformat() if day else None, day_field=day_field), student


def year_of(student: Student, placement: Placement) -> int:
    """The school year of a placement (the latest year it is the placement of; else the year of its first day)."""
    years = [y for y, p in student.placements.items() if p is placement]
    if years:
        return years[-1]
    return school_years.year_of(placement.since)


def school_target(ledger: Ledger, code: str, *, board: str | None = None, year: int | None = None) -> Target:
    """A school; one not yet registered is seen through the board named in the request. In a
    ``reading`` block the school year ``year`` (what its calendar and seal are judged by) comes with it."""
    ledger.prefetch([streams.school(code), *([streams.school_year(code, year)] if year is not None else [])])
    try:
        school = ledger.school(code)
        board = school.board_code
    except errors.UnknownSchool:
        if board is None:
            raise not_found("school") from None
    return Target(school=code, board=board, kind="school")


def class_target(ledger: Ledger, code: str, year: int, grade: int, name: str) -> Target:
    """A class; one of a school that is not registered is as missing as any other (the same 404).
    In a ``reading`` block the school, the school year and the class are read in one query."""
    ledger.prefetch([streams.school(code), streams.school_year(code, year),
                     streams.school_class(code, year, grade, name)])
    try:
        board = ledger.school(code).board_code
    except errors.UnknownSchool:
        raise not_found("class") from None
    klass = ledger.find_class(code, year, grade, name)
    return Target(school=code, board=board, class_key=class_key(year, grade, name),
                  homeroom=klass.homeroom_teacher_id if klass else None, kind="class")


def board_target(ledger: Ledger, code: str, schools: Sequence[str | None]) -> Target:
    """A board's own record (its settings): seen by the board, and by the staff of its schools among
    ``schools`` (the schools of the caller's grants; each is read, none is looked for)."""
    mine = []
    for school in dict.fromkeys(s for s in schools if s):
        found = ledger.find_school(school)
        if found is not None and found.board_code == code:
            mine.append(school)
    return Target(board=code, board_schools=frozenset(mine), kind="board")
