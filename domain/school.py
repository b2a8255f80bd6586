"""Schools, their school years (calendar and seal) and their classes.

Three small streams per school: the school itself, one per school year (calendar, year seal)
and one per class and year (homeroom teacher, members with 出席番号 and the days they were
on the roll). A class roll is judged against the year and class streams alone, so it never
has to load the students' own histories (ADR 0003).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal
from uuid import UUID

import msgspec

from domain.event import Event
from domain.values import SmallNumber

LeaveReason = Literal["withdrawal", "graduation", "leave", "transfer"]


class SchoolRegistered(Event, frozen=True, tag="SchoolRegistered"):
    school_code: str
    name: str
    kind: str  # "elementary" (小学校) or "junior_high" (中学校), from the code
    board_code: str
    address: str = ""


class SchoolDetailsChanged(Event, frozen=True, tag="SchoolDetailsChanged"):
    name: str
    board_code: str
    address: str = ""


class PrincipalAppointed(Event, frozen=True, tag="PrincipalAppointed"):
    staff_id: str
    name: str


class Term(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    number: SmallNumber
    starts_on: date
    ends_on: date


class Closure(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """臨時休業: a school or grade closure removes the day; a class closure excuses its students."""

    on: date
    scope: str  # school / grade / class
    reason: str
    grade: SmallNumber | None = None
    class_name: str | None = None


class SchoolCalendarSet(Event, frozen=True, tag="SchoolCalendarSet"):
    """The whole calendar of one school year; a later one replaces it."""

    school_code: str
    year: int
    terms: tuple[Term, ...]
    instructional_days: tuple[date, ...]
    closures: tuple[Closure, ...] = ()


class YearSealed(Event, frozen=True, tag="YearSealed"):
    """学年末確定: the principal seals the year; later changes are approved corrections."""

    school_code: str
    year: int


class Member(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    student_id: UUID
    number: int  # 出席番号


class ClassFormed(Event, frozen=True, tag="ClassFormed"):
    school_code: str
    year: int
    grade: int
    class_name: str
    homeroom_teacher_id: str
    homeroom_teacher_name: str
    members: tuple[Member, ...] = ()


class HomeroomTeacherChanged(Event, frozen=True, tag="HomeroomTeacherChanged"):
    homeroom_teacher_id: str
    homeroom_teacher_name: str


class ClassMemberJoined(Event, frozen=True, tag="ClassMemberJoined"):
    student_id: UUID
    number: int


class ClassMemberLeft(Event, frozen=True, tag="ClassMemberLeft"):
    """The student leaves this class's roll: see ``off_roll_from`` for the first day off it."""

    student_id: UUID
    reason: LeaveReason


# 卒業 and 退学 are dated the child's last day as a pupil (the day the 校長 certified the graduation or
# approved the withdrawal); a 転学 is recorded from the day after the child left, a 休学 from its first day.
LAST_DAY_ON_ROLL: frozenset[str] = frozenset({"withdrawal", "graduation"})


def off_roll_from(reason: str, effective_on: date) -> date:
    """The first day a child is off a class's roll after a ``ClassMemberLeft`` (ADR 0024).

    The day of a 卒業 or 退学 is still a day on the roll (it counts in 授業日数, its mark is kept);
    a 転学 (in or out of the ledger) counts to the day the child left, which is the day before the
    event's date; a 休学 takes the child off the roll from its first day.
    """
    return effective_on + timedelta(days=1) if reason in LAST_DAY_ON_ROLL else effective_on


# ---------------------------------------------------------------- state (rule-free evolve)


@dataclass
class School:
    code: str
    name: str
    kind: str
    board_code: str
    address: str
    version: int
    principal_id: str | None = None
    principal_name: str | None = None
    principal_since: date | None = None


def evolve_school(state: School | None, event: Event) -> School:
    match event:
        case SchoolRegistered():
            return School(event.school_code, event.name, event.kind, event.board_code, event.address, 1)
        case SchoolDetailsChanged() if state:
            state.name, state.board_code, state.address = event.name, event.board_code, event.address
        case PrincipalAppointed() if state:
            state.principal_id, state.principal_name = event.staff_id, event.name
            state.principal_since = event.effective_on
        case _:
            raise ValueError(f"{type(event).__name__} cannot follow {state!r}")
    state.version = event.originator_version
    return state


