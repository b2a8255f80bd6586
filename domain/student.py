"""A student's enrollment record (学籍): identity, admission, class placements, leave,
withdrawal and graduation.

The stream is short (a handful of events a year), so decisions about a student may load it.
Custody is a list of enrollment periods, one per school: the hand-over that closes one and
opens the next is a later event on the same stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal
from uuid import UUID

import msgspec

from domain import school_year as school_years
from domain.event import Event


class Guardian(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    name: str
    name_kana: str
    relation: str  # 続柄, e.g. 父, 母, 祖母
    address: str = ""  # blank: 児童の欄に同じ


class Identity(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    sex: str  # male / female
    birth_date: date
    address: str
    guardian: Guardian


AdmissionKind = Literal["entrance", "admission"]  # 入学 / 編入学


class StudentAdmitted(Event, frozen=True, tag="StudentAdmitted"):
    """入学 (into grade 1) or 編入学 (mid-course); ``effective_on`` is the admission date."""

    school_code: str
    admission_kind: AdmissionKind
    year: int
    grade: int
    class_name: str
    number: int
    identity: Identity
    prior_history: str = ""  # 入学前の経歴
    reason: str = ""  # 編入学の事由


class AdmissionIndexed(Event, frozen=True, tag="AdmissionIndexed"):
    """An admission filed under its identity key at the school (streams.admission_key: name, kana, birth
    date, guardian): each admission reads that one small stream to find a possible duplicate."""

    student_id: UUID
    school_code: str


class IdentityDetailsChanged(Event, frozen=True, tag="IdentityDetailsChanged"):
    """The identity as it now stands, and why it changed (move, name change, new guardian...)."""

    identity: Identity
    reason: str


class StudentPlacedInClass(Event, frozen=True, tag="StudentPlacedInClass"):
    """Placed in a class for a school year (new year's classes, or a change of class)."""

    school_code: str
    year: int
    grade: int
    class_name: str
    number: int


class LeaveOfAbsenceBegan(Event, frozen=True, tag="LeaveOfAbsenceBegan"):
    """休学 from ``effective_on``."""

    reason: str


class LeaveOfAbsenceEnded(Event, frozen=True, tag="LeaveOfAbsenceEnded"):
    """Back from 休学 on ``effective_on``."""


class StudentWithdrew(Event, frozen=True, tag="StudentWithdrew"):
    """退学, on the day the principal approved it."""

    reason: str


class StudentGraduated(Event, frozen=True, tag="StudentGraduated"):
    """卒業, on the day the principal certified it."""


class StudentHandedOver(Event, frozen=True, tag="StudentHandedOver"):
    """転学 or 進学; ``effective_on`` is the day the receiving school accepted the child."""

    kind: str  # "transfer" (転学) or "advancement" (進学)
    from_school: str
    to_school: str
    left_on: date  # 学校を去った年月日 (for an advancement, the graduation day)
    year: int  # the school year at the receiving school
    grade: int  # the grade the receiving school takes the child into
    reason: str = ""
    external: bool = False  # the receiving school is outside this ledger (a transfer packet goes with it)
    to_school_name: str = ""
    to_school_address: str = ""
    class_name: str = ""  # the receiving class, when the receiving school named it
    number: int = 0


class StudentTransferredIn(Event, frozen=True, tag="StudentTransferredIn"):
    """A child admitted from another ledger's signed transfer packet; ``effective_on`` is the day
    this school accepted them. The packet is kept exactly as received (its signature still verifies)."""

    school_code: str
    kind: str  # "transfer" (転入学) or "advancement" (進学)
    year: int
    grade: int
    identity: Identity
    from_ledger: str  # the issuing ledger's id
    from_school: str
    left_on: date  # the day the child left the sending school
    packet_id: str
    packet: str  # the JWS compact serialization, as received
    from_school_name: str = ""
    from_school_address: str = ""
    reason: str = ""
    class_name: str = ""
    number: int = 0


# ---------------------------------------------------------------- state (rule-free evolve)

Status = Literal["enrolled", "on_leave", "withdrawn", "graduated", "left"]  # left: to a school outside the ledger


@dataclass
class Enrollment:
    """One period in one school's custody."""

    school_code: str
    began_on: date
    ended_on: date | None = None
    ended_because: str | None = None
    came_by: str = ""  # how custody came: "" (admission), "transfer" or "advancement" (a hand-over or packet)
    passed_at: int | None = None  # the student-stream version of the hand-over that passed custody on


@dataclass
class Placement:
    school_code: str
    grade: int
    class_name: str
    number: int
    since: date


@dataclass
class Student:
    id: UUID
    version: int
    identity: Identity
    status: Status = "enrolled"
    enrollments: list[Enrollment] = field(default_factory=list)
    placements: dict[int, Placement] = field(default_factory=dict)  # by school year (the latest of each year)
    classes: list[Placement] = field(default_factory=list)  # every placement, in the order placed
    left_to: Enrollment | None = None  # the school outside the ledger the child was handed over to

    @property
    def custodian(self) -> str | None:
        """The school that holds the student now (None once they left the register)."""
        last = self.enrollments[-1] if self.enrollments else None
        return last.school_code if last and last.ended_on is None else None

    def enrolled_since(self) -> date:
        return self.enrollments[-1].began_on


def evolve_student(state: Student | None, event: Event) -> Student:
    match event:
        case StudentAdmitted():
            state = Student(event.originator_id, 1, event.identity)
            state.enrollments.append(Enrollment(event.school_code, event.effective_on))
            _place(state, event.year, Placement(
                event.school_code, event.grade, event.class_name, event.number, event.effective_on))
        case StudentTransferredIn():
            state = Student(event.originator_id, 1, event.identity)
            state.enrollments.append(Enrollment(event.school_code, event.effective_on, came_by=event.kind))
            if event.class_name:
                _place(state, event.year, Placement(
                    event.school_code, event.grade, event.class_name, event.number, event.effective_on))
        case IdentityDetailsChanged() if state:
            state.identity = event.identity
        case StudentPlacedInClass() if state:
            _place(state, event.year, Placement(
                event.school_code, event.grade, event.class_name, event.number, event.effective_on))
        case LeaveOfAbsenceBegan() if state:
            state.status = "on_leave"
        case LeaveOfAbsenceEnded() if state:
            state.status = "enrolled"
        case StudentWithdrew() if state:
            state.status = "withdrawn"
            state.enrollments[-1].ended_on, state.enrollments[-1].ended_because = event.effective_on, "withdrawal"
            _unplace_later(state, state.enrollments[-1].school_code, school_years.year_of(event.effective_on))
        case StudentGraduated() if state:
            state.status = "graduated"
            state.enrollments[-1].ended_on, state.enrollments[-1].ended_because = event.effective_on, "graduation"
        case StudentHandedOver() if state:
            if event.kind == "transfer":  # enrolled at the sending school to the day before acceptance
                last = state.enrollments[-1]
                last.ended_on, last.ended_because = event.effective_on - timedelta(days=1), "transfer"
                _unplace_later(state, event.from_school, school_years.year_of(event.left_on))
            state.enrollments[-1].passed_at = event.originator_version
            if event.external:
                state.status = "left"
                state.left_to = Enrollment(event.to_school, event.effective_on, came_by=event.kind)
            else:
                state.status = "enrolled"
                state.enrollments.append(Enrollment(event.to_school, event.effective_on, came_by=event.kind))
            if event.class_name:
                _place(state, event.year, Placement(
                    event.to_school, event.grade, event.class_name, event.number, event.effective_on))
        case _:
            raise ValueError(f"{type(event).__name__} cannot follow {state!r}")
    state.version = event.originator_version
    return state


def _place(state: Student, year: int, placement: Placement) -> None:
    state.placements[year] = placement
    state.classes.append(placement)


def _unplace_later(state: Student, school: str, leaving_year: int) -> None:
    """A child who transfers out (or withdraws) is no longer placed in a class of the school for a year after
    the one they left in (a class of next year they were placed in during spring break): they never reach it."""
    for year in [y for y, p in state.placements.items() if y > leaving_year and p.school_code == school]:
        dropped = state.placements.pop(year)
        state.classes = [p for p in state.classes if p is not dropped]
