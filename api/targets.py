"""Resolve what a request touches into a policy Target, from the ledger's own records."""

from __future__ import annotations

from uuid import UUID

from api.policy import Target, class_key, not_found
from domain import errors, streams
from domain.ledger import Ledger
from domain.school import evolve_class
from domain.student import Student


def student_target(ledger: Ledger, student_id: str, *, year: int | None = None,
                   subject: str | None = None) -> tuple[Target, Student]:
    """The student's school and class (of ``year``, else where they are now): a missing student is a plain 404.

    Schools that held the child before are named too: they keep reading their own period.
    """
    try:
        student = ledger.student(UUID(student_id))
    except (ValueError, errors.UnknownStudent):
        raise not_found("student") from None
    custodian = student.custodian or student.enrollments[-1].school_code  # the last school, once they left
    if year is None and student.placements and student.placements[max(student.placements)].school_code == custodian:
        year = max(student.placements)
    placement = student.placements.get(year) if year is not None else None
    school_code = placement.school_code if placement else custodian
    school = ledger.school(school_code)
    key = homeroom = None
    if placement is not None:
        assert year is not None
        key = class_key(year, placement.grade, placement.class_name)
        klass = ledger._fold(streams.school_class(school_code, year, placement.grade, placement.class_name),
                             evolve_class)
        homeroom = klass.homeroom_teacher_id if klass else None
    past = frozenset(e.school_code for e in student.enrollments) - {school_code}
    return Target(school=school_code, board=school.board_code, class_key=key, homeroom=homeroom, subject=subject,
                  kind="student", past_schools=past), student


def school_target(ledger: Ledger, code: str, *, board: str | None = None) -> Target:
    """A school; one not yet registered is seen through the board named in the request."""
    try:
        school = ledger.school(code)
        board = school.board_code
    except errors.UnknownSchool:
        if board is None:
            raise not_found("school") from None
    return Target(school=code, board=board, kind="school")


def class_target(ledger: Ledger, code: str, year: int, grade: int, name: str) -> Target:
    """A class; one of a school that is not registered is as missing as any other (the same 404)."""
    try:
        board = ledger.school(code).board_code
    except errors.UnknownSchool:
        raise not_found("class") from None
    klass = ledger.find_class(code, year, grade, name)
    return Target(school=code, board=board, class_key=class_key(year, grade, name),
                  homeroom=klass.homeroom_teacher_id if klass else None, kind="class")
