"""The attendance decisions, without a database: given folded states, a roll or a correction
decides exactly these events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain import errors, streams
from domain.attendance import (
    AUTHORITIES,
    MARK_CODES,
    AttendanceCorrected,
    AttendanceMarked,
    Mark,
    check_mark,
    correct_mark,
    take_roll,
)
from domain.school import ClassMemberJoined, Closure
from domain.values import JST
from tests.domain.states import CODE, DAY, NOW, YEAR, A, B, C, klass, left, meta, school, year

NEXT_DAY = date(2026, 4, 8)


def marked(student_id: object, mark: Mark, *, day: date = DAY, grade: int = 3) -> AttendanceMarked:
    return AttendanceMarked(
        originator_id=streams.attendance(student_id, day), originator_version=1,  # type: ignore[arg-type]
        recorded_at=NOW, recorded_by="T-0001", effective_on=day,
        student_id=student_id, school_code=CODE, year=YEAR, grade=grade, class_name="1", mark=mark,  # type: ignore[arg-type]
    )


def test_a_roll_decides_one_first_event_per_student_day() -> None:
    marks = [(A, Mark(code="present")), (B, Mark(code="late", reason="通院"))]

    events = take_roll(year(), klass(), DAY, marks, recorded_by="T-0001", now=NOW)

    assert events == [marked(A, Mark(code="present")), marked(B, Mark(code="late", reason="通院"))]


def test_a_roll_keeps_the_order_it_was_given() -> None:
    marks = [(B, Mark(code="mourning", reason="祖母の葬儀")), (A, Mark(code="present"))]

    events = take_roll(year(), klass(), DAY, marks, recorded_by="T-0001", now=NOW)

    assert [e.student_id for e in events] == [B, A]


def test_every_excused_mark_with_what_it_needs_is_accepted() -> None:
    for authority in sorted(AUTHORITIES):
        assert check_mark(Mark(code="suspended", authority=authority), "mark").authority == authority
    assert check_mark(Mark(code="deemed_present", facility="フリースクール"), "mark").facility == "フリースクール"
    for code in sorted(set(MARK_CODES) - {"suspended", "deemed_present"}):
        assert check_mark(Mark(code=code), "mark") == Mark(code=code)


def test_a_student_who_withdrew_is_on_the_roll_that_day_and_off_it_from_the_next() -> None:
    """ADR 0024 (reference §2.1 row 6): 退学 is dated the day the 校長 approved it, a school day of the child."""
    base = klass()
    withdrawn = klass(more=[left(base, B, DAY, "withdrawal")])

    with pytest.raises(errors.StudentMissingFromRoll):
        take_roll(year(), withdrawn, DAY, [(A, Mark(code="present"))], recorded_by="T-0001", now=NOW)
    assert take_roll(year(), withdrawn, DAY, [(A, Mark(code="present")), (B, Mark(code="present"))],
                     recorded_by="T-0001", now=NOW)
    assert take_roll(year(), withdrawn, NEXT_DAY, [(A, Mark(code="present"))], recorded_by="T-0001",
                     now=NOW) == [marked(A, Mark(code="present"), day=NEXT_DAY)]
    with pytest.raises(errors.StudentWithdrawn):
        take_roll(year(), withdrawn, NEXT_DAY, [(A, Mark(code="present")), (B, Mark(code="present"))],
                  recorded_by="T-0001", now=NOW)


def test_a_student_who_joins_later_is_on_the_roll_from_that_day_only() -> None:
    stream = streams.school_class(CODE, YEAR, 3, "1")
    joined = klass(more=[ClassMemberJoined(**meta(stream, 4, on=NEXT_DAY), student_id=C, number=3)])
    assert joined.members_on(DAY) == {A: 1, B: 2}
    assert joined.members_on(NEXT_DAY) == {A: 1, B: 2, C: 3}

    assert len(take_roll(year(), joined, DAY, [(A, Mark(code="present")), (B, Mark(code="present"))],
                         recorded_by="T-0001", now=NOW)) == 2
    with pytest.raises(errors.StudentNotInClass) as refused:
        take_roll(year(), joined, DAY, [(A, Mark(code="present")), (B, Mark(code="present")),
                                        (C, Mark(code="present"))], recorded_by="T-0001", now=NOW)
    assert refused.value.field == "marks[2].student_id"
    with pytest.raises(errors.StudentMissingFromRoll):
        take_roll(year(), joined, NEXT_DAY, [(A, Mark(code="present")), (B, Mark(code="present"))],
                  recorded_by="T-0001", now=NOW)


def test_closures_of_the_school_of_the_grade_and_of_the_class_refuse_the_roll() -> None:
    marks = [(A, Mark(code="present")), (B, Mark(code="present"))]
    school_closed = Closure(on=DAY, scope="school", reason="台風による臨時休業")
    grade_closed = Closure(on=DAY, scope="grade", grade=3, reason="学年閉鎖")
    class_closed = Closure(on=DAY, scope="class", grade=3, class_name="1", reason="学級閉鎖")

    for closure, error in [(school_closed, errors.NotAnInstructionalDay), (grade_closed, errors.NotAnInstructionalDay),
                           (class_closed, errors.ClassClosedThatDay)]:
        with pytest.raises(error) as refused:
            take_roll(year(closures=[closure]), klass(), DAY, marks, recorded_by="T-0001", now=NOW)
        assert refused.value.field == "date"


def test_a_closure_of_another_grade_or_class_leaves_the_day_open() -> None:
    marks = [(A, Mark(code="present")), (B, Mark(code="present"))]
    others = [Closure(on=DAY, scope="grade", grade=4, reason="学年閉鎖"),
              Closure(on=DAY, scope="class", grade=3, class_name="2", reason="学級閉鎖"),
              Closure(on=NEXT_DAY, scope="school", reason="台風による臨時休業")]

    assert len(take_roll(year(closures=others), klass(), DAY, marks, recorded_by="T-0001", now=NOW)) == 2


def test_a_roll_in_a_sealed_year_is_refused_before_anything_else() -> None:
    with pytest.raises(errors.YearIsSealed):
        take_roll(year(sealed=True), klass(), date(2026, 4, 11), [], recorded_by="T-0001", now=NOW)


def test_a_correction_replaces_the_latest_mark_of_the_day() -> None:
    k = klass()
    CLASS_1_1 = dict(school_code=k.school_code, year=k.year, grade=k.grade, class_name=k.name)  # noqa: N806
    first = marked(A, Mark(code="present"))

    correction = correct_mark(school(), year(), klass(), [first], A, DAY, Mark(code="absent_illness", reason="発熱"),
                              reason=" 欠席の連絡が後から届いた ", approved_by=None, recorded_by="T-0002", now=NOW)

    assert correction == AttendanceCorrected(
        **meta(streams.attendance(A, DAY), 2, on=DAY, by="T-0002", at=NOW),
        corrects_version=1, reason="欠席の連絡が後から届いた", approved_by=None,
        student_id=A, mark=Mark(code="absent_illness", reason="発熱"), **CLASS_1_1,
    )

    again = correct_mark(school(), year(sealed=True), klass(), [first, correction], A, DAY, Mark(code="present"),
                         reason="再訂正", approved_by="P-0001", recorded_by="T-0002", now=NOW)

    assert again == AttendanceCorrected(
        **meta(streams.attendance(A, DAY), 3, on=DAY, by="T-0002", at=NOW),
        corrects_version=2, reason="再訂正", approved_by="P-0001", student_id=A, mark=Mark(code="present"),
        **CLASS_1_1,
    )


def test_a_correction_is_judged_like_a_mark() -> None:
    with pytest.raises(errors.MarkNeedsFacility) as refused:
        correct_mark(school(), year(), klass(), [marked(A, Mark(code="present"))], A, DAY, Mark(code="deemed_present"),
                     reason="記入誤り", approved_by=None, recorded_by="T-0002", now=NOW)
    assert refused.value.field == "mark.facility"


def test_a_correction_without_history_is_refused() -> None:
    with pytest.raises(errors.NoMarkToCorrect):
        correct_mark(school(), year(), klass(), [], A, DAY, Mark(code="present"), reason="記入誤り", approved_by=None,
                     recorded_by="T-0002", now=NOW)


# ---------------------------------------------------------------- days that have not come

def _at_jst(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=JST).astimezone(UTC)


def test_a_roll_of_a_day_that_has_not_come_in_japan_is_refused_with_its_own_rule() -> None:
    marks = [(A, Mark(code="present")), (B, Mark(code="present"))]
    eve = _at_jst(DAY - timedelta(days=1), 23, 59)  # 14:59 UTC on the same date as the day's 00:00 in Japan
    with pytest.raises(errors.DateInTheFuture) as refused:
        take_roll(year(), klass(), DAY, marks, recorded_by="T-0001", now=eve)
    assert (refused.value.rule, refused.value.field) == ("date-in-the-future", "date")
    assert take_roll(year(), klass(), DAY, marks, recorded_by="T-0001", now=_at_jst(DAY, 0, 0))


def test_a_correction_of_a_day_that_has_not_come_is_refused() -> None:
    first = marked(A, Mark(code="present"))
    with pytest.raises(errors.DateInTheFuture):
        correct_mark(school(), year(), klass(), [first], A, DAY, Mark(code="late"), reason="訂正", approved_by=None,
                     recorded_by="T-0001", now=_at_jst(DAY - timedelta(days=1), 12))
    assert correct_mark(school(), year(), klass(), [first], A, DAY, Mark(code="late"), reason="訂正", approved_by=None,
                        recorded_by="T-0001", now=_at_jst(DAY, 8)).mark == Mark(code="late")
