"""Commands about schools: registration, principals, calendars, year seals, classes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import suppress
from datetime import date
from typing import Any
from uuid import UUID

from domain import custody, errors, school_rules, streams, values
from domain.ledger_base import LedgerBase, Receipt, as_value, student_uuid
from domain.school import Closure, Term, evolve_school


class SchoolCommands(LedgerBase):
    def register_school(self, code: str, name: str, board_code: str, address: str = "", *,
                        on: date | None = None, recorded_by: str) -> Receipt | None:
        """Register a school, or record changed details, effective ``on`` (today when not given: a
        register taken over from paper gives the day the school stood so); None when nothing changed."""
        values.school_code(code)
        state = self._fold(streams.school(code), evolve_school)
        events = school_rules.register_school(state, code, name, board_code, address, on=on or self.today(),
                                              recorded_by=recorded_by, now=self.now())
        return self.record(events) if events else None

    def appoint_principal(self, code: str, staff_id: str, name: str, *, on: date | None = None,
                          recorded_by: str) -> Receipt | None:
        """Appoint the principal; None when they already are."""
        events = school_rules.appoint_principal(self.school(code), staff_id, name, on=on or self.today(),
                                                recorded_by=recorded_by, now=self.now())
        return self.record(events) if events else None

    def set_calendar(self, code: str, year: int, *, terms: Sequence[Any], instructional_days: Sequence[date],
                     closures: Sequence[Any] = (), on: date | None = None, recorded_by: str) -> Receipt | None:
        """Set the school year's calendar, effective ``on`` (today when not given); None when it is
        already exactly this one."""
        school = self.school(code)
        events = school_rules.set_calendar(
            school, self.school_year(code, year), year,
            [as_value(t, Term, f"terms[{i}]") for i, t in enumerate(terms)],
            [as_value(d, date, f"instructional_days[{i}]") for i, d in enumerate(instructional_days)],
            [as_value(c, Closure, f"closures[{i}]") for i, c in enumerate(closures)],
            on=on or self.today(), recorded_by=recorded_by, now=self.now(),
        )
        return self.record(events) if events else None

    def seal_year(self, code: str, year: int, *, recorded_by: str) -> Receipt:
        event = school_rules.seal_year(self.school(code), self.school_year(code, year), year, on=self.today(),
                                       recorded_by=recorded_by, now=self.now())
        return self.record([event])

    def form_class(self, code: str, year: int, grade: int, name: str, *, homeroom_teacher_id: str,
                   homeroom_teacher_name: str, students: Sequence[tuple[UUID | str, int]] = (),
                   on: date, recorded_by: str) -> Receipt | None:
        """Form a class; None when it was formed exactly so (same teacher, day and members)."""
        school = self.school(code)
        self.prefetch(_uuids(sid for sid, _ in students))  # in a request, every member in one query
        members = []
        for i, (sid, number) in enumerate(students):
            student = self.find_student(student_uuid(sid, f"students[{i}].student_id"))
            # a child this school never held is, to it, as missing as an id nobody was given (domain/custody.py)
            if student is None or code not in custody.schools(custody.periods(student)):
                raise errors.UnknownStudent(f"student {sid} is not in the register", field=f"students[{i}].student_id")
            members.append((student, number))
        events = school_rules.form_class(
            school, self.school_year(code, year), self.find_class(code, year, grade, name), year, grade, name,
            homeroom_teacher_id, homeroom_teacher_name, members, on=on, recorded_by=recorded_by, now=self.now(),
        )
        return self.record(events) if events else None


def _uuids(values: Iterable[UUID | str]) -> list[UUID]:
    """The values that are UUIDs (the others are refused, in order, by the command itself)."""
    out = []
    for value in values:
        with suppress(errors.UnknownStudent):
            out.append(student_uuid(value))
    return out
