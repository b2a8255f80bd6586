"""The decisions about a student's enrollment, without a database: each one that takes a student
on or off a class's roll decides the class's event too."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import msgspec
import pytest

from domain import enrollment_rules, errors, streams
from domain.school import ClassMemberJoined, ClassMemberLeft, evolve_class
from domain.student import (
    Guardian,
    Identity,
    IdentityDetailsChanged,
    LeaveOfAbsenceBegan,
    LeaveOfAbsenceEnded,
    StudentAdmitted,
    StudentGraduated,
    StudentWithdrew,
    evolve_student,
)
from tests.domain.states import (
    CODE,
    NOW,
    YEAR,
    A,
    B,
    C,
    admitted,
    class_events,
    fold,
    identity,
    klass,
    school,
    student,
    year,
)

CLASS_3_1 = streams.school_class(CODE, YEAR, 3, "1")
ON = date(2026, 5, 11)
COMMON: dict[str, Any] = dict(recorded_at=NOW, recorded_by="principal", effective_on=ON)


def test_an_admission_records_the_student_and_their_place_on_the_class_roll() -> None:
    typed = Identity(
        # a name with spaces around it, and a kana typed with a combining voiced mark (か + ゛)
        family_name=" 佐藤 ", given_name="陽翔", family_name_kana="さとう", given_name_kana="はるか\u3099",
        sex="male", birth_date=date(2017, 6, 1), address="鳥取県鳥取市東町1-220",
        guardian=Guardian(name="佐藤 健", name_kana="さとう けん", relation="父"),
    )

    events = enrollment_rules.admit(school(), year(), klass(), None, C, "admission", YEAR, 3, "1", 3, typed, "",
                                    "市外からの転居", on=ON, recorded_by="registrar", now=NOW)

    stored = Identity(family_name="佐藤", given_name="陽翔", family_name_kana="さとう", given_name_kana="はるが",
                      sex="male", birth_date=date(2017, 6, 1), address="鳥取県鳥取市東町1-220",
                      guardian=Guardian(name="佐藤 健", name_kana="さとう けん", relation="父"))
    common = {**COMMON, "recorded_by": "registrar"}
    assert events == [
        StudentAdmitted(originator_id=C, originator_version=1, **common, school_code=CODE, admission_kind="admission",
                        year=YEAR, grade=3, class_name="1", number=3, identity=stored, reason="市外からの転居"),
        ClassMemberJoined(originator_id=CLASS_3_1, originator_version=4, **common, student_id=C, number=3),
    ]
    assert fold(evolve_class, [*class_events(), events[1]]).members_on(ON) == {A: 1, B: 2, C: 3}


def test_an_entrance_is_into_grade_1_and_needs_no_reason() -> None:
    events = enrollment_rules.admit(school(), year(), klass(grade=1, members=()), None, C, "entrance", YEAR, 1, "1",
                                    1, identity(born=date(2019, 6, 1)), "みどり保育園", "", on=date(2026, 4, 6),
                                    recorded_by="registrar", now=NOW)
    admitted = events[0]
    assert isinstance(admitted, StudentAdmitted)
    assert (admitted.admission_kind, admitted.grade, admitted.prior_history, admitted.reason) == (
        "entrance", 1, "みどり保育園", "")
    assert events[1] == ClassMemberJoined(originator_id=streams.school_class(CODE, YEAR, 1, "1"),
                                          originator_version=2, recorded_at=NOW, recorded_by="registrar",
                                          effective_on=date(2026, 4, 6), student_id=C, number=1)


def test_a_withdrawal_takes_the_student_off_the_roll_from_the_day_after() -> None:
    events = enrollment_rules.withdraw(school(), year(), student(B, number=2), klass(), " 海外転出のため ", on=ON,
                                       recorded_by="principal", now=NOW)

    assert events == [
        StudentWithdrew(originator_id=B, originator_version=2, **COMMON, reason="海外転出のため"),
        ClassMemberLeft(originator_id=CLASS_3_1, originator_version=4, **COMMON, student_id=B, reason="withdrawal"),
    ]
    after = fold(evolve_class, [*class_events(), events[1]])
    assert after.members_on(date(2026, 5, 8)) == {A: 1, B: 2}
    assert after.members_on(ON) == {A: 1, B: 2}  # the day the 校長 approved it is still on the roll (ADR 0024)
    assert after.members_on(ON + timedelta(days=1)) == {A: 1}
    withdrawn = fold(evolve_student, [admitted(B, number=2), events[0]])
    assert (withdrawn.status, withdrawn.custodian, withdrawn.enrollments[-1].ended_because) == (
        "withdrawn", None, "withdrawal")


def test_a_leave_takes_the_student_off_the_roll_and_the_return_puts_them_back_with_their_number() -> None:
    began = enrollment_rules.begin_leave(school(), year(), student(B, number=2), klass(), "長期療養のため", on=ON,
                                         recorded_by="principal", now=NOW)
    assert began == [
        LeaveOfAbsenceBegan(originator_id=B, originator_version=2, **COMMON, reason="長期療養のため"),
        ClassMemberLeft(originator_id=CLASS_3_1, originator_version=4, **COMMON, student_id=B, reason="leave"),
    ]
    on_leave = student(B, number=2, more=[began[0]])
    away = klass(more=[began[1]])
    back_on = date(2026, 6, 1)

    ended = enrollment_rules.end_leave(school(), year(), on_leave, away, on=back_on, recorded_by="principal",
                                       now=NOW)

    back = {**COMMON, "effective_on": back_on}
    assert ended == [
        LeaveOfAbsenceEnded(originator_id=B, originator_version=3, **back),
        ClassMemberJoined(originator_id=CLASS_3_1, originator_version=5, **back, student_id=B, number=2),
    ]
    again = klass(more=[began[1], ended[1]])
    assert again.members_on(date(2026, 5, 20)) == {A: 1}
    assert again.members_on(back_on) == {A: 1, B: 2}


def test_graduation_is_from_the_final_grade_only() -> None:
    sixth = klass(grade=6)
    on = date(2027, 3, 19)
    events = enrollment_rules.graduate(school(), year(), student(A, grade=6), sixth, on=on, recorded_by="principal",
                                       now=NOW)
    graduated = {**COMMON, "effective_on": on}
    assert events == [
        StudentGraduated(originator_id=A, originator_version=2, **graduated),
        ClassMemberLeft(originator_id=streams.school_class(CODE, YEAR, 6, "1"), originator_version=4, **graduated,
                        student_id=A, reason="graduation"),
    ]
    with pytest.raises(errors.GradeOutOfRange):
        enrollment_rules.graduate(school(), year(), student(A, grade=5), klass(grade=5), on=on,
                                  recorded_by="principal", now=NOW)


def test_an_identity_change_records_the_identity_as_it_now_stands() -> None:
    moved = msgspec.structs.replace(identity(1, born=date(2017, 6, 1)), address="鳥取県米子市本町1-1")

    event = enrollment_rules.change_identity(student(A), moved, "転居", on=ON, recorded_by="registrar", now=NOW)

    assert event == IdentityDetailsChanged(originator_id=A, originator_version=2, recorded_at=NOW,
                                           recorded_by="registrar", effective_on=ON, identity=moved, reason="転居")
    assert fold(evolve_student, [admitted(A), event]).identity.address == "鳥取県米子市本町1-1"


def test_the_age_of_a_child_is_judged_on_the_day_of_admission() -> None:
    """A child is 5 to 16: on 2026-04-06, one born 2009-04-07 is 16 and one born 2009-04-06 is 17."""
    for born, accepted in [(date(2009, 4, 7), True), (date(2009, 4, 6), False), (date(2021, 4, 6), True),
                           (date(2021, 4, 7), False)]:
        child = identity(born=born)
        if accepted:
            assert enrollment_rules.check_identity(child, date(2026, 4, 6)) == child
        else:
            with pytest.raises(errors.ImplausibleBirthDate):
                enrollment_rules.check_identity(child, date(2026, 4, 6))
