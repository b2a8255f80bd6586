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
    """The student's school and class (of ``year``, else the latest): a missing student is a plain 404."""
    try:
        student = ledger.student(UUID(student_id))
    except (ValueError, errors.UnknownStudent):
        raise not_found("student") from None
    placement = student.placements.get(year) if year is not None else (
        student.placements[max(student.placements)] if student.placements else None)
    school_code = placement.school_code if placement else student.custodian
    if school_code is None:
        school_code = student.enrollments[-1].school_code
    school = ledger.school(school_code)
    key = homeroom = None
    if placement is not None:
        y = year if year is not None else max(student.placements)
        key = class_key(y, placement.grade, placement.class_name)
        klass = ledger._fold(streams.school_class(school_code, y, placement.grade, placement.class_name),
                             evolve_class)
        homeroom = klass.homeroom_teacher_id if klass else None
    return Target(school=school_code, board=school.board_code, class_key=key, homeroom=homeroom, subject=subject,
                  kind="student"), student


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
