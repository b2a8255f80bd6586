"""Resolve what a request touches into a policy Target, from the ledger's own records.

Inside a write (``api/writes.py:write`` runs the target and the command in one ``Ledger.reading``
block) the streams read here are read once for the whole request, and the streams the command
will judge by are read in the same query: the school year, and the student's record stream of the
year when the caller names it (``records``). Outside such a block the prefetching does nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from uuid import UUID

from api.policy import Target, class_key, not_found
from domain import errors, streams
from domain.ledger import Ledger
from domain.school import evolve_class
from domain.student import Student

RecordStream = Callable[[UUID, int], UUID]  # a student's stream of one school year, e.g. streams.assessments


def student_target(ledger: Ledger, student_id: str, *, year: int | None = None, subject: str | None = None,
                   records: Sequence[RecordStream] = (), school_year: bool = False) -> tuple[Target, Student]:
    """The student's school and class (of ``year``, else where they are now): a missing student is a plain 404.

    Schools that held the child before are named too: they keep reading their own period. In a
    ``reading`` block the student comes with the ``records`` streams of ``year`` in one query, and
    the school and class with the school year (``school_year``) in a second one.
    """
    try:
        sid = UUID(student_id)
    except ValueError:
        raise not_found("student") from None
    ledger.prefetch([sid, *(record(sid, year) for record in records if year is not None)])
    try:
        student = ledger.student(sid)
    except (ValueError, errors.UnknownStudent):
        raise not_found("student") from None
    last = student.enrollments[-1].school_code
    # The school that holds the child's record and may write to it: the last one, unless the child was
    # handed over out of this ledger (then none here: every school that held them only reads its period).
    # A graduate or a child who withdrew stays with the last school (corrections, the seal).
    holder = None if student.status == "left" else last
    if year is None and student.placements and student.placements[max(student.placements)].school_code == last:
        year = max(student.placements)
    placement = student.placements.get(year) if year is not None else None
    school_code = placement.school_code if placement else last
    klass_stream = streams.school_class(school_code, year, placement.grade, placement.class_name) \
        if placement is not None and year is not None else None
    ledger.prefetch([streams.school(school_code), *([klass_stream] if klass_stream else []),
                     *([streams.school_year(school_code, year)] if school_year and year is not None else [])])
    school = ledger.school(school_code)
    key = homeroom = None
    if placement is not None and klass_stream is not None:
        assert year is not None
        key = class_key(year, placement.grade, placement.class_name)
        klass = ledger._fold(klass_stream, evolve_class)
        homeroom = klass.homeroom_teacher_id if klass else None
    # A year spent at a school that no longer holds the child (a transfer, an advancement, a move out
    # of the ledger) is that school's original, read-only (PRODUCT.md §3.4): no school writes to it.
    writable = school_code == holder
    past = frozenset(e.school_code for e in student.enrollments) - ({school_code} if writable else frozenset())
    return Target(school=school_code if writable else None, board=school.board_code, class_key=key,
                  homeroom=homeroom, subject=subject, kind="student", past_schools=past), student


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
