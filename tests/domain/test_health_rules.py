"""The health and dental examination decisions, and one-decimal measurements, without a database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import errors, streams, values
from domain.health import (
    DentalExamination,
    DentalExaminationCorrected,
    DentalExaminationRecorded,
    HealthExamination,
    HealthExaminationCorrected,
    HealthExaminationRecorded,
    Vision,
    check_dental,
    check_health,
    correct_examination,
    record_dental,
    record_health,
)
from tests.domain.states import CODE, NOW, YEAR, A, meta, school, student, year

EXAMINED = date(2026, 4, 20)


def exam(**overrides: object) -> HealthExamination:
    fields: dict[str, object] = dict(
        height_cm=Decimal("128.4"), weight_kg=Decimal("26.1"), nutrition="normal",
        vision=Vision(right_naked="A", left_naked="B"), urine_protein="-", urine_sugar="±",
        hearing_right="normal", hearing_left="normal",
    )
    return HealthExamination(**{**fields, **overrides})  # type: ignore[arg-type]


DENTAL = DentalExamination(jaw=0, bite=1, plaque=1, gums=0, teeth={"UR6": "/", "UL6": "C", "LLE": "×", "LR6": "△"})


def test_a_health_examination_is_recorded_with_the_students_grade() -> None:
    event = record_health(school(), year(), student(), [], YEAR, exam(), on=EXAMINED, recorded_by="nurse", now=NOW)

    assert event == HealthExaminationRecorded(
        **meta(streams.health(A, YEAR), 1, on=EXAMINED, by="nurse", at=NOW),
        student_id=A, school_code=CODE, year=YEAR, grade=3, examination=exam(),
    )


def test_a_dental_examination_follows_the_health_examination_in_the_same_stream() -> None:
    health = record_health(school(), year(), student(), [], YEAR, exam(), on=EXAMINED, recorded_by="nurse",
                           now=NOW)

    event = record_dental(school(), year(), student(), [health], YEAR, DENTAL, on=date(2026, 5, 11),
                          recorded_by="dentist", now=NOW)

    assert event == DentalExaminationRecorded(
        **meta(streams.health(A, YEAR), 2, on=date(2026, 5, 11), by="dentist", at=NOW),
        student_id=A, school_code=CODE, year=YEAR, grade=3, examination=DENTAL,
    )
    with pytest.raises(errors.AlreadyRecorded):
        record_dental(school(), year(), student(), [health, event], YEAR, DENTAL, on=date(2026, 5, 11),
                      recorded_by="dentist", now=NOW)


def test_a_correction_replaces_the_examination_it_names() -> None:
    health = record_health(school(), year(), student(), [], YEAR, exam(), on=EXAMINED, recorded_by="nurse", now=NOW)
    dental = record_dental(school(), year(), student(), [health], YEAR, DENTAL, on=EXAMINED, recorded_by="dentist",
                           now=NOW)
    taller = exam(height_cm=Decimal("129.4"))

    corrected = correct_examination(school(), year(), [health, dental], 1, taller, reason="身長の転記誤り",
                                    approved_by=None, on=date(2026, 4, 21), recorded_by="nurse", now=NOW)

    assert corrected == HealthExaminationCorrected(
        **meta(streams.health(A, YEAR), 3, on=date(2026, 4, 21), by="nurse", at=NOW),
        corrects_version=1, reason="身長の転記誤り", approved_by=None, examination=taller,
    )
    fixed_teeth = DentalExamination(jaw=0, bite=1, plaque=1, gums=0, teeth={"UR6": "○"})
    dental_fix = correct_examination(school(), year(), [health, dental, corrected], 2, fixed_teeth,
                                     reason="処置済の記入漏れ", approved_by=None, on=date(2026, 5, 12),
                                     recorded_by="dentist", now=NOW)
    assert dental_fix == DentalExaminationCorrected(
        **meta(streams.health(A, YEAR), 4, on=date(2026, 5, 12), by="dentist", at=NOW),
        corrects_version=2, reason="処置済の記入漏れ", approved_by=None, examination=fixed_teeth,
    )
    with pytest.raises(errors.UnknownEventToCorrect):  # version 2 is the dental examination
        correct_examination(school(), year(), [health, dental], 2, taller, reason="転記誤り", approved_by=None,
                            on=date(2026, 4, 21), recorded_by="nurse", now=NOW)


def test_hearing_may_be_left_out_only_in_grades_4_and_6_and_the_ecg_is_required_in_grade_1() -> None:
    no_hearing = exam(hearing_right=None, hearing_left=None)
    for grade in (4, 6):
        assert check_health("elementary", grade, no_hearing) == no_hearing
    assert check_health("junior_high", 2, no_hearing) == no_hearing
    for grade in (1, 2, 3, 5):
        with pytest.raises(errors.ExaminationRequiredInGrade):
            check_health("elementary", grade, no_hearing)
    with pytest.raises(errors.ExaminationRequiredInGrade) as refused:
        check_health("junior_high", 1, exam())
    assert refused.value.field == "examination.heart_ecg"
    assert check_health("junior_high", 1, exam(heart_ecg="異常なし")).heart_ecg == "異常なし"


@pytest.mark.parametrize(("tooth", "code", "accepted"), [
    ("UR6", "△", True), ("ULA", "△", False),
    ("LLE", "×", True), ("LL7", "×", False),
    ("UR1", "CO", True), ("URA", "○", True),
    ("UL9", "/", False), ("ULF", "/", False),
])
def test_tooth_codes_follow_the_kind_of_tooth(tooth: str, code: str, accepted: bool) -> None:
    teeth = DentalExamination(jaw=0, bite=0, plaque=0, gums=0, teeth={tooth: code})  # type: ignore[dict-item]
    if accepted:
        assert check_dental(teeth) == teeth
    else:
        with pytest.raises((errors.InvalidToothCode, errors.UnknownTooth)) as refused:
            check_dental(teeth)
        assert refused.value.field == f"examination.teeth.{tooth}"


# ---------------------------------------------------------------- one decimal place, in range

LOW, HIGH = Decimal("70.0"), Decimal("210.0")


def places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


@given(st.decimals(min_value=-1000, max_value=1000, allow_nan=False, allow_infinity=False)
       | st.decimals(min_value=-1000, max_value=1000, places=1))
def test_a_measurement_is_accepted_exactly_when_it_has_one_decimal_at_most_and_is_in_range(value: Decimal) -> None:
    if places(value) > 1:
        expected: type[errors.LedgerError] | None = errors.TooPrecise
    elif not LOW <= value <= HIGH:
        expected = errors.MeasurementOutOfRange
    else:
        expected = None

    if expected is None:
        assert values.one_decimal(value, "height_cm", LOW, HIGH, "cm") == value
    else:
        with pytest.raises(expected) as refused:
            values.one_decimal(value, "height_cm", LOW, HIGH, "cm")
        assert type(refused.value) is expected
        assert refused.value.field == "height_cm"


@given(st.integers(2, 6).flatmap(lambda n: st.decimals(min_value=70, max_value=210, places=n))
       .filter(lambda d: d != d.quantize(Decimal("0.1"))))
def test_a_measurement_in_range_with_a_second_decimal_is_too_precise(value: Decimal) -> None:
    with pytest.raises(errors.TooPrecise) as refused:
        values.one_decimal(value, "height_cm", LOW, HIGH, "cm")
    assert refused.value.field == "height_cm"


@given(st.integers(700, 2100))
def test_every_tenth_of_a_centimetre_in_range_is_accepted(tenths: int) -> None:
    value = Decimal(tenths).scaleb(-1)
    assert values.one_decimal(value, "height_cm", LOW, HIGH, "cm") == value


@given(st.sampled_from(["NaN", "sNaN", "Infinity", "-Infinity"]))
def test_a_value_that_is_not_a_number_is_out_of_range(text: str) -> None:
    with pytest.raises(errors.MeasurementOutOfRange):
        values.one_decimal(Decimal(text), "height_cm", LOW, HIGH, "cm")
