"""Edge cases the first domain tests found broken, kept as regression tests.

Malformed ids, 出席番号 held across a leave or a backdated admission, a return dated before the
leave, a withdrawal during a leave, and coded values sent as plain data (as the API sends them).
"""

from __future__ import annotations

from datetime import date

import pytest

from domain import enrollment_rules, errors
from domain.event import Event
from domain.ledger import Ledger
from domain.school import evolve_class
from domain.student import Student
from tests import builders as b
from tests.domain.states import NOW, A, B, C, class_events, fold, identity, klass, school, student, year

ON_LEAVE = date(2026, 5, 11)
BACK = date(2026, 6, 1)


def test_a_roll_naming_a_malformed_student_id_is_refused_with_its_field(ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    ids = b.class_with_students(ledger, count=1)
    with pytest.raises(errors.LedgerError) as refused:
        ledger.record_roll(b.ELEMENTARY, b.YEAR, 1, "1", on=date(2026, 4, 7),
                           marks=[(ids[0], {"code": "present"}), ("student-2", {"code": "present"})],
                           recorded_by=b.STAFF)
    assert refused.value.field == "marks[1].student_id"


def test_a_class_naming_a_malformed_student_id_is_refused_with_its_field(ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    with pytest.raises(errors.UnknownStudent) as refused:
        ledger.form_class(b.ELEMENTARY, b.YEAR, 1, "1", homeroom_teacher_id=b.STAFF, homeroom_teacher_name="山田 花子",
                          students=[("student-1", 1)], on=date(2026, 4, 6), recorded_by="admin")
    assert refused.value.field == "students[0].student_id"


def _leave_then_newcomer() -> tuple[list[Event], Student]:
    """Class 3-1 with A (1) and B (2); B goes on leave and a newcomer C is given the free number 2.

    Returns the class's events and B on leave."""
    events = class_events(members=[A, B])
    began = enrollment_rules.begin_leave(school(), year(), student(B, number=2), fold(evolve_class, events), "療養",
                                         on=ON_LEAVE, recorded_by="principal", now=NOW)
    events.append(began[1])
    admitted = enrollment_rules.admit(school(), year(), fold(evolve_class, events), None, C, "admission", 2026, 3,
                                      "1", 2, identity(3), "", "転居", on=date(2026, 5, 18), recorded_by="registrar",
                                      now=NOW)
    events.append(admitted[1])
    return events, student(B, number=2, more=[began[0]])


def test_a_number_freed_by_a_leave_can_be_given_to_a_newcomer() -> None:
    """The admission the next test builds on is accepted today."""
    events, _ = _leave_then_newcomer()
    assert fold(evolve_class, events).members_on(date(2026, 5, 18)) == {A: 1, C: 2}


def test_a_student_back_from_leave_does_not_share_an_attendance_number() -> None:
    events, on_leave = _leave_then_newcomer()
    try:
        ended = enrollment_rules.end_leave(school(), year(), on_leave, fold(evolve_class, events), on=BACK,
                                           recorded_by="principal", now=NOW)
    except errors.DuplicateAttendanceNumber:
        return  # refusing (so that a free number is given) is a fix too
    numbers = list(fold(evolve_class, [*events, ended[1]]).members_on(BACK).values())
    assert len(numbers) == len(set(numbers)), f"出席番号 shared on {BACK}: {sorted(numbers)}"


def test_a_backdated_admission_cannot_take_a_number_held_from_a_later_day() -> None:
    later = klass(members=[A])
    joined = enrollment_rules.admit(school(), year(), later, None, B, "admission", 2026, 3, "1", 7, identity(2), "",
                                    "転居", on=date(2026, 4, 20), recorded_by="registrar", now=NOW)
    with_b = fold(evolve_class, [*class_events(members=[A]), joined[1]])

    with pytest.raises(errors.DuplicateAttendanceNumber):
        enrollment_rules.admit(school(), year(), with_b, None, C, "admission", 2026, 3, "1", 7, identity(3), "",
                               "転居", on=date(2026, 4, 10), recorded_by="registrar", now=NOW)


def test_a_return_from_leave_cannot_be_dated_before_the_leave() -> None:
    began = enrollment_rules.begin_leave(school(), year(), student(B, number=2), klass(), "療養", on=ON_LEAVE,
                                         recorded_by="principal", now=NOW)
    with pytest.raises(errors.LedgerError):
        enrollment_rules.end_leave(school(), year(), student(B, number=2, more=[began[0]]),
                                   klass(more=[began[1]]), on=date(2026, 5, 1), recorded_by="principal", now=NOW)


def test_a_student_who_withdrew_during_a_leave_is_refused_from_a_roll_as_withdrawn(ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    ids = b.class_with_students(ledger, count=2)
    ledger.begin_leave(ids[1], on=date(2026, 4, 8), reason="療養", recorded_by="principal")
    ledger.withdraw(ids[1], on=date(2026, 4, 13), reason="海外転出のため", recorded_by="principal")

    with pytest.raises(errors.StudentWithdrawn):
        ledger.record_roll(b.ELEMENTARY, b.YEAR, 1, "1", on=date(2026, 4, 14),
                           marks=[(sid, {"code": "present"}) for sid in ids], recorded_by=b.STAFF)


def test_an_unknown_mark_code_sent_as_plain_data_is_refused_by_its_own_rule(ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    ids = b.class_with_students(ledger, count=1)
    with pytest.raises(errors.UnknownMarkCode):
        ledger.record_roll(b.ELEMENTARY, b.YEAR, 1, "1", on=date(2026, 4, 7), marks=[(ids[0], {"code": "holiday"})],
                           recorded_by=b.STAFF)


def test_an_unknown_tooth_code_sent_as_plain_data_names_the_tooth(ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    ids = b.class_with_students(ledger, count=1)
    with pytest.raises(errors.LedgerError) as refused:
        ledger.record_dental_exam(ids[0], b.YEAR, examined_on=date(2026, 5, 11), recorded_by="dentist",
                                  examination={"jaw": 0, "bite": 0, "plaque": 0, "gums": 0, "teeth": {"UR6": "Z"}})
    assert refused.value.field == "examination.teeth.UR6"
