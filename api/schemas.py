"""Request bodies of the v1 API: msgspec Structs that refuse unknown fields."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from domain.assessment import Viewpoints, YearRecord
from domain.attendance import Mark
from domain.health import DentalExamination, HealthExamination
from domain.school import Closure, Term
from domain.student import Identity

SchoolCode = Annotated[str, Meta(min_length=13, max_length=13, examples=["B131220000013"],
                                 description="13-character MEXT 学校コード")]
Text = Annotated[str, Meta(max_length=2000)]
Short = Annotated[str, Meta(max_length=200)]


class Body(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    pass


class SchoolIn(Body, frozen=True):
    name: Short
    board_code: Annotated[str, Meta(examples=["312011"], description="6-digit 教育委員会コード")]
    address: Short = ""


class PrincipalIn(Body, frozen=True):
    staff_id: Short
    name: Short
    appointed_on: date


class CalendarIn(Body, frozen=True):
    terms: Annotated[list[Term], Meta(max_length=3)]
    instructional_days: Annotated[list[date], Meta(max_length=366)]
    closures: Annotated[list[Closure], Meta(max_length=366)] = []


class MemberIn(Body, frozen=True):
    student_id: str
    number: int


class ClassIn(Body, frozen=True):
    homeroom_teacher_id: Short
    homeroom_teacher_name: Short
    formed_on: date
    students: Annotated[list[MemberIn], Meta(max_length=60)] = []


class AdmissionIn(Body, frozen=True):
    school_code: SchoolCode
    year: int
    grade: int
    class_name: Short
    number: int
    identity: Identity
    admitted_on: date
    admission_kind: Annotated[str, Meta(examples=["entrance"], description="entrance (入学) or admission (編入学)")]
    prior_history: Text = ""
    reason: Text = ""


class IdentityChangeIn(Body, frozen=True):
    identity: Identity
    reason: Short
    effective_on: date | None = None


class LeaveIn(Body, frozen=True):
    on: date
    reason: Short


class ReturnIn(Body, frozen=True):
    on: date
    number: int | None = None


class WithdrawalIn(Body, frozen=True):
    on: date
    reason: Short


class GraduationIn(Body, frozen=True):
    on: date


class RollMark(Body, frozen=True):
    student_id: str
    code: Annotated[str, Meta(examples=["present"])]
    reason: Short = ""
    authority: str | None = None
    facility: str | None = None


class RollIn(Body, frozen=True):
    school_code: SchoolCode
    year: int
    grade: int
    class_name: Short
    date: date
    marks: Annotated[list[RollMark], Meta(max_length=60)]


class MarkCorrectionIn(Body, frozen=True):
    date: date
    mark: Mark
    reason: Short


class AssessmentIn(Body, frozen=True):
    year: int
    subject: Short
    viewpoints: Viewpoints
    assessed_on: date
    term: int | None = None
    rating: int | None = None


class YearRecordIn(Body, frozen=True):
    year: int
    record: YearRecord
    entered_on: date


class HealthExamIn(Body, frozen=True):
    year: int
    examination: HealthExamination
    examined_on: date


class DentalExamIn(Body, frozen=True):
    year: int
    examination: DentalExamination
    examined_on: date


class CorrectionIn(Body, frozen=True):
    """A correction of an assessment, year record, health or dental examination, naming the event."""

    record: Annotated[str, Meta(examples=["assessment"],
                                description="assessment, year-record, health-exam or dental-exam")]
    year: int
    corrects_version: int
    reason: Short
    value: dict[str, Any]


class SealIn(Body, frozen=True):
    pass
