"""Assessments (観点別学習状況, 評定) and the year record (道徳, 総合, 特別活動, 行動の記録, 所見).

Both live in per-student, per-year streams, one for assessments and one for the year record,
so a teacher's save loads only that year's few dozen events, and each record class can get
its own retention key later (PRODUCT.md §3.6).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Literal
from uuid import UUID

import msgspec

from domain import curriculum, errors, streams, values
from domain.enrollment_rules import grade_in
from domain.event import Correction, Event
from domain.school import School, SchoolYear
from domain.sealing import require_correction_allowed, require_open_year
from domain.student import Student

ABC = Literal["A", "B", "C"]


class Viewpoints(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """Each viewpoint is A, B or C (checked by the rule, so a wrong grade is InvalidViewpoint)."""

    knowledge: str  # 知識・技能
    thinking: str  # 思考・判断・表現
    attitude: str  # 主体的に学習に取り組む態度


class AssessmentRecorded(Event, frozen=True, tag="AssessmentRecorded"):
    """A subject's assessment for a term, or for the year when ``term`` is None (学年末)."""

    student_id: UUID
    school_code: str
    year: int
    grade: int
    term: int | None
    subject: str
    viewpoints: Viewpoints
    rating: int | None = None


class AssessmentCorrected(Correction, frozen=True, tag="AssessmentCorrected"):
    viewpoints: Viewpoints
    rating: int | None = None


