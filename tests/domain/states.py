"""States for the pure decision tests, built by folding events with the domain's evolve functions."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import UUID

from domain import streams
from domain.event import Event
from domain.school import (
    ClassFormed,
    ClassMemberJoined,
    ClassMemberLeft,
    Closure,
    LeaveReason,
    PrincipalAppointed,
    School,
    SchoolCalendarSet,
    SchoolClass,
    SchoolRegistered,
    SchoolYear,
    Term,
    YearSealed,
    evolve_class,
    evolve_school,
    evolve_year,
)
from domain.student import Guardian, Identity, Student, StudentAdmitted, evolve_student
from tests import builders as b

S = TypeVar("S")

NOW = datetime(2026, 4, 10, 1, 2, 3, tzinfo=UTC)
BEFORE = datetime(2026, 4, 6, 0, 0, 1, tzinfo=UTC)
CODE = b.ELEMENTARY
JH_CODE = b.JUNIOR_HIGH
YEAR = 2026
FIRST_DAY = date(2026, 4, 6)
DAY = date(2026, 4, 7)
A = UUID("00000000-0000-4000-8000-00000000000a")
B = UUID("00000000-0000-4000-8000-00000000000b")
C = UUID("00000000-0000-4000-8000-00000000000c")
TERMS = (
    Term(1, date(2026, 4, 6), date(2026, 7, 20)),
    Term(2, date(2026, 9, 1), date(2026, 12, 24)),
    Term(3, date(2027, 1, 7), date(2027, 3, 24)),
)


def fold(evolve: Callable[[S | None, Event], S], events: Iterable[Event]) -> S:
    state: S | None = None
    for event in events:
        state = evolve(state, event)
    assert state is not None
    return state


def meta(stream: UUID, version: int, *, on: date = FIRST_DAY, by: str = "admin",
         at: datetime = BEFORE) -> dict[str, Any]:
    return dict(originator_id=stream, originator_version=version, recorded_at=at, recorded_by=by, effective_on=on)


def school(code: str = CODE) -> School:
    kind = "elementary" if code.startswith("B1") else "junior_high"
    return fold(evolve_school, [
        SchoolRegistered(**meta(streams.school(code), 1), school_code=code, name="みどり学校", kind=kind,
                         board_code=b.BOARD),
        PrincipalAppointed(**meta(streams.school(code), 2), staff_id=b.PRINCIPAL, name="田中 一郎"),
    ])


def calendar_set(code: str = CODE, *, closures: Iterable[Closure] = (), version: int = 1) -> SchoolCalendarSet:
    return SchoolCalendarSet(**meta(streams.school_year(code, YEAR), version), school_code=code, year=YEAR,
                             terms=TERMS, instructional_days=tuple(b.SCHOOL_DAYS), closures=tuple(closures))


def year(code: str = CODE, *, closures: Iterable[Closure] = (), sealed: bool = False) -> SchoolYear:
    events: list[Event] = [calendar_set(code, closures=closures)]
    if sealed:
        events.append(YearSealed(**meta(streams.school_year(code, YEAR), 2, on=date(2027, 3, 25)),
                                 school_code=code, year=YEAR))
    return fold(evolve_year, events)


def class_events(grade: int = 3, members: Iterable[UUID] = (A, B), *, code: str = CODE,
                 name: str = "1") -> list[Event]:
    stream = streams.school_class(code, YEAR, grade, name)
    events: list[Event] = [ClassFormed(**meta(stream, 1), school_code=code, year=YEAR, grade=grade, class_name=name,
                                       homeroom_teacher_id=b.STAFF, homeroom_teacher_name="山田 花子")]
    for n, sid in enumerate(members, 1):
        events.append(ClassMemberJoined(**meta(stream, n + 1), student_id=sid, number=n))
    return events


def left(klass: SchoolClass, student_id: UUID, on: date, reason: LeaveReason) -> ClassMemberLeft:
    return ClassMemberLeft(**meta(streams.school_class(klass.school_code, klass.year, klass.grade, klass.name),
                                  klass.version + 1, on=on), student_id=student_id, reason=reason)


def klass(grade: int = 3, members: Iterable[UUID] = (A, B), *, code: str = CODE, name: str = "1",
          more: Iterable[Event] = ()) -> SchoolClass:
    return fold(evolve_class, [*class_events(grade, members, code=code, name=name), *more])


def identity(n: int = 1, *, born: date = date(2017, 6, 1)) -> Identity:
    return Identity(family_name="佐藤", given_name=f"陽翔{n}", family_name_kana="さとう", given_name_kana="はると",
                    sex="male", birth_date=born, address="鳥取県鳥取市東町1-220",
                    guardian=Guardian(name="佐藤 健", name_kana="さとう けん", relation="父"))


def admitted(sid: UUID = A, *, grade: int = 3, number: int = 1, code: str = CODE,
             kind: str = "admission") -> StudentAdmitted:
    return StudentAdmitted(**meta(sid, 1, by="registrar"), school_code=code, admission_kind=kind,  # type: ignore[arg-type]
                           year=YEAR, grade=grade, class_name="1", number=number,
                           identity=identity(number, born=date(2019 - grade + 1, 6, 1)),
                           reason="転居に伴う編入学" if kind == "admission" else "")


def student(sid: UUID = A, *, grade: int = 3, number: int = 1, code: str = CODE,
            more: Iterable[Event] = ()) -> Student:
    return fold(evolve_student, [admitted(sid, grade=grade, number=number, code=code), *more])
