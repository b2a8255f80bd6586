"""The assessment and year-record decisions, without a database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import curriculum, errors, streams
from domain.assessment import (
    AssessmentCorrected,
    AssessmentRecorded,
    Viewpoints,
    YearRecord,
    YearRecordCorrected,
    YearRecordEntered,
    check_assessment,
    correct_assessment,
    correct_year_record,
    enter_year_record,
    record_assessment,
)
from tests.domain.states import CODE, JH_CODE, NOW, YEAR, A, meta, school, student, year

TERM_END = date(2026, 7, 17)
YEAR_END = date(2027, 3, 19)
VP = Viewpoints(knowledge="A", thinking="B", attitude="A")

# 評定 as the 2019 指導要録 notice documents it: none in 小1–2, 3-point in 小3–6, 5-point at 中学校.
DOCUMENTED_SCALE: dict[tuple[str, int], set[int] | None] = {
    **{("elementary", g): None for g in (1, 2)},
    **{("elementary", g): {1, 2, 3} for g in (3, 4, 5, 6)},
    **{("junior_high", g): {1, 2, 3, 4, 5} for g in (1, 2, 3)},
}


def recorded(version: int, *, term: int | None = 1, subject: str = "japanese", rating: int | None = None,
             grade: int = 3, on: date = TERM_END) -> AssessmentRecorded:
    return AssessmentRecorded(**meta(streams.assessments(A, YEAR), version, on=on, by="T-0001", at=NOW),
                              student_id=A, school_code=CODE, year=YEAR, grade=grade, term=term, subject=subject,
                              viewpoints=VP, rating=rating)


def test_an_assessment_is_the_next_event_of_the_students_year() -> None:
    history = [recorded(1), recorded(2, subject="arithmetic")]

    event = record_assessment(school(), year(), student(), history, YEAR, None, "japanese", VP, 2, on=YEAR_END,
                              recorded_by="T-0001", now=NOW)

    assert event == recorded(3, term=None, rating=2, on=YEAR_END)


def test_the_grade_of_an_assessment_is_the_students_grade_that_year() -> None:
    event = record_assessment(school(), year(), student(grade=5), [], YEAR, 2, "home_economics", VP, None,
                              on=date(2026, 12, 18), recorded_by="T-0001", now=NOW)
    assert (event.grade, event.term, event.subject, event.rating) == (5, 2, "home_economics", None)


def test_the_same_subject_in_another_term_is_a_new_assessment() -> None:
    event = record_assessment(school(), year(), student(), [recorded(1)], YEAR, 2, "japanese", VP, None,
                              on=date(2026, 12, 18), recorded_by="T-0001", now=NOW)
    assert (event.originator_version, event.term) == (2, 2)


def test_a_correction_of_a_correction_is_judged_by_the_original_assessment() -> None:
    history = [recorded(1, term=None, rating=2, on=YEAR_END)]
    first = correct_assessment(school(), year(), history, 1, VP, 3, reason="転記誤り", approved_by=None,
                               on=date(2027, 3, 23), recorded_by="T-0001", now=NOW)
    assert first == AssessmentCorrected(
        **meta(streams.assessments(A, YEAR), 2, on=date(2027, 3, 23), by="T-0001", at=NOW),
        corrects_version=1, reason="転記誤り", approved_by=None, viewpoints=VP, rating=3,
    )

    with pytest.raises(errors.RatingRequired):  # the original is a year-end assessment
        correct_assessment(school(), year(), [*history, first], 2, VP, None, reason="再訂正", approved_by=None,
                           on=date(2027, 3, 23), recorded_by="T-0001", now=NOW)


def test_a_correction_must_point_at_an_assessment() -> None:
    with pytest.raises(errors.UnknownEventToCorrect) as refused:
        correct_assessment(school(), year(), [recorded(1)], 0, VP, None, reason="転記誤り", approved_by=None,
                           on=TERM_END, recorded_by="T-0001", now=NOW)
    assert refused.value.field == "corrects_version"


def test_a_year_record_is_entered_once_with_its_lists_sorted_and_its_text_trimmed() -> None:
    record = YearRecord(moral_education=" 友達の考えを聞き、自分の考えを深めた。 ",
                        integrated_study="地域の川の生き物を調べた。",
                        special_activities=("school_events", "class_activities", "school_events"),
                        behaviour=("responsibility", "basic_habits"))

    event = enter_year_record(school(), year(), student(), [], YEAR, record, on=YEAR_END, recorded_by="T-0001",
                              now=NOW)

    assert event == YearRecordEntered(
        **meta(streams.year_record(A, YEAR), 1, on=YEAR_END, by="T-0001", at=NOW),
        student_id=A, school_code=CODE, year=YEAR, grade=3,
        record=YearRecord(moral_education="友達の考えを聞き、自分の考えを深めた。",
                          integrated_study="地域の川の生き物を調べた。",
                          special_activities=("class_activities", "school_events"),
                          behaviour=("basic_habits", "responsibility")),
    )
    with pytest.raises(errors.AlreadyRecorded):
        enter_year_record(school(), year(), student(), [event], YEAR, record, on=YEAR_END, recorded_by="T-0001",
                          now=NOW)


def test_a_year_record_correction_is_judged_by_the_grade_of_the_entry() -> None:
    entered = enter_year_record(school(), year(), student(), [], YEAR, YearRecord(), on=YEAR_END,
                                recorded_by="T-0001", now=NOW)
    fixed = YearRecord(special_activities=("student_council",), general_remarks="係活動に熱心に取り組んだ。")

    event = correct_year_record(school(), year(sealed=True), [entered], 1, fixed, reason="記入漏れ",
                                approved_by="P-0001", on=date(2027, 3, 26), recorded_by="T-0001", now=NOW)

    assert event == YearRecordCorrected(
        **meta(streams.year_record(A, YEAR), 2, on=date(2027, 3, 26), by="T-0001", at=NOW),
        corrects_version=1, reason="記入漏れ", approved_by="P-0001", record=fixed,
    )
    with pytest.raises(errors.UnknownSpecialActivity):  # クラブ活動 starts in grade 4
        correct_year_record(school(), year(), [entered], 1, YearRecord(special_activities=("club_activities",)),
                            reason="記入漏れ", approved_by=None, on=date(2027, 3, 26), recorded_by="T-0001", now=NOW)


def test_an_unknown_behaviour_item_is_refused() -> None:
    with pytest.raises(errors.UnknownBehaviourItem) as refused:
        enter_year_record(school(), year(), student(), [], YEAR, YearRecord(behaviour=("basic_habits", "punctuality")),
                          on=YEAR_END, recorded_by="T-0001", now=NOW)
    assert refused.value.field == "record.behaviour[1]"


def test_a_junior_high_year_end_assessment_takes_a_five_point_rating() -> None:
    event = record_assessment(school(JH_CODE), year(JH_CODE), student(grade=2, code=JH_CODE), [], YEAR, None,
                              "technology_home_economics", VP, 5, on=YEAR_END, recorded_by="T-0001", now=NOW)
    assert (event.school_code, event.grade, event.rating) == (JH_CODE, 2, 5)


# ---------------------------------------------------------------- 評定: accepted iff in the documented scale


def test_the_rating_scale_is_the_documented_one() -> None:
    for (kind, grade), scale in DOCUMENTED_SCALE.items():
        actual = curriculum.rating_scale(kind, grade)
        assert (set(actual) if actual is not None else None) == scale


@st.composite
def assessments(draw: st.DrawFn) -> tuple[str, int, int | None, int | None]:
    kind, grade = draw(st.sampled_from(sorted(DOCUMENTED_SCALE)))
    term = draw(st.none() | st.integers(1, 3))
    rating = draw(st.none() | st.integers(-1, 7))
    return kind, grade, term, rating


@given(assessments())
def test_a_rating_is_accepted_exactly_when_the_documented_scale_has_it(
        case: tuple[str, int, int | None, int | None]) -> None:
    kind, grade, term, rating = case
    scale = DOCUMENTED_SCALE[(kind, grade)]
    if scale is None:
        accepted = rating is None
    elif rating is None:
        accepted = term is not None  # a term's assessment may leave 評定 for the year's end
    else:
        accepted = rating in scale

    refusal = refused_by(lambda: check_assessment(kind, grade, 3, term, "japanese", VP, rating))

    if accepted:
        assert refusal is None, f"refused {rating} for {kind} grade {grade} (term {term}): {refusal}"
    else:
        assert isinstance(refusal, errors.RatingNotAllowed | errors.RatingOutOfScale | errors.RatingRequired)
        assert refusal.field == "rating"


def refused_by(call: Callable[[], object]) -> errors.LedgerError | None:
    try:
        call()
    except errors.LedgerError as e:
        return e
    return None
