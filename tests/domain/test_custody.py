"""Custody of a child's record (domain/custody.py): the periods, who held the child on a day, who
writes a day's records, how each school reads each period and up to which point."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain import custody, errors
from domain.custody import ABSTRACT, COPY, ORIGINAL, Period
from domain.ledger import Ledger
from tests import builders as b

A, B, J = b.ELEMENTARY, b.OTHER_ELEMENTARY, b.JUNIOR_HIGH
FIRST, LAST = date(2026, 4, 1), date(2027, 3, 31)


def _there_and_back(ledger: Ledger) -> UUID:
    """A child of A who moves to B in June and back to A in October of the same school year."""
    b.school_with_calendar(ledger, A)
    b.school_with_calendar(ledger, B, name="鳥取市立うみ小学校")
    [sid] = b.class_with_students(ledger, A, count=1)
    ledger.form_class(B, b.YEAR, 1, "1", homeroom_teacher_id="T-0100", homeroom_teacher_name="岡 正子",
                      on=date(2026, 4, 6), recorded_by="admin")
    ledger.hand_over(sid, kind="transfer", to_school=B, left_on=date(2026, 6, 5), accepted_on=date(2026, 6, 8),
                     year=b.YEAR, grade=1, reason="転居", class_name="1", number=2, recorded_by="registrar")
    ledger.hand_over(sid, kind="transfer", to_school=A, left_on=date(2026, 10, 2), accepted_on=date(2026, 10, 5),
                     year=b.YEAR, grade=1, reason="転居", class_name="1", number=2, recorded_by="registrar")
    return sid


def test_a_child_who_moves_there_and_back_within_a_year_has_three_periods_each_its_own(ledger: Ledger) -> None:
    sid = _there_and_back(ledger)
    student = ledger.student(sid)
    periods = custody.periods(student)
    assert [(p.school_code, p.began_on, p.ended_on, p.came_by) for p in periods] == [
        (A, date(2026, 4, 6), date(2026, 6, 7), ""), (B, date(2026, 6, 8), date(2026, 10, 4), "transfer"),
        (A, date(2026, 10, 5), None, "transfer")]
    # the hand-overs that ended the first two periods are the student's events 2 (A→B) and 3 (B→A)
    assert [p.passed_at for p in periods] == [2, 3, None]
    assert custody.holder(periods) == A
    assert [(c.school_code, c.since) for c in student.classes] == [
        (A, date(2026, 4, 6)), (B, date(2026, 6, 8)), (A, date(2026, 10, 5))]


def test_the_school_that_held_the_child_on_a_day_is_the_only_one_that_writes_it_while_it_holds_them(
        ledger: Ledger) -> None:
    periods = custody.periods(ledger.student(_there_and_back(ledger)))
    assert custody.school_on(periods, date(2026, 5, 1)) == A
    assert custody.school_on(periods, date(2026, 7, 1)) == B
    assert custody.school_on(periods, date(2026, 11, 2)) == A
    # A holds the child again: it writes its own days of both periods, and nobody writes B's days.
    assert custody.writer(periods, date(2026, 5, 1)) == A
    assert custody.writer(periods, date(2026, 7, 1)) is None
    assert custody.writer(periods, date(2026, 11, 2)) == A
    assert custody.writer(periods) == A


def test_after_a_transfer_the_sending_schools_days_are_written_by_nobody() -> None:
    periods = [Period(A, date(2026, 4, 6), date(2026, 6, 7), passed_at=3),
               Period(B, date(2026, 6, 8), came_by="transfer")]
    assert custody.writer(periods, date(2026, 5, 1)) is None  # A's originals are read-only; B never held that day
    assert custody.writer(periods, date(2026, 6, 8)) == B
    assert custody.passed_at(periods, A) == 3
    assert custody.passed_at(periods, B) is None


def test_a_reader_in_the_middle_of_there_and_back_reads_the_first_period_as_the_copy(ledger: Ledger) -> None:
    """A→B→A in one year: B reads A's first period as the copy it received, A's later period not at all."""
    periods = custody.periods(ledger.student(_there_and_back(ledger)))
    assert custody.modes(periods, B) == (COPY, ORIGINAL, None)
    assert custody.mode(periods, B, A, FIRST, LAST) == COPY
    assert custody.mode(periods, B, B, FIRST, LAST) == ORIGINAL
    assert custody.modes(periods, A) == (ORIGINAL, COPY, ORIGINAL)
    assert custody.mode(periods, A, B, FIRST, LAST) == COPY
    assert custody.modes(periods, None) == (ORIGINAL, ORIGINAL, ORIGINAL)
    assert custody.modes(periods, "B131220000999") == (None, None, None)
    assert custody.sees_first_period(periods, B)
    assert not custody.sees_first_period(periods, "B131220000999")


def test_an_advancement_between_makes_every_earlier_period_an_abstract_and_a_copy_of_a_copy_stays_a_copy() -> None:
    periods = [Period(A, date(2021, 4, 6), date(2024, 6, 7), passed_at=5),
               Period(B, date(2024, 6, 8), date(2027, 3, 19), came_by="transfer", passed_at=9),
               Period(J, date(2027, 4, 7), came_by="advancement")]
    assert custody.modes(periods, B) == (COPY, ORIGINAL, None)
    assert custody.modes(periods, J) == (ABSTRACT, ABSTRACT, ORIGINAL)
    assert custody.modes(periods, A) == (ORIGINAL, None, None)
    assert custody.schools(periods) == [A, B, J]


def test_a_move_out_of_the_ledger_leaves_no_school_here_holding_the_child() -> None:
    periods = [Period(A, date(2026, 4, 6), date(2026, 6, 7), passed_at=2),
               Period("B127210000017", date(2026, 6, 8), came_by="transfer", external=True)]
    assert custody.holder(periods) is None
    assert custody.writer(periods, date(2026, 5, 1)) is None
    assert custody.writer(periods) is None
    assert custody.school_on(periods, date(2026, 7, 1)) is None
    assert custody.schools(periods) == [A]
    assert custody.passed_at(periods, A) == 2


def test_a_graduate_stays_with_the_school_they_graduated_from_until_handed_over() -> None:
    periods = [Period(A, date(2021, 4, 6), date(2027, 3, 19))]
    assert custody.holder(periods) == A
    assert custody.writer(periods, date(2027, 3, 25)) == A  # the days after graduation are still A's (its seal)


def test_a_correction_is_judged_by_the_school_that_recorded_the_original_not_the_one_holding_the_child(
        ledger: Ledger) -> None:
    """After A→B, A's sealed year still needs A's principal's approval for a correction of what A recorded."""
    b.school_with_calendar(ledger, A)
    b.school_with_calendar(ledger, B, name="鳥取市立うみ小学校")
    [sid] = b.class_with_students(ledger, A, count=1)
    ledger.form_class(B, b.YEAR, 1, "1", homeroom_teacher_id="T-0100", homeroom_teacher_name="岡 正子",
                      on=date(2026, 4, 6), recorded_by="admin")
    viewpoints = {"knowledge": "A", "thinking": "B", "attitude": "B"}
    ledger.record_assessment(sid, b.YEAR, subject="japanese", viewpoints=viewpoints, term=1, on=date(2026, 5, 15),
                             recorded_by="T-0001")
    ledger.hand_over(sid, kind="transfer", to_school=B, left_on=date(2026, 6, 5), accepted_on=date(2026, 6, 8),
                     year=b.YEAR, grade=1, reason="転居", class_name="1", number=2, recorded_by="registrar")
    ledger.seal_year(A, b.YEAR, recorded_by=b.PRINCIPAL)
    position = ledger.position()
    with pytest.raises(errors.CorrectionNeedsApproval):
        ledger.correct_assessment(sid, b.YEAR, corrects_version=1, viewpoints=viewpoints, reason="転記誤り",
                                  recorded_by="P-0002")
    assert ledger.position() == position
