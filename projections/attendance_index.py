"""Who has marks at a school in a year: the index the long-absence figures read.

A child's own marks are read from the class-month registers of the classes they were in
(projections/student_file.py): a per-child copy of every mark made rebuilds rewrite each child's
growing year on every page, and was dropped (ADR 0013). Documents: ``students/<school>/<year>``.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from domain.attendance import AttendanceMarked
from domain.event import Event
from projections.base import Document


def index_key(school_code: str, year: int) -> str:
    return f"students/{school_code}/{year}"


class AttendanceIndex:
    """Who has marks at a school in a year (the first mark of each student-day names the school)."""

    name: str = "attendance_index"
    topics: tuple[str, ...] = ("AttendanceMarked",)

    def keys(self, event: Event) -> Iterable[str]:
        return (index_key(event.school_code, event.year),) if isinstance(event, AttendanceMarked) else ()

    def apply(self, document: Document | None, event: Event) -> Document:
        if not isinstance(event, AttendanceMarked):
            raise ValueError(f"the attendance index does not read {type(event).__name__}")
        doc = document or {"students": []}
        students, sid = doc["students"], str(event.student_id)
        at = bisect.bisect_left(students, sid)  # kept sorted, updated in place (projections/base.py)
        if at == len(students) or students[at] != sid:
            students.insert(at, sid)
        return doc