@dataclass
class SchoolYear:
    version: int = 0
    calendar: SchoolCalendarSet | None = None
    days: frozenset[date] = frozenset()
    sealed_on: date | None = None

    def is_instructional_day(self, day: date, grade: int) -> bool:
        if self.calendar is None or day not in self.days:
            return False
        return not any(
            c.on == day and (c.scope == "school" or (c.scope == "grade" and c.grade == grade))
            for c in self.calendar.closures
        )

    def class_closed(self, day: date, grade: int, class_name: str) -> Closure | None:
        for c in self.calendar.closures if self.calendar else ():
            if c.on == day and c.scope == "class" and c.grade == grade and c.class_name == class_name:
                return c
        return None


def evolve_year(state: SchoolYear | None, event: Event) -> SchoolYear:
    state = state or SchoolYear()
    match event:
        case SchoolCalendarSet():
            state.calendar, state.days = event, frozenset(event.instructional_days)
        case YearSealed():
            state.sealed_on = event.effective_on
        case _:
            raise ValueError(f"{type(event).__name__} cannot follow a school year")
    state.version = event.originator_version
    return state


@dataclass
class Placement:
    """One student's place in a class: 出席番号 and the days on its roll."""

    number: int
    joined_on: date
    left_on: date | None = None
    left_because: LeaveReason | None = None


@dataclass
class SchoolClass:
    school_code: str
    year: int
    grade: int
    name: str
    homeroom_teacher_id: str
    homeroom_teacher_name: str
    version: int
    placements: dict[UUID, list[Placement]] = field(default_factory=dict)
    formed_on: date | None = None
    formed_with: tuple[tuple[UUID, int], ...] = ()  # the members it was formed with, 出席番号 order as sent

    def placement_on(self, student_id: UUID, day: date) -> Placement | None:
        for p in self.placements.get(student_id, ()):
            if p.joined_on <= day and (p.left_on is None or day < p.left_on):
                return p
        return None

    def last_placement(self, student_id: UUID) -> Placement | None:
        ps = self.placements.get(student_id)
        return ps[-1] if ps else None

    def numbers_held_from(self, day: date) -> set[int]:
        """出席番号 held by anyone on the class's roll on ``day`` or on any later day."""
        return {p.number for ps in self.placements.values() for p in ps if p.left_on is None or p.left_on > day}

    def members_on(self, day: date) -> dict[UUID, int]:
        out = {}
        for sid in self.placements:
            p = self.placement_on(sid, day)
            if p is not None:
                out[sid] = p.number
        return out


def evolve_class(state: SchoolClass | None, event: Event) -> SchoolClass:
    match event:
        case ClassFormed():
            state = SchoolClass(
                event.school_code, event.year, event.grade, event.class_name,
                event.homeroom_teacher_id, event.homeroom_teacher_name, 1, formed_on=event.effective_on,
                formed_with=tuple((m.student_id, m.number) for m in event.members),
            )
            for m in event.members:
                state.placements[m.student_id] = [Placement(m.number, event.effective_on)]
        case HomeroomTeacherChanged() if state:
            state.homeroom_teacher_id = event.homeroom_teacher_id
            state.homeroom_teacher_name = event.homeroom_teacher_name
        case ClassMemberJoined() if state:
            state.placements.setdefault(event.student_id, []).append(Placement(event.number, event.effective_on))
        case ClassMemberLeft() if state:
            last = state.last_placement(event.student_id)
            if last is not None and last.left_on is None:
                last.left_on, last.left_because = off_roll_from(event.reason, event.effective_on), event.reason
            elif last is not None and last.left_because == "leave":
                last.left_because = event.reason  # withdrew (or moved) while on leave
        case _:
            raise ValueError(f"{type(event).__name__} cannot follow {state!r}")
    state.version = event.originator_version
    return state
