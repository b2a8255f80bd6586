"""Decisions about a student's enrollment: admission, identity, leave, withdrawal, graduation.

Each decision that takes a student on or off a class's roll also returns the matching event
for the class stream, saved in the same transaction, so rolls can be judged from the class alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from uuid import UUID

from domain import curriculum, errors, streams, values
from domain import school_year as school_years
from domain.event import Event, Stamp, stamp
from domain.school import (
    LAST_DAY_ON_ROLL,
    ClassMemberJoined,
    ClassMemberLeft,
    LeaveReason,
    School,
    SchoolClass,
    SchoolYear,
)
from domain.sealing import require_move_leaves_sealed_days, require_open_year
from domain.student import (
    AdmissionIndexed,
    Guardian,
    Identity,
    IdentityDetailsChanged,
    LeaveOfAbsenceBegan,
    LeaveOfAbsenceEnded,
    Student,
    StudentAdmitted,
    StudentGraduated,
    StudentWithdrew,
)


def check_identity(identity: Identity, on: date) -> Identity:
    g = identity.guardian
    guardian = Guardian(
        name=values.text(g.name, "identity.guardian.name", max_length=100),
        name_kana=values.kana(g.name_kana, "identity.guardian.name_kana"),
        relation=values.text(g.relation, "identity.guardian.relation", max_length=20),
        address=values.text(g.address, "identity.guardian.address", max_length=200, required=False),
    )
    values.sex(identity.sex, "identity.sex")
    born = identity.birth_date
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if not 5 <= age <= 16:
        raise errors.ImplausibleBirthDate(
            f"born {identity.birth_date.isoformat()}, the child would be {age} on {on.isoformat()}; "
            "the register keeps children of 5 to 16",
            field="identity.birth_date",
        )
    return Identity(
        family_name=values.text(identity.family_name, "identity.family_name", max_length=50),
        given_name=values.text(identity.given_name, "identity.given_name", max_length=50),
        family_name_kana=values.kana(identity.family_name_kana, "identity.family_name_kana"),
        given_name_kana=values.kana(identity.given_name_kana, "identity.given_name_kana"),
        sex=identity.sex,
        birth_date=identity.birth_date,
        address=values.text(identity.address, "identity.address", max_length=200),
        guardian=guardian,
    )


def admit(school: School, year: SchoolYear, klass: SchoolClass | None, existing: Student | None,
          student_id: UUID, admission_kind: str, school_year: int, grade: int, class_name: str, number: int,
          identity: Identity, prior_history: str, reason: str, *, on: date, recorded_by: str,
          now: datetime, enrolled_alike: Sequence[UUID] = (), different_child: bool = False) -> list[Event]:
    """入学 or 編入学 into a formed class of this school.

    ``enrolled_alike``: children enrolled at the school under the same identity key (name, kana, birth
    date, guardian); one is a possible duplicate unless the request says this is a ``different_child``."""
    if existing is not None:
        raise errors.StudentAlreadyExists(f"student {student_id} is already in the register", field="student_id")
    if admission_kind not in ("entrance", "admission"):
        raise errors.InvalidAdmissionKind(
            "admission_kind is 'entrance' (入学) or 'admission' (編入学)", field="admission_kind")
    values.grade(grade, school.kind)
    if admission_kind == "entrance" and grade != 1:
        raise errors.InvalidAdmissionKind(
            "入学 is into grade 1; a child joining a later grade is admitted by 編入学 ('admission')",
            field="admission_kind")
    reason = values.text(reason, "reason", max_length=500, required=admission_kind == "admission")
    values.day_in_school_year(on, school_year, "admitted_on")
    require_open_year(year, school_year)
    if klass is None or klass.grade != grade:
        raise errors.UnknownClass(f"class {grade}-{class_name} of {school_year} is not formed", field="class_name")
    values.attendance_number(number)
    if number in klass.numbers_held_from(on):
        raise errors.DuplicateAttendanceNumber(f"出席番号 {number} is taken in class {grade}-{class_name}",
                                               field="number")
    identity = check_identity(identity, on)
    if enrolled_alike and not different_child:
        raise errors.PossibleDuplicate(
            f"student {enrolled_alike[0]} is enrolled at {school.code} with the same name, kana, birth date and "
            "guardian; admit again with different_child if this is another child", field="identity")
    meta = stamp(now, recorded_by, on)
    return [
        StudentAdmitted(
            originator_id=student_id, originator_version=1, **meta,
            school_code=school.code, admission_kind="entrance" if admission_kind == "entrance" else "admission",
            year=school_year, grade=grade, class_name=klass.name, number=number, identity=identity,
            prior_history=values.text(prior_history, "prior_history", max_length=500, required=False),
            reason=reason,
        ),
        ClassMemberJoined(originator_id=streams.school_class(school.code, school_year, grade, klass.name),
                          originator_version=klass.version + 1, **meta, student_id=student_id, number=number),
    ]


def index_admission(admitted: StudentAdmitted, key: UUID, version: int) -> AdmissionIndexed:
    """The admission filed under its identity key (the stream's next version), in the admission's transaction."""
    return AdmissionIndexed(originator_id=key, originator_version=version + 1, recorded_at=admitted.recorded_at,
                            recorded_by=admitted.recorded_by, effective_on=admitted.effective_on,
                            student_id=admitted.originator_id, school_code=admitted.school_code)


def change_identity(student: Student, identity: Identity, reason: str, *, on: date, recorded_by: str,
                    now: datetime) -> IdentityDetailsChanged:
    reason = values.text(reason, "reason", max_length=500)
    identity = check_identity(identity, student.enrolled_since())
    if identity == student.identity:
        raise errors.NothingChanged("the identity details are the same as recorded", field="identity")
    return IdentityDetailsChanged(originator_id=student.id, originator_version=student.version + 1,
                                  recorded_at=now, recorded_by=recorded_by, effective_on=on,
                                  identity=identity, reason=reason)


def _check_active(student: Student, school: School, on: date) -> None:
    if student.status == "withdrawn":
        raise errors.StudentWithdrawn(f"student {student.id} has withdrawn", field="student_id")
    if student.status == "graduated":
        raise errors.StudentGraduated(f"student {student.id} has graduated", field="student_id")
    if student.custodian != school.code:
        raise errors.StudentNotEnrolledAtSchool(f"student {student.id} is not enrolled at {school.code}",
                                                field="student_id")
    if on < student.enrolled_since():
        raise errors.DateBeforeEnrollment(
            f"{on.isoformat()} is before the student's enrollment on {student.enrolled_since()}", field="on")


def _leave_class(student: Student, klass: SchoolClass, reason: LeaveReason, meta: Stamp) -> Event:
    return ClassMemberLeft(
        originator_id=streams.school_class(klass.school_code, klass.year, klass.grade, klass.name),
        originator_version=klass.version + 1, student_id=student.id, reason=reason, **meta)


def grade_in(student: Student, school: School, year: int) -> int:
    """The grade a student was placed in at this school in a school year (records are kept by it)."""
    p = student.placements.get(year)
    if p is None or p.school_code != school.code:
        raise errors.StudentNotEnrolledAtSchool(
            f"student {student.id} was not in a class of {school.code} in school year {year}", field="year")
    return p.grade


def class_of(student: Student, on: date) -> tuple[str, int, int, str]:
    """The class (school, year, grade, name) a student is placed in for the school year of a day."""
    school_year = school_years.year_of(on)
    p = student.placements.get(school_year)
    if p is None:
        raise errors.StudentNotEnrolledAtSchool(
            f"student {student.id} has no class in school year {school_year}", field="student_id")
    return p.school_code, school_year, p.grade, p.class_name


def begin_leave(school: School, year: SchoolYear, student: Student, klass: SchoolClass, reason: str, *,
                on: date, recorded_by: str, now: datetime) -> list[Event]:
    _check_active(student, school, on)
    if student.status == "on_leave":
        raise errors.StudentOnLeave(f"student {student.id} is already on leave", field="student_id")
    require_open_year(year, klass.year)
    meta = stamp(now, recorded_by, on)
    return [
        LeaveOfAbsenceBegan(originator_id=student.id, originator_version=student.version + 1,
                            reason=values.text(reason, "reason", max_length=500), **meta),
        _leave_class(student, klass, "leave", meta),
    ]


def end_leave(school: School, year: SchoolYear, student: Student, klass: SchoolClass, *, on: date,
              number: int | None = None, recorded_by: str, now: datetime) -> list[Event]:
    """Back from 休学 on ``on``, with the old 出席番号 unless another is given (or it was taken)."""
    _check_active(student, school, on)
    if student.status != "on_leave":
        raise errors.StudentNotOnLeave(f"student {student.id} is not on leave", field="student_id")
    require_open_year(year, klass.year)
    last = klass.last_placement(student.id)
    if last is not None and last.left_on is not None and on <= last.left_on:
        raise errors.DateBeforeEnrollment(
            f"the return on {on.isoformat()} is not after the leave that began on {last.left_on}", field="on")
    number = values.attendance_number(number if number is not None else last.number if last else 1)
    if number in klass.numbers_held_from(on):
        raise errors.DuplicateAttendanceNumber(
            f"出席番号 {number} was given to another student during the leave; give the returning student a free one",
            field="number")
    meta = stamp(now, recorded_by, on)
    return [
        LeaveOfAbsenceEnded(originator_id=student.id, originator_version=student.version + 1,
                            **meta),
        ClassMemberJoined(
            originator_id=streams.school_class(klass.school_code, klass.year, klass.grade, klass.name),
            originator_version=klass.version + 1, student_id=student.id, number=number,
            **meta),
    ]


def withdraw(school: School, year: SchoolYear, student: Student, klass: SchoolClass, reason: str, *, on: date,
             recorded_by: str, now: datetime,
             later_classes: Sequence[tuple[SchoolClass, SchoolYear]] = ()) -> list[Event]:
    """退学, on the day the principal approved it; the day is still on the roll, the next is not
    (``off_roll_from``).

    ``later_classes``: the school's classes of years after this one that the child is already placed in
    (next year's class, formed before the year ends); the child comes off them too, from the first day
    of the placement, so they are never on those rolls (as a transfer does, ADR 0025)."""
    _check_active(student, school, on)
    # 退学 is an enrollment event, not a record correction: a sealed year takes it as it takes a transfer
    # (ADR 0025), when the roll changes (from the next day) on none of the days the year counted
    require_move_leaves_sealed_days(year, klass.year, klass.grade, on + timedelta(days=1), "on")
    meta = stamp(now, recorded_by, on)
    events: list[Event] = [
        StudentWithdrew(originator_id=student.id, originator_version=student.version + 1,
                        reason=values.text(reason, "reason", max_length=500), **meta),
        _leave_class(student, klass, "withdrawal", meta),
    ]
    return events + leave_later_classes(later_classes, student, on + timedelta(days=1), "withdrawal", "on",
                                        now=now, recorded_by=recorded_by)


def leave_later_classes(later_classes: Sequence[tuple[SchoolClass, SchoolYear]], student: Student, first_off: date,
                        reason: LeaveReason, field: str, *, now: datetime, recorded_by: str) -> list[Event]:
    """Off each of ``later_classes`` the child is still placed in (next year's class, placed before the
    year ended) from ``first_off`` or the first day of the placement, whichever is later: a child who
    leaves the school is never on those rolls (ADR 0025, 0052). A sealed later year refuses it only if a
    day it counted would change (``field`` names the date in the refusal)."""
    events: list[Event] = []
    for later, later_year in later_classes:
        placed = later.last_placement(student.id)
        if placed is None or placed.left_on is not None:
            continue
        off = max(first_off, placed.joined_on)
        require_move_leaves_sealed_days(later_year, later.year, later.grade, off, field)
        # the event's date is the one ``off_roll_from`` takes to ``off``: the day before, when the reason's
        # own day is still on the roll (a 退学)
        dated = off - timedelta(days=1) if reason in LAST_DAY_ON_ROLL else off
        events.append(_leave_class(student, later, reason, stamp(now, recorded_by, dated)))
    return events


def graduate(school: School, year: SchoolYear, student: Student, klass: SchoolClass, *, on: date,
             recorded_by: str, now: datetime) -> list[Event]:
    """卒業 from the final grade, on the day the principal certified it."""
    _check_active(student, school, on)
    if klass.grade != curriculum.FINAL_GRADE[school.kind]:
        raise errors.GradeOutOfRange(
            f"only grade {curriculum.FINAL_GRADE[school.kind]} graduates; the student is in grade {klass.grade}",
            field="student_id")
    require_open_year(year, klass.year)
    meta = stamp(now, recorded_by, on)
    return [
        StudentGraduated(originator_id=student.id, originator_version=student.version + 1,
                         **meta),
        _leave_class(student, klass, "graduation", meta),
    ]
