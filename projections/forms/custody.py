"""The custody rules of domain/custody.py, over the enrollment record documents the forms read.

A school reads its own periods as the originals, the periods of the schools before it as the copy
(写し) or abstract (抄本) it received, nothing after the child left it; and once the child has left
it, the record as it stood when custody passed (``as_it_stood``). An auditor of the whole ledger
reads everything. The attendance register is never part of what a school receives.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID

from domain import custody
from domain import school_year as school_years
from domain.custody import ABSTRACT, COPY, ORIGINAL, Period
from domain.event import Event
from domain.ledger import Ledger
from domain.school import ClassMemberLeft
from domain.student import Student, evolve_student
from projections.base import Cutoff
from projections.enrollment_record import StudentRecord

__all__ = ["ABSTRACT", "COPY", "ORIGINAL", "View", "as_it_stood", "periods_of", "view_for"]


@dataclass(frozen=True)
class View:
    """How one reader (a school; None: the whole record) sees each period of the child's record."""

    reader: str | None
    periods: tuple[Period, ...]

    def mode(self, school_code: str, year: int) -> str | None:
        """How the school year's records kept at a school are seen (None: not at all)."""
        first, last = school_years.first_day(year), school_years.last_day(year)
        return custody.mode(self.periods, self.reader, school_code, first, last)

    def sees_first_period(self) -> bool:
        return custody.sees_first_period(self.periods, self.reader)

    def abstract_part(self) -> tuple[str, date] | None:
        """The school advanced from and the first day after the part seen as the abstract (ADR 0027)."""
        return custody.abstract_part(self.periods, self.reader)

    def holds_a_period(self) -> bool:
        return custody.holds_a_period(self.periods, self.reader)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def periods_of(student: StudentRecord) -> list[Period]:
    """The child's periods of custody in order; a move out of the ledger ends with the outside school."""
    periods = [Period(e["school_code"], date.fromisoformat(e["began_on"]), _day(e.get("ended_on")),
                      e.get("came_by", "")) for e in student["enrollments"]]
    for move in student.get("moves", []):
        if move["external"]:
            periods.append(Period(move["to_school"], date.fromisoformat(move["accepted_on"]), came_by=move["kind"],
                                  external=True))
    return periods


def view_for(student: StudentRecord, school: str | None) -> View:
    """The view of a reader at ``school`` (None: an auditor's whole record)."""
    return View(school, tuple(periods_of(student)))


def as_it_stood(ledger: Ledger, student_id: UUID | str, school: str | None, cutoff: Cutoff) -> Cutoff:
    """The point a reader at ``school`` reads the child's record at: ``cutoff``, or, when the child had
    left that school by then, no later than the hand-over that passed custody from its last period."""
    if school is None:
        return cutoff
    known = replace(cutoff, on=None)  # a hand-over recorded by then ended custody, whatever day it is about
    state: Student | None = None
    written: dict[int, tuple[int, Event]] = {}
    for position, event in ledger.events_in_streams([UUID(str(student_id))]):
        if known.admits(position, event):
            state = evolve_student(state, event)
            written[event.originator_version] = (position, event)
    if state is None:
        return cutoff
    version = custody.passed_at(custody.periods(state), school)
    if version is None:
        return cutoff
    at = _end_of_write(ledger, *written[version])
    return cutoff if cutoff.position is not None and cutoff.position <= at else replace(cutoff, position=at, exact=True)


def _end_of_write(ledger: Ledger, position: int, handover: Event) -> int:
    """Where custody passed: the hand-over and the sending school's part of its write (the child off its
    class roll, recorded right after it with the same stamp; domain/handover.py), not the receiving
    school's part (the child onto its class roll), which is the next period's."""
    end = position
    for n in ledger.recorder.select_notifications(start=position, limit=1, inclusive_of_start=False):
        event = ledger.decode(n)
        if isinstance(event, ClassMemberLeft) and \
                (event.recorded_at, event.recorded_by) == (handover.recorded_at, handover.recorded_by):
            end = n.id
    return end