class YearRecord(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    moral_education: str = ""  # 特別の教科 道徳
    integrated_study: str = ""  # 総合的な学習の時間
    special_activities: tuple[str, ...] = ()  # 特別活動 marked ○
    behaviour: tuple[str, ...] = ()  # 行動の記録 items marked ○
    general_remarks: str = ""  # 総合所見及び指導上参考となる諸事項
    foreign_language_activities: str = ""  # 外国語活動の記録 (小3–4 only)


class YearRecordEntered(Event, frozen=True, tag="YearRecordEntered"):
    student_id: UUID
    school_code: str
    year: int
    grade: int
    record: YearRecord


class YearRecordCorrected(Correction, frozen=True, tag="YearRecordCorrected"):
    record: YearRecord


def check_assessment(kind: str, grade: int, terms: int, term: int | None, subject: str,
                     viewpoints: Viewpoints, rating: int | None) -> None:
    subjects = curriculum.SUBJECTS[kind]
    if subject not in subjects:
        raise errors.UnknownSubject(
            f"{subject!r} is not a subject of a {kind} school; one of {', '.join(subjects)}", field="subject"
        )
    label, grades = subjects[subject]
    if grade not in grades:
        raise errors.SubjectNotTaughtInGrade(f"{label} is not taught in grade {grade}", field="subject")
    if term is not None and not 1 <= term <= terms:
        raise errors.TermOutOfRange(f"term {term} does not exist: the school has {terms} terms", field="term")
    for name in curriculum.VIEWPOINTS:
        if getattr(viewpoints, name) not in curriculum.VIEWPOINT_GRADES:
            raise errors.InvalidViewpoint(
                f"{curriculum.VIEWPOINTS[name]} must be A, B or C", field=f"viewpoints.{name}"
            )
    scale = curriculum.rating_scale(kind, grade)
    if scale is None:
        if rating is not None:
            raise errors.RatingNotAllowed(f"grade {grade} of a {kind} school has no 評定", field="rating")
    elif rating is None:
        if term is None:
            raise errors.RatingRequired(
                f"the year's assessment needs a 評定 of {scale.start}–{scale.stop - 1}", field="rating"
            )
    elif rating not in scale:
        raise errors.RatingOutOfScale(
            f"評定 {rating} is outside {scale.start}–{scale.stop - 1} for grade {grade} of a {kind} school",
            field="rating",
        )


def record_assessment(school: School, year: SchoolYear, student: Student, history: Sequence[Event],
                      school_year: int, term: int | None, subject: str, viewpoints: Viewpoints,
                      rating: int | None, *, on: date, recorded_by: str, now: datetime) -> AssessmentRecorded:
    if year.calendar is None:
        raise errors.CalendarNotSet(f"school year {school_year} has no calendar yet", field="year")
    require_open_year(year, school_year)
    values.day_in_school_year(on, school_year, "on")
    grade = grade_in(student, school, school_year)
    check_assessment(school.kind, grade, len(year.calendar.terms), term, subject, viewpoints, rating)
    for e in history:
        if isinstance(e, AssessmentRecorded) and (e.term, e.subject) == (term, subject):
            raise errors.AlreadyRecorded(
                f"{subject} for {'the year' if term is None else f'term {term}'} is already recorded "
                f"(version {e.originator_version}); correct it instead",
                field="subject",
            )
    return AssessmentRecorded(
        originator_id=streams.assessments(student.id, school_year),
        originator_version=len(history) + 1,
        recorded_at=now, recorded_by=recorded_by, effective_on=on,
        student_id=student.id, school_code=school.code, year=school_year, grade=grade,
        term=term, subject=subject, viewpoints=viewpoints, rating=rating,
    )


def _target(history: Sequence[Event], version: int, kinds: tuple[type[Event], ...]) -> Event:
    if not 1 <= version <= len(history) or not isinstance(history[version - 1], kinds):
        raise errors.UnknownEventToCorrect(f"there is no correctable event at version {version}",
                                           field="corrects_version")
    return history[version - 1]


def correct_assessment(school: School, year: SchoolYear, history: Sequence[Event], corrects_version: int,
                       viewpoints: Viewpoints, rating: int | None, *, reason: str, approved_by: str | None,
                       on: date, recorded_by: str, now: datetime) -> AssessmentCorrected:
    target = _target(history, corrects_version, (AssessmentRecorded, AssessmentCorrected))
    original = target
    while isinstance(original, AssessmentCorrected):
        original = history[original.corrects_version - 1]
    assert isinstance(original, AssessmentRecorded)
    reason = require_correction_allowed(school, year, reason, approved_by)
    terms = len(year.calendar.terms) if year.calendar else 3
    check_assessment(school.kind, original.grade, terms, original.term, original.subject, viewpoints, rating)
    return AssessmentCorrected(
        originator_id=target.originator_id, originator_version=len(history) + 1,
        recorded_at=now, recorded_by=recorded_by, effective_on=on,
        corrects_version=corrects_version, reason=reason, approved_by=approved_by,
        viewpoints=viewpoints, rating=rating,
    )


def check_year_record(kind: str, grade: int, record: YearRecord) -> YearRecord:
    activities = curriculum.SPECIAL_ACTIVITIES[kind]
    for i, a in enumerate(record.special_activities):
        if a not in activities or grade not in activities[a][1]:
            raise errors.UnknownSpecialActivity(
                f"{a!r} is not a 特別活動 of grade {grade}; one of {', '.join(activities)}",
                field=f"record.special_activities[{i}]",
            )
    for i, b in enumerate(record.behaviour):
        if b not in curriculum.BEHAVIOUR_ITEMS:
            raise errors.UnknownBehaviourItem(
                f"{b!r} is not one of the 10 行動の記録 items", field=f"record.behaviour[{i}]"
            )
    if record.integrated_study.strip() and grade not in curriculum.INTEGRATED_STUDY_GRADES[kind]:
        raise errors.IntegratedStudyNotInGrade(
            f"総合的な学習の時間 is not taught in grade {grade}", field="record.integrated_study"
        )
    if record.foreign_language_activities.strip() and grade not in curriculum.FOREIGN_LANGUAGE_ACTIVITIES_GRADES[kind]:
        raise errors.ForeignLanguageActivitiesNotInGrade(
            f"外国語活動 is taught in grades 3–4 of elementary school, not in grade {grade} of a {kind} school",
            field="record.foreign_language_activities")
    return YearRecord(
        moral_education=values.text(record.moral_education, "record.moral_education", max_length=1000, required=False),
        integrated_study=values.text(record.integrated_study, "record.integrated_study", max_length=1000,
                                     required=False),
        special_activities=tuple(sorted(set(record.special_activities))),
        behaviour=tuple(sorted(set(record.behaviour))),
        general_remarks=values.text(record.general_remarks, "record.general_remarks", max_length=2000,
                                    required=False),
        foreign_language_activities=values.text(record.foreign_language_activities,
                                                "record.foreign_language_activities", max_length=1000, required=False),
    )


def enter_year_record(school: School, year: SchoolYear, student: Student, history: Sequence[Event],
                      school_year: int, record: YearRecord, *, on: date, recorded_by: str,
                      now: datetime) -> YearRecordEntered:
    require_open_year(year, school_year)
    values.day_in_school_year(on, school_year, "on")
    grade = grade_in(student, school, school_year)
    if history:
        raise errors.AlreadyRecorded(
            f"the {school_year} year record is already entered; correct it instead", field="year"
        )
    return YearRecordEntered(
        originator_id=streams.year_record(student.id, school_year), originator_version=1,
        recorded_at=now, recorded_by=recorded_by, effective_on=on,
        student_id=student.id, school_code=school.code, year=school_year, grade=grade,
        record=check_year_record(school.kind, grade, record),
    )


def correct_year_record(school: School, year: SchoolYear, history: Sequence[Event], corrects_version: int,
                        record: YearRecord, *, reason: str, approved_by: str | None, on: date,
                        recorded_by: str, now: datetime) -> YearRecordCorrected:
    target = _target(history, corrects_version, (YearRecordEntered, YearRecordCorrected))
    first = history[0]
    assert isinstance(first, YearRecordEntered)
    reason = require_correction_allowed(school, year, reason, approved_by)
    return YearRecordCorrected(
        originator_id=target.originator_id, originator_version=len(history) + 1,
        recorded_at=now, recorded_by=recorded_by, effective_on=on,
        corrects_version=corrects_version, reason=reason, approved_by=approved_by,
        record=check_year_record(school.kind, first.grade, record),
    )
