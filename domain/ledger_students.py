"""Commands about a student's enrollment: admission, identity, leave, withdrawal, graduation."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import msgspec

from domain import custody, enrollment_rules, handover, streams, values
from domain import school_year as school_years
from domain.event import Event, type_name
from domain.ledger_base import LedgerBase, Receipt, as_value
from domain.school import SchoolClass, SchoolYear
from domain.student import AdmissionIndexed, Identity, Student, StudentAdmitted, StudentHandedOver, evolve_student
from domain.transfer_packet import TransferPacket


class StudentCommands(LedgerBase):
    def admit_student(self, code: str, year: int, grade: int, class_name: str, number: int, identity: Any, *,
                      admitted_on: date, admission_kind: str = "entrance", prior_history: str = "",
                      reason: str = "", student_id: UUID | None = None, different_child: bool = False,
                      recorded_by: str) -> Receipt:
        """入学 or 編入学; the receipt's stream id is the new student's id.

        A possible duplicate is found through the school's admissions filed by identity key: one more
        small stream read with the new id (no student of the school is read unless the key matches)."""
        school = self.school(code)
        sid = student_id or self.new_id()
        school_year = self.school_year(code, year)
        ident = as_value(identity, Identity, "identity")
        key = streams.admission_key(code, ident.family_name, ident.given_name, ident.family_name_kana,
                                    ident.given_name_kana, ident.birth_date, ident.guardian.name,
                                    ident.guardian.name_kana)
        self.prefetch([sid, key])
        filed = [e for e in self.stream(key) if isinstance(e, AdmissionIndexed)]
        self.prefetch([e.student_id for e in filed])
        alike = [s.id for s in map(self.find_student, (e.student_id for e in filed))
                 if s is not None and s.custodian == code and s.status in ("enrolled", "on_leave")]
        events = enrollment_rules.admit(
            school, school_year, self.find_class(code, year, grade, class_name),
            self.find_student(sid), sid, admission_kind, year, grade, class_name, number,
            ident, prior_history, reason, on=admitted_on, recorded_by=recorded_by, now=self.now(),
            enrolled_alike=alike, different_child=different_child,
        )
        admitted = events[0]
        assert isinstance(admitted, StudentAdmitted)
        events.append(enrollment_rules.index_admission(admitted, key, len(filed)))
        return self.record(events, unchanged=[self.judged_on(code, year, school_year)])

    def change_identity(self, student_id: UUID | str, identity: Any, *, reason: str, on: date | None = None,
                        expected_version: int | None = None, recorded_by: str) -> Receipt:
        student = self.student(student_id, expected_version=expected_version)
        event = enrollment_rules.change_identity(student, as_value(identity, Identity, "identity"), reason,
                                                 on=on or self.today(), recorded_by=recorded_by, now=self.now())
        return self.record([event])

    def _with_class(self, student: Student, on: date) -> tuple[Any, SchoolYear, SchoolClass, tuple[UUID, int]]:
        """The school, year and class the child is in on ``on``, and the year as judged on (for ``record``)."""
        code, year, grade, name = enrollment_rules.class_of(student, on)
        school_year = self.school_year(code, year)
        return (self.school(code), school_year, self.school_class(code, year, grade, name),
                self.judged_on(code, year, school_year))

    def begin_leave(self, student_id: UUID | str, *, on: date, reason: str, expected_version: int | None = None,
                    recorded_by: str) -> Receipt:
        student = self.student(student_id, expected_version=expected_version)
        school, year, klass, judged = self._with_class(student, on)
        return self.record(enrollment_rules.begin_leave(school, year, student, klass, reason, on=on,
                                                        recorded_by=recorded_by, now=self.now()), unchanged=[judged])

    def end_leave(self, student_id: UUID | str, *, on: date, number: int | None = None,
                  expected_version: int | None = None, recorded_by: str) -> Receipt:
        student = self.student(student_id, expected_version=expected_version)
        school, year, klass, judged = self._with_class(student, on)
        return self.record(enrollment_rules.end_leave(school, year, student, klass, on=on, number=number,
                                                      recorded_by=recorded_by, now=self.now()), unchanged=[judged])

    def withdraw(self, student_id: UUID | str, *, on: date, reason: str, expected_version: int | None = None,
                 recorded_by: str) -> Receipt:
        student = self.student(student_id, expected_version=expected_version)
        school, year, klass, judged = self._with_class(student, on)
        later = self._later_classes(student, school.code, school_years.year_of(on))
        events = enrollment_rules.withdraw(school, year, student, klass, reason, on=on, recorded_by=recorded_by,
                                           now=self.now(), later_classes=later)
        return self.record(events, unchanged=[judged, *(self.judged_on(school.code, c.year, state)
                                                        for c, state in later if state is not None)])

    def _later_classes(self, student: Student, school_code: str, leaving_year: int
                       ) -> list[tuple[SchoolClass, SchoolYear]]:
        """The classes of ``school_code`` of years after ``leaving_year`` the child is already placed in (next
        year's class, formed before this year ended), with their school years: a child who leaves the school
        comes off them too."""
        later: list[tuple[SchoolClass, SchoolYear]] = []
        for y, p in sorted(student.placements.items()):
            found = self.find_class(school_code, y, p.grade, p.class_name) \
                if y > leaving_year and p.school_code == school_code else None
            if found is not None:
                later.append((found, self.school_year(school_code, y)))
        return later

    def graduate(self, student_id: UUID | str, *, on: date, expected_version: int | None = None,
                 recorded_by: str) -> Receipt:
        student = self.student(student_id, expected_version=expected_version)
        school, year, klass, judged = self._with_class(student, on)
        return self.record(enrollment_rules.graduate(school, year, student, klass, on=on,
                                                     recorded_by=recorded_by, now=self.now()), unchanged=[judged])

    def hand_over(self, student_id: UUID | str, *, kind: str, to_school: str, left_on: date, accepted_on: date,
                  year: int, grade: int, reason: str = "", external: bool = False, to_school_name: str = "",
                  to_school_address: str = "", class_name: str = "", number: int = 0,
                  expected_version: int | None = None, recorded_by: str) -> Receipt:
        """転学 or 進学 of one child: custody passes to ``to_school`` in one event (domain/handover.py)."""
        student = self.student(student_id, expected_version=expected_version)
        last = student.enrollments[-1]
        sending = self.school(last.school_code)
        receiving = self.find_school(values.school_code(to_school, "to_school"))
        klass = sending_year = None
        if kind == "transfer" and student.custodian == sending.code:
            placed = student.placements.get(school_years.year_of(left_on))
            if placed is not None and placed.school_code == sending.code:
                klass = self.find_class(sending.code, school_years.year_of(left_on), placed.grade, placed.class_name)
                sending_year = self.school_year(sending.code, school_years.year_of(left_on))
        later: list[tuple[SchoolClass, SchoolYear]] = []
        if kind == "transfer" and student.custodian == sending.code:  # next year's class, placed in spring break
            later = self._later_classes(student, sending.code, school_years.year_of(left_on))
        receiving_class = receiving_year = None
        if class_name and receiving is not None and not external:
            receiving_class = self.find_class(to_school, year, grade, class_name)
            receiving_year = self.school_year(to_school, year)
        events = handover.hand_over(
            student, sending, receiving, kind=kind, to_school=to_school, left_on=left_on, accepted_on=accepted_on,
            year=year, grade=grade, reason=reason, external=external, to_school_name=to_school_name,
            to_school_address=to_school_address, sending_class=klass, sending_year=sending_year,
            receiving_year=receiving_year, receiving_class=receiving_class, class_name=class_name, number=number,
            recorded_by=recorded_by, now=self.now(), later_classes=later)
        judged = [self.judged_on(code, y, state) for code, y, state in (
            (sending.code, school_years.year_of(left_on), sending_year), (to_school, year, receiving_year),
            *((sending.code, c.year, state) for c, state in later))
            if state is not None]
        return self.record(events, unchanged=judged)

    def receive_transfer(self, packet: TransferPacket, jws: str, *, school_code: str, class_name: str = "",
                         number: int = 0, recorded_by: str) -> tuple[Receipt, bool]:
        """Admit a child from a verified transfer packet; a packet already imported returns its first
        admission and records nothing (the second value says whether this call recorded it)."""
        sid = streams.received(packet.issuer, packet.packet_id)
        if self.find_student(sid) is not None:
            position = next(pos for pos, _ in self.events_in_streams([sid]))
            return Receipt(sid, 0, position), False
        school = self.school(school_code)
        klass = self.find_class(school_code, packet.year, packet.grade, class_name) if class_name else None
        school_year = self.school_year(school_code, packet.year)
        events = handover.receive(school, school_year, klass, None, sid, packet, jws,
                                  class_name=class_name, number=number, recorded_by=recorded_by, now=self.now())
        return self.record(events, unchanged=[self.judged_on(school_code, packet.year, school_year)]), True

    def as_it_stood(self, student: Student, school: str | None) -> Student:
        """The student as a reader at ``school`` holds them: as they stand now, or, once the child has
        left that school, as they stood when custody passed from it (domain/custody.py)."""
        version = custody.passed_at(custody.periods(student), school)
        if version is None:
            return student
        state: Student | None = None
        for event in self.stream(student.id)[:version]:
            state = evolve_student(state, event)
        assert state is not None
        return state

    def student_summary(self, student_id: UUID | str, school: str | None = None) -> dict[str, Any]:
        """The student as the register stands now (as a reader at ``school`` holds them), in primitives."""
        s = self.as_it_stood(self.student(student_id), school)
        i = s.identity
        return {
            "student_id": str(s.id),
            "version": s.version,
            "status": s.status,
            "custodian": s.custodian,
            "name": f"{i.family_name} {i.given_name}",
            "name_kana": f"{i.family_name_kana} {i.given_name_kana}",
            "sex": i.sex,
            "birth_date": i.birth_date.isoformat(),
            "enrollments": [
                {"school_code": e.school_code, "began_on": e.began_on.isoformat(),
                 "ended_on": e.ended_on.isoformat() if e.ended_on else None, "ended_because": e.ended_because}
                for e in s.enrollments
            ],
            "classes": {
                str(y): {"school_code": p.school_code, "grade": p.grade, "class_name": p.class_name,
                         "number": p.number}
                for y, p in sorted(s.placements.items())
            },
        }

    def attendance_history(self, student_id: UUID, day: date) -> list[Event]:
        return self.stream(streams.attendance(student_id, day))

    def history(self, student_id: UUID | str, school: str | None = None) -> list[dict[str, Any]]:
        """Every event about the student, in log order: what, the day it is about, when, who, why.

        ``school``: only what happened in that school's custody (its own records, and the student's
        own events dated within its periods; the hand-overs to and from it), and once the child has left
        it, only what was recorded until custody passed. A receiving school gets the copy of the earlier
        record (the forms), not the earlier schools' daily trail."""
        student = self.student(student_id)
        passed = custody.passed_at(custody.periods(student), school)
        ids = [student.id]
        for year in sorted(student.placements):
            ids += [streams.assessments(student.id, year), streams.year_record(student.id, year),
                    streams.health(student.id, year)]
            ids += streams.attendance_days(student.id, school_years.days(year))
            ids += streams.alerts(student.id, year, school_years.days(year))  # and what the school did (ADR 0042)
        periods = [(e.began_on, e.ended_on) for e in student.enrollments if e.school_code == school]
        found = self.events_in_streams(ids)
        until = next((position for position, event in found
                      if event.originator_id == student.id and event.originator_version == passed), None)
        events = {(e.originator_id, e.originator_version): e for _, e in found}
        return [_entry(position, event, events) for position, event in found
                if school is None or (_held(event, school, periods) and (until is None or position <= until))]


