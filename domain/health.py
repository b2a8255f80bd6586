"""The annual health examination (健康診断票 一般) and dental examination (歯・口腔).

Items and codes follow 学校保健安全法施行規則 §6–§7 and the forms of 様式第二号/第三号
(reference/domain-japan.md §4). Both live in one per-student, per-year stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import msgspec

from domain import errors, streams, values
from domain.enrollment_rules import grade_in
from domain.event import Correction, Event, stamp
from domain.school import School, SchoolYear
from domain.sealing import require_correction_allowed, require_open_year
from domain.student import Student
from domain.values import SmallNumber

# Coded findings are plain strings judged by check_health / check_dental, so a wrong code is
# refused by its own rule. 視力 (370 method): A ≥1.0, B 0.7–0.9, C 0.3–0.6, D <0.3.
VisionGrade = str
Urine = str  # - ± + ++ +++
Hearing = str  # normal / abnormal


class Vision(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    right_naked: VisionGrade | None = None
    left_naked: VisionGrade | None = None
    right_corrected: VisionGrade | None = None
    left_corrected: VisionGrade | None = None


class HealthExamination(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    height_cm: Decimal  # one decimal place
    weight_kg: Decimal  # one decimal place
    nutrition: str  # 栄養状態: normal / attention
    vision: Vision
    urine_protein: Urine
    urine_sugar: Urine
    hearing_right: Hearing | None = None  # None: not taken (allowed in 小4, 小6, 中2)
    hearing_left: Hearing | None = None
    spine_chest_limbs: str = ""  # 脊柱・胸郭・四肢; blank: no finding
    eye: str = ""
    ear_nose_throat: str = ""
    skin: str = ""
    tuberculosis: str = ""
    tuberculosis_guidance: str | None = None  # 指導区分, e.g. "C2"
    heart_ecg: str | None = None  # None: not taken (required in 小1 and 中1)
    heart: str = ""
    other: str = ""
    doctor_remarks: str = ""  # 学校医所見
    follow_up: str = ""  # 事後措置
    urine_other: str = ""  # 尿 その他の検査 (e.g. 潜血)
    remarks: str = ""  # 備考


ToothCode = str  # / C ○ △ × CO


class DentalExamination(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    jaw: SmallNumber  # 顎関節 0/1/2
    bite: SmallNumber  # 歯列・咬合 0/1/2
    plaque: SmallNumber  # 歯垢の状態 0/1/2
    gums: SmallNumber  # 歯肉の状態 0/1/2
    teeth: dict[str, ToothCode]  # 歯式: "UR6" permanent, "ULC" primary -> code
    other: str = ""
    dentist_remarks: str = ""  # 学校歯科医所見
    follow_up: str = ""


class HealthExaminationRecorded(Event, frozen=True, tag="HealthExaminationRecorded"):
    student_id: UUID
    school_code: str
    year: int
    grade: int
    examination: HealthExamination


class HealthExaminationCorrected(Correction, frozen=True, tag="HealthExaminationCorrected"):
    examination: HealthExamination


class DentalExaminationRecorded(Event, frozen=True, tag="DentalExaminationRecorded"):
    student_id: UUID
    school_code: str
    year: int
    grade: int
    examination: DentalExamination


class DentalExaminationCorrected(Correction, frozen=True, tag="DentalExaminationCorrected"):
    examination: DentalExamination


_VISION = ("A", "B", "C", "D")
_URINE = ("-", "±", "+", "++", "+++")
_GUIDANCE = {f"{a}{b}" for a in "ABCD" for b in "123"}
# Grades where 聴力 may be left out, and where the ECG is required (施行規則 §6–§7).
HEARING_OPTIONAL = {"elementary": {4, 6}, "junior_high": {2}}
ECG_REQUIRED = {"elementary": {1}, "junior_high": {1}}
TOOTH_CODES = ("/", "C", "○", "△", "×", "CO")
PERMANENT_TEETH = {f"{q}{n}" for q in ("UR", "UL", "LR", "LL") for n in range(1, 9)}
PRIMARY_TEETH = {f"{q}{n}" for q in ("UR", "UL", "LR", "LL") for n in "ABCDE"}


def check_health(kind: str, grade: int, exam: HealthExamination) -> HealthExamination:
    values.one_decimal(exam.height_cm, "examination.height_cm", Decimal("70.0"), Decimal("210.0"), "cm")
    values.one_decimal(exam.weight_kg, "examination.weight_kg", Decimal("10.0"), Decimal("150.0"), "kg")
    if exam.nutrition not in ("normal", "attention"):
        raise errors.InvalidFinding("栄養状態 must be 'normal' or 'attention'", field="examination.nutrition")
    for side in ("right_naked", "left_naked", "right_corrected", "left_corrected"):
        v = getattr(exam.vision, side)
        if v is not None and v not in _VISION:
            raise errors.InvalidVisionGrade(f"視力 is graded A–D, not {v!r}", field=f"examination.vision.{side}")
    for name in ("urine_protein", "urine_sugar"):
        if getattr(exam, name) not in _URINE:
            raise errors.InvalidFinding(f"尿 is one of {' '.join(_URINE)}", field=f"examination.{name}")
    for side in ("hearing_right", "hearing_left"):
        h = getattr(exam, side)
        if h is None and grade not in HEARING_OPTIONAL[kind]:
            raise errors.ExaminationRequiredInGrade(f"聴力 is examined in grade {grade}", field=f"examination.{side}")
        if h is not None and h not in ("normal", "abnormal"):
            raise errors.InvalidFinding("聴力 is 'normal' or 'abnormal'", field=f"examination.{side}")
    if exam.heart_ecg is None and grade in ECG_REQUIRED[kind]:
        raise errors.ExaminationRequiredInGrade(f"心電図 is required in grade {grade}", field="examination.heart_ecg")
    if exam.tuberculosis_guidance is not None and exam.tuberculosis_guidance not in _GUIDANCE:
        raise errors.InvalidFinding(
            "結核 指導区分 is A–D followed by 1–3, e.g. D3", field="examination.tuberculosis_guidance"
        )
    for name in ("spine_chest_limbs", "eye", "ear_nose_throat", "skin", "tuberculosis", "heart", "other",
                 "doctor_remarks", "follow_up", "urine_other", "remarks"):
        values.text(getattr(exam, name), f"examination.{name}", max_length=500, required=False)
    return exam


def check_dental(exam: DentalExamination) -> DentalExamination:
    for name in ("jaw", "bite", "plaque", "gums"):
        if getattr(exam, name) not in (0, 1, 2):
            raise errors.InvalidFinding(f"{name} is coded 0, 1 or 2", field=f"examination.{name}")
    for tooth, code in exam.teeth.items():
        if tooth not in PERMANENT_TEETH and tooth not in PRIMARY_TEETH:
            raise errors.UnknownTooth(
                f"{tooth!r} is not a tooth: UR/UL/LR/LL with 1–8 (permanent) or A–E (primary)",
                field=f"examination.teeth.{tooth}",
            )
        if code not in TOOTH_CODES or (code == "△" and tooth in PRIMARY_TEETH) or (
            code == "×" and tooth in PERMANENT_TEETH
        ):
            raise errors.InvalidToothCode(
                f"{code!r} is not a code for {tooth}: / C ○ CO, △ for permanent teeth, × for primary teeth",
                field=f"examination.teeth.{tooth}",
            )
    for name in ("other", "dentist_remarks", "follow_up"):
        values.text(getattr(exam, name), f"examination.{name}", max_length=500, required=False)
    return exam


def record_health(school: School, year: SchoolYear, student: Student, history: Sequence[Event],
                  school_year: int, exam: HealthExamination, *, on: date, recorded_by: str,
                  now: datetime) -> HealthExaminationRecorded:
    require_open_year(year, school_year)
    values.day_in_school_year(on, school_year, "examined_on")
    grade = grade_in(student, school, school_year)
    if any(isinstance(e, HealthExaminationRecorded) for e in history):
        raise errors.AlreadyRecorded(f"the {school_year} health examination is recorded; correct it instead",
                                     field="year")
    return HealthExaminationRecorded(
        originator_id=streams.health(student.id, school_year), originator_version=len(history) + 1,
        recorded_at=now, recorded_by=recorded_by, effective_on=on,
        student_id=student.id, school_code=school.code, year=school_year, grade=grade,
        examination=check_health(school.kind, grade, exam),
    )


def record_dental(school: School, year: SchoolYear, student: Student, history: Sequence[Event],
                  school_year: int, exam: DentalExamination, *, on: date, recorded_by: str,
                  now: datetime) -> DentalExaminationRecorded:
    require_open_year(year, school_year)
    values.day_in_school_year(on, school_year, "examined_on")
    grade = grade_in(student, school, school_year)
    if any(isinstance(e, DentalExaminationRecorded) for e in history):
        raise errors.AlreadyRecorded(f"the {school_year} dental examination is recorded; correct it instead",
                                     field="year")
    return DentalExaminationRecorded(
        originator_id=streams.health(student.id, school_year), originator_version=len(history) + 1,
        recorded_at=now, recorded_by=recorded_by, effective_on=on,
        student_id=student.id, school_code=school.code, year=school_year, grade=grade,
        examination=check_dental(exam),
    )


def correct_examination(school: School, year: SchoolYear, history: Sequence[Event], corrects_version: int,
                        exam: HealthExamination | DentalExamination, *, reason: str, approved_by: str | None,
                        on: date, recorded_by: str, now: datetime) -> Event:
    """A correction of the health or the dental examination at ``corrects_version``."""
    target = history[corrects_version - 1] if 1 <= corrects_version <= len(history) else None
    health_kinds = (HealthExaminationRecorded, HealthExaminationCorrected)
    dental_kinds = (DentalExaminationRecorded, DentalExaminationCorrected)
    wanted = health_kinds if isinstance(exam, HealthExamination) else dental_kinds
    if target is None or not isinstance(target, wanted):
        raise errors.UnknownEventToCorrect(
            f"there is no {'health' if wanted is health_kinds else 'dental'} examination at version "
            f"{corrects_version}", field="corrects_version")
    first = next(e for e in history if isinstance(e, wanted[0]))
    assert isinstance(first, HealthExaminationRecorded | DentalExaminationRecorded)
    reason = require_correction_allowed(school, year, reason, approved_by)
    if isinstance(exam, HealthExamination):
        return HealthExaminationCorrected(
            originator_id=target.originator_id, originator_version=len(history) + 1, **stamp(now, recorded_by, on),
            corrects_version=corrects_version, reason=reason, approved_by=approved_by,
            examination=check_health(school.kind, first.grade, exam))
    return DentalExaminationCorrected(
        originator_id=target.originator_id, originator_version=len(history) + 1, **stamp(now, recorded_by, on),
        corrects_version=corrects_version, reason=reason, approved_by=approved_by,
        examination=check_dental(exam))
