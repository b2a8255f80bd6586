"""The decisions about schools, calendars, seals and classes, without a database."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain import errors, school_rules, streams
from domain.school import (
    ClassFormed,
    Closure,
    Member,
    PrincipalAppointed,
    SchoolCalendarSet,
    SchoolDetailsChanged,
    SchoolRegistered,
    SchoolYear,
    Term,
    YearSealed,
    evolve_school,
)
from domain.student import StudentPlacedInClass
from tests import builders as b
from tests.domain.states import (
    CODE,
    FIRST_DAY,
    JH_CODE,
    NOW,
    TERMS,
    YEAR,
    A,
    B,
    fold,
    klass,
    meta,
    school,
    student,
    year,
)

TODAY = date(2026, 4, 10)


def test_a_school_is_registered_with_the_kind_its_code_names() -> None:
    for code, kind in [(CODE, "elementary"), (JH_CODE, "junior_high")]:
        events = school_rules.register_school(None, code, " みどり学校 ", b.BOARD, "鳥取県鳥取市", on=TODAY,
                                              recorded_by="admin", now=NOW)
        assert events == [SchoolRegistered(**meta(streams.school(code), 1, on=TODAY, at=NOW), school_code=code,
                                           name="みどり学校", kind=kind, board_code=b.BOARD, address="鳥取県鳥取市")]


def test_registering_again_records_only_what_changed() -> None:
    registered = school_rules.register_school(None, CODE, "みどり小学校", b.BOARD, "鳥取県鳥取市", on=TODAY,
                                              recorded_by="admin", now=NOW)
    state = fold(evolve_school, registered)

    assert school_rules.register_school(state, CODE, "みどり小学校", b.BOARD, "鳥取県鳥取市", on=TODAY,
                                        recorded_by="admin", now=NOW) == []
    assert school_rules.register_school(state, CODE, "みどり学園小学校", b.BOARD, "鳥取県鳥取市", on=TODAY,
                                        recorded_by="admin", now=NOW) == [
        SchoolDetailsChanged(**meta(streams.school(CODE), 2, on=TODAY, at=NOW), name="みどり学園小学校",
                             board_code=b.BOARD, address="鳥取県鳥取市"),
    ]


def test_a_principal_is_appointed_on_the_school_stream() -> None:
    [event] = school_rules.appoint_principal(school(), "P-0001", "鈴木 一郎", on=TODAY, recorded_by="admin", now=NOW)
    assert event == PrincipalAppointed(**meta(streams.school(CODE), 3, on=TODAY, at=NOW), staff_id="P-0001",
                                       name="鈴木 一郎")
    assert fold(evolve_school, [_registered(), event]).principal_id == "P-0001"


def _registered() -> SchoolRegistered:
    return SchoolRegistered(**meta(streams.school(CODE), 1), school_code=CODE, name="みどり学校", kind="elementary",
                            board_code=b.BOARD)


def test_a_calendar_lists_its_days_once_in_order() -> None:
    days = [date(2026, 4, 8), date(2026, 4, 6), date(2026, 4, 7), date(2026, 4, 6)]
    closure = Closure(on=date(2026, 4, 7), scope="grade", grade=1, reason="学年閉鎖")

    [event] = school_rules.set_calendar(school(), SchoolYear(), YEAR, TERMS, days, [closure], on=TODAY,
                                        recorded_by="admin", now=NOW)

    assert event == SchoolCalendarSet(
        **meta(streams.school_year(CODE, YEAR), 1, on=TODAY, at=NOW), school_code=CODE, year=YEAR, terms=TERMS,
        instructional_days=(date(2026, 4, 6), date(2026, 4, 7), date(2026, 4, 8)), closures=(closure,),
    )


def test_a_new_calendar_replaces_the_old_one_and_two_terms_are_enough() -> None:
    two_terms = (Term(1, date(2026, 4, 6), date(2026, 10, 9)), Term(2, date(2026, 10, 13), date(2027, 3, 24)))

    [event] = school_rules.set_calendar(school(), year(), YEAR, two_terms, b.SCHOOL_DAYS, [], on=TODAY,
                                        recorded_by="admin", now=NOW)

    assert (event.originator_version, event.terms) == (2, two_terms)


def test_a_put_of_what_stands_records_nothing_the_principal_the_calendar_the_class() -> None:
    assert school_rules.appoint_principal(school(), b.PRINCIPAL, "田中 一郎", on=FIRST_DAY, recorded_by="admin",
                                          now=NOW) == []
    days = [*reversed(b.SCHOOL_DAYS), b.SCHOOL_DAYS[0]]  # the same days, in another order
    assert school_rules.set_calendar(school(), year(), YEAR, TERMS, days, [], on=TODAY, recorded_by="admin",
                                     now=NOW) == []
    formed = klass(members=())
    assert school_rules.form_class(school(), year(), formed, YEAR, 3, "1", b.STAFF, " 山田 花子 ", [],
                                   on=formed.formed_on or TODAY, recorded_by="admin", now=NOW) == []
    with pytest.raises(errors.ClassAlreadyFormed):
        school_rules.form_class(school(), year(), formed, YEAR, 3, "1", b.STAFF, "山田 花子", [],
                                on=TODAY, recorded_by="admin", now=NOW)


def test_sealing_a_year_records_the_day_and_closes_it() -> None:
    event = school_rules.seal_year(school(), year(), YEAR, on=date(2027, 3, 25), recorded_by="P-0001", now=NOW)

    assert event == YearSealed(**meta(streams.school_year(CODE, YEAR), 2, on=date(2027, 3, 25), by="P-0001", at=NOW),
                               school_code=CODE, year=YEAR)
    assert year(sealed=True).sealed_on == date(2027, 3, 25)


def test_a_class_of_the_new_year_places_its_students() -> None:
    """Next year's 4-1 takes the students of this year's 3-1 (their 2026 placement stays)."""
    a, b_ = student(A), student(B, number=2)
    next_year = SchoolYear()  # no calendar yet: classes are formed before it is set

    events = school_rules.form_class(school(), next_year, None, 2027, 4, "1", "T-0002", "田中 次郎",
                                     [(b_, 1), (a, 2)], on=date(2027, 4, 6), recorded_by="admin", now=NOW)

    stream = streams.school_class(CODE, 2027, 4, "1")
    common: dict[str, Any] = dict(recorded_at=NOW, recorded_by="admin", effective_on=date(2027, 4, 6))
    assert events == [
        ClassFormed(originator_id=stream, originator_version=1, **common, school_code=CODE, year=2027, grade=4,
                    class_name="1", homeroom_teacher_id="T-0002", homeroom_teacher_name="田中 次郎",
                    members=(Member(B, 1), Member(A, 2))),
        StudentPlacedInClass(originator_id=B, originator_version=2, **common, school_code=CODE, year=2027, grade=4,
                             class_name="1", number=1),
        StudentPlacedInClass(originator_id=A, originator_version=2, **common, school_code=CODE, year=2027, grade=4,
                             class_name="1", number=2),
    ]


def test_a_student_already_in_a_class_of_the_year_is_not_placed_again() -> None:
    with pytest.raises(errors.StudentAlreadyInAClass) as refused:
        school_rules.form_class(school(), year(), None, YEAR, 3, "2", "T-0002", "田中 次郎", [(student(A), 1)],
                                on=date(2026, 4, 6), recorded_by="admin", now=NOW)
    assert refused.value.field == "students[0].student_id"


def test_a_class_is_formed_once() -> None:
    with pytest.raises(errors.ClassAlreadyFormed):
        school_rules.form_class(school(), year(), klass(), YEAR, 3, "1", "T-0002", "田中 次郎", [],
                                on=date(2026, 4, 6), recorded_by="admin", now=NOW)


def test_a_school_closure_names_no_grade() -> None:
    with pytest.raises(errors.InvalidClosure) as refused:
        school_rules.set_calendar(school(), SchoolYear(), YEAR, TERMS, b.SCHOOL_DAYS,
                                  [Closure(on=date(2026, 4, 7), scope="school", grade=1, reason="台風")],
                                  on=TODAY, recorded_by="admin", now=NOW)
    assert refused.value.field == "closures[0]"