def _held(event: Event, school: str, periods: list[tuple[date, date | None]]) -> bool:
    if isinstance(event, StudentHandedOver):
        return school in (event.from_school, event.to_school)
    code = getattr(event, "school_code", None)
    if code is not None:
        return bool(code == school)
    return any(began <= event.effective_on and (ended is None or event.effective_on <= ended)
               for began, ended in periods)


STAMP = frozenset({"type", "originator_id", "originator_version", "recorded_at", "recorded_by", "effective_on",
                   "reason", "corrects_version", "approved_by"})  # an entry's own keys, not what was recorded


def _recorded(event: Event) -> dict[str, Any]:
    """What the event recorded: its own fields (as the log stores them), without the stamp every event has."""
    return {k: v for k, v in msgspec.to_builtins(event).items() if k not in STAMP}


def _entry(position: int, event: Event, events: dict[tuple[UUID, int], Event]) -> dict[str, Any]:
    """One history entry: what, when, who, why; what it recorded and, for a correction, the values it replaced
    (those of the event it corrects that it changed)."""
    recorded = _recorded(event)
    replaced = None
    corrects = getattr(event, "corrects_version", None)
    if corrects is not None and (before := events.get((event.originator_id, corrects))) is not None:
        earlier = _recorded(before)
        replaced = {k: earlier.get(k) for k, v in recorded.items() if earlier.get(k) != v}
    return {
        "position": position,
        "type": type_name(type(event)),
        "stream_id": str(event.originator_id),
        "version": event.originator_version,
        "effective_on": event.effective_on.isoformat(),
        "recorded_at": event.recorded_at.isoformat(),
        "recorded_by": event.recorded_by,
        "reason": getattr(event, "reason", None) or None,
        "corrects_version": getattr(event, "corrects_version", None),
        "approved_by": getattr(event, "approved_by", None),
        "recorded": recorded,
        "replaced": replaced,
    }
