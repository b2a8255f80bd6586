"""Every way a command is refused, through the Ledger, on SQLite and on PostgreSQL.

Each case sets up a small valid register, runs one bad command and checks three things: the
specific rule that refused it, the field the rule names, and that nothing was stored (the log
position did not move).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec
import pytest

from domain import errors
from domain.assessment import Viewpoints
from domain.attendance import Mark
from domain.health import HealthExamination, Vision
from domain.ledger import Ledger
from tests import builders as b

SCHOOL = b.ELEMENTARY
YEAR = b.YEAR
DAY = date(2026, 4, 7)  # a Tuesday: an instructional day
NEXT_DAY = date(2026, 4, 8)
SATURDAY = date(2026, 4, 11)
LAST_WEEK = date(2027, 3, 23)  # a Tuesday in the third term
NOBODY = UUID("00000000-0000-4000-8000-000000000000")
VIEWPOINTS = {"knowledge": "A", "thinking": "B", "attitude": "A"}


# ---------------------------------------------------------------- small commands


def roll(ledger: Ledger, ids: list[UUID], *, on: date = DAY, grade: int = 1,
         marks: list[tuple[Any, Any]] | None = None) -> Any:
    marks = marks if marks is not None else [(sid, {"code": "present"}) for sid in ids]
    return ledger.record_roll(SCHOOL, YEAR, grade, "1", on=on, marks=marks, recorded_by=b.STAFF)


def with_last(ids: list[UUID], mark: Any) -> list[tuple[Any, Any]]:
    """Every student present but the last, who gets ``mark``."""
    return [(sid, {"code": "present"}) for sid in ids[:-1]] + [(ids[-1], mark)]


def assess(ledger: Ledger, sid: UUID, *, subject: str = "japanese", term: int | None = 1, rating: int | None = None,
           viewpoints: Any = None, on: date = date(2026, 7, 17), year: int = YEAR) -> Any:
    return ledger.record_assessment(sid, year, subject=subject, term=term, rating=rating,
                                    viewpoints=viewpoints if viewpoints is not None else VIEWPOINTS, on=on,
                                    recorded_by=b.STAFF)


def health_exam(**overrides: Any) -> dict[str, Any]:
    """A grade-1 examination: hearing and ECG taken."""
    exam: dict[str, Any] = {
        "height_cm": "116.5", "weight_kg": "21.3", "nutrition": "normal",
        "vision": {"right_naked": "A", "left_naked": "B"}, "urine_protein": "-", "urine_sugar": "-",
        "hearing_right": "normal", "hearing_left": "normal", "heart_ecg": "異常なし",
    }
    exam.update(overrides)
    return exam


def dental_exam(**teeth: str) -> dict[str, Any]:
    return {"jaw": 0, "bite": 0, "plaque": 1, "gums": 0, "teeth": {"UR6": "/", "ULC": "C", **teeth}}


def examine(ledger: Ledger, sid: UUID, exam: Any) -> Any:
    return ledger.record_health_exam(sid, YEAR, examination=exam, examined_on=date(2026, 4, 20),
                                     recorded_by="nurse")


def admit(ledger: Ledger, *, grade: int = 1, class_name: str = "1", number: int = 9, kind: str | None = None,
          reason: str | None = None, student_id: UUID | None = None, **identity: Any) -> Any:
    kind = kind or ("entrance" if grade == 1 else "admission")
    born = 2019 - grade + 1
    return ledger.admit_student(
        SCHOOL, YEAR, grade, class_name, number, b.identity(9, **{"birth_date": f"{born}-06-01", **identity}),
        admitted_on=date(2026, 4, 10), admission_kind=kind,
        reason=reason if reason is not None else ("" if kind == "entrance" else "転居に伴う編入学"),
        student_id=student_id, recorded_by="registrar", different_child=True)


def correct(ledger: Ledger, sid: UUID, *, reason: str = "記入誤り", approved_by: str | None = None,
            on: date = DAY) -> Any:
    return ledger.correct_mark(sid, on=on, mark={"code": "absent_illness", "reason": "発熱"}, reason=reason,
                               approved_by=approved_by, recorded_by=b.STAFF)


def set_calendar(ledger: Ledger, *, terms: list[dict[str, Any]] | None = None,
                 days: list[date] | None = None, closures: list[dict[str, Any]] | None = None,
                 code: str = SCHOOL) -> Any:
    return ledger.set_calendar(code, YEAR, terms=terms if terms is not None else b.TERMS,
                               instructional_days=days if days is not None else b.SCHOOL_DAYS,
                               closures=closures or [], recorded_by="admin")


def form(ledger: Ledger, grade: int = 1, name: str = "1") -> Any:
    return ledger.form_class(SCHOOL, YEAR, grade, name, homeroom_teacher_id=b.STAFF,
                             homeroom_teacher_name="山田 花子", on=date(2026, 4, 6), recorded_by="admin")


# ---------------------------------------------------------------- setups: the valid state before the bad command

Setup = Callable[[Ledger], Any]


def nothing(ledger: Ledger) -> None:
    return None


def registered(ledger: Ledger) -> None:
    ledger.register_school(SCHOOL, "鳥取市立みどり小学校", b.BOARD, "鳥取県鳥取市", recorded_by="admin")


def school(ledger: Ledger) -> None:
    b.school_with_calendar(ledger)


def pupils(grade: int = 1, *, closures: list[dict[str, Any]] | None = None) -> Setup:
    """A school with its calendar and one class of two students of ``grade``."""

    def setup(ledger: Ledger) -> list[UUID]:
        b.school_with_calendar(ledger, closures=closures)
        return b.class_with_students(ledger, grade=grade, count=2)

    return setup


def rolled(ledger: Ledger) -> list[UUID]:
    ids = pupils()(ledger)
    roll(ledger, ids)
    return ids


def sealed(ledger: Ledger) -> list[UUID]:
    ids = rolled(ledger)
    ledger.seal_year(SCHOOL, YEAR, recorded_by="principal")
    return ids


def sealed_grade_3(ledger: Ledger) -> list[UUID]:
    ids = pupils(3)(ledger)
    ledger.seal_year(SCHOOL, YEAR, recorded_by="principal")
    return ids


def assessed(ledger: Ledger) -> list[UUID]:
    ids = pupils(3)(ledger)
    assess(ledger, ids[0])
    return ids


def examined(ledger: Ledger) -> list[UUID]:
    ids = pupils()(ledger)
    examine(ledger, ids[0], health_exam())
    return ids


def withdrawn(ledger: Ledger) -> list[UUID]:
    ids = pupils()(ledger)
    ledger.withdraw(ids[1], on=DAY, reason="海外転出のため", recorded_by="principal")
    return ids


def on_leave(ledger: Ledger) -> list[UUID]:
    ids = pupils()(ledger)
    ledger.begin_leave(ids[1], on=DAY, reason="長期療養のため", recorded_by="principal")
    return ids


def graduated(ledger: Ledger) -> list[UUID]:
    ids = pupils(6)(ledger)
    ledger.graduate(ids[1], on=date(2027, 3, 19), recorded_by="principal")
    return ids


def joined_later(ledger: Ledger) -> list[UUID]:
    """Two students from the first day, a third admitted on 10 April."""
    ids = pupils()(ledger)
    return [*ids, admit(ledger).stream_id]


def no_calendar(ledger: Ledger) -> None:
    registered(ledger)
    form(ledger)


GRADE_CLOSURE = {"on": NEXT_DAY.isoformat(), "scope": "grade", "grade": 1, "reason": "インフルエンザによる学年閉鎖"}
CLASS_CLOSURE = {"on": NEXT_DAY.isoformat(), "scope": "class", "grade": 1, "class_name": "1",
                 "reason": "インフルエンザによる学級閉鎖"}


# ---------------------------------------------------------------- the table


@dataclass(frozen=True)
class Case:
    name: str
    setup: Setup
    command: Callable[[Ledger, Any], Any]
    error: type[errors.LedgerError]
    field: str | None


CASES = [
    # schools
    Case("a school code that is not a MEXT code", nothing,
         lambda lg, _: lg.register_school("B13122000001", "みどり小学校", b.BOARD, recorded_by="admin"),
         errors.InvalidSchoolCode, "school_code"),
    Case("a school code of a high school, a kind the register does not keep", nothing,
         lambda lg, _: lg.register_school("D131220000013", "鳥取県立高等学校", b.BOARD, recorded_by="admin"),
         errors.InvalidSchoolKind, "school_code"),
    Case("a board code of five digits", nothing,
         lambda lg, _: lg.register_school(SCHOOL, "みどり小学校", "31201", recorded_by="admin"),
         errors.InvalidBoardCode, "board_code"),
    Case("a school without a name", nothing,
         lambda lg, _: lg.register_school(SCHOOL, "  ", b.BOARD, recorded_by="admin"),
         errors.BlankText, "name"),
    Case("a principal of an unregistered school", nothing,
         lambda lg, _: lg.appoint_principal(SCHOOL, "P-0001", "校長 一郎", recorded_by="admin"),
         errors.UnknownSchool, "school_code"),
    # calendars and seals
    Case("a calendar of four terms", registered,
         lambda lg, _: set_calendar(lg, terms=[*b.TERMS, {"number": 4, "starts_on": "2027-03-25",
                                                          "ends_on": "2027-03-31"}]),
         errors.InvalidTermStructure, "terms"),
    Case("a calendar whose terms overlap", registered,
         lambda lg, _: set_calendar(lg, terms=[b.TERMS[0], {**b.TERMS[1], "starts_on": "2026-07-01"}, b.TERMS[2]]),
         errors.InvalidTermStructure, "terms[1]"),
    Case("an instructional day outside the school year", registered,
         lambda lg, _: set_calendar(lg, days=[DAY, date(2027, 4, 1)]),
         errors.DateOutsideSchoolYear, "instructional_days[1]"),
    Case("a grade closure of a grade the school does not have", registered,
         lambda lg, _: set_calendar(lg, closures=[{**GRADE_CLOSURE, "grade": 7}]),
         errors.InvalidClosure, "closures[0].grade"),
    Case("a class closure that names no class", registered,
         lambda lg, _: set_calendar(lg, closures=[{**CLASS_CLOSURE, "class_name": None}]),
         errors.InvalidClosure, "closures[0].class_name"),
    Case("a calendar for an unregistered school", nothing,
         lambda lg, _: set_calendar(lg), errors.UnknownSchool, "school_code"),
    Case("a new calendar for a sealed year", sealed,
         lambda lg, _: set_calendar(lg), errors.YearIsSealed, "year"),
    Case("sealing a year without a calendar", registered,
         lambda lg, _: lg.seal_year(SCHOOL, YEAR, recorded_by="principal"), errors.CalendarNotSet, "year"),
    Case("sealing a year twice", sealed,
         lambda lg, _: lg.seal_year(SCHOOL, YEAR, recorded_by="principal"), errors.YearAlreadySealed, "year"),
    # classes
    Case("a class formed twice", pupils(), lambda lg, _: lg.form_class(
        SCHOOL, YEAR, 1, "1", homeroom_teacher_id="T-0999", homeroom_teacher_name="山田 花子", on=date(2026, 4, 6),
        recorded_by="admin"), errors.ClassAlreadyFormed, "name"),
    Case("a class of grade 7 at an elementary school", school, lambda lg, _: form(lg, grade=7),
         errors.GradeOutOfRange, "grade"),
    Case("a class name with punctuation", school, lambda lg, _: form(lg, name="1-1"),
         errors.InvalidClassName, "class_name"),
    # admission and identity
    Case("an admission into a class that is not formed", school, lambda lg, _: admit(lg),
         errors.UnknownClass, "class_name"),
    Case("an entrance (入学) into grade 3", pupils(3), lambda lg, _: admit(lg, grade=3, kind="entrance"),
         errors.InvalidAdmissionKind, "admission_kind"),
    Case("an admission of an unknown kind", pupils(), lambda lg, _: admit(lg, kind="transfer"),
         errors.InvalidAdmissionKind, "admission_kind"),
    Case("a mid-course admission (編入学) without its reason", pupils(3),
         lambda lg, _: admit(lg, grade=3, kind="admission", reason=""), errors.BlankText, "reason"),
    Case("an 出席番号 already taken in the class", pupils(), lambda lg, _: admit(lg, number=2),
         errors.DuplicateAttendanceNumber, "number"),
    Case("an 出席番号 of 100", pupils(), lambda lg, _: admit(lg, number=100),
         errors.InvalidAttendanceNumber, "number"),
    Case("a kana name written in kanji", pupils(), lambda lg, _: admit(lg, family_name_kana="佐藤"),
         errors.KanaNotKana, "identity.family_name_kana"),
    Case("a guardian's kana name written in romaji", pupils(),
         lambda lg, _: admit(lg, guardian={"name": "佐藤 健", "name_kana": "sato ken", "relation": "父"}),
         errors.KanaNotKana, "identity.guardian.name_kana"),
    Case("a birth date that makes a grade-1 child two years old", pupils(),
         lambda lg, _: admit(lg, birth_date="2024-01-01"), errors.ImplausibleBirthDate, "identity.birth_date"),
    Case("a sex that is neither male nor female", pupils(), lambda lg, _: admit(lg, sex="x"),
         errors.InvalidSex, "identity.sex"),
    Case("a birth date that is not a date", pupils(), lambda lg, _: admit(lg, birth_date="2019-02-30"),
         errors.InvalidValue, "identity.birth_date"),
    Case("admitting the same student twice", pupils(), lambda lg, ids: admit(lg, student_id=ids[0]),
         errors.StudentAlreadyExists, "student_id"),
    Case("an admission into a sealed year", sealed, lambda lg, _: admit(lg), errors.YearIsSealed, "year"),
    Case("an identity change with nothing changed", pupils(),
         lambda lg, ids: lg.change_identity(ids[0], b.identity(1, birth_date="2019-06-01"), reason="転居",
                                            recorded_by="registrar"),
         errors.NothingChanged, "identity"),
    Case("an identity change that only adds spaces around the name", pupils(),
         lambda lg, ids: lg.change_identity(ids[0], b.identity(1, birth_date="2019-06-01", family_name=" 佐藤 "),
                                            reason="転居", recorded_by="registrar"),
         errors.NothingChanged, "identity"),
    Case("an identity change of an unknown student", nothing,
         lambda lg, _: lg.change_identity(NOBODY, b.identity(1), reason="転居", recorded_by="registrar"),
         errors.UnknownStudent, "student_id"),
    Case("an identity change of a student id that is not a uuid", nothing,
         lambda lg, _: lg.change_identity("student-1", b.identity(1), reason="転居", recorded_by="registrar"),
         errors.UnknownStudent, "student_id"),
    # leave, withdrawal, graduation
    Case("a second withdrawal", withdrawn,
         lambda lg, ids: lg.withdraw(ids[1], on=NEXT_DAY, reason="再提出", recorded_by="principal"),
         errors.StudentWithdrawn, "student_id"),
    Case("a leave of absence for a student already on leave", on_leave,
         lambda lg, ids: lg.begin_leave(ids[1], on=NEXT_DAY, reason="療養", recorded_by="principal"),
         errors.StudentOnLeave, "student_id"),
    Case("the end of a leave that never began", pupils(),
         lambda lg, ids: lg.end_leave(ids[0], on=NEXT_DAY, recorded_by="principal"),
         errors.StudentNotOnLeave, "student_id"),
    Case("a graduation from grade 3", pupils(3),
         lambda lg, ids: lg.graduate(ids[0], on=date(2027, 3, 19), recorded_by="principal"),
         errors.GradeOutOfRange, "student_id"),
    Case("a withdrawal dated before the admission", pupils(),
         lambda lg, ids: lg.withdraw(ids[0], on=date(2026, 4, 1), reason="転出", recorded_by="principal"),
         errors.DateBeforeEnrollment, "on"),
    # rolls
    Case("a roll on a Saturday", pupils(), lambda lg, ids: roll(lg, ids, on=SATURDAY),
         errors.NotAnInstructionalDay, "date"),
    Case("a roll on a grade closure day", pupils(closures=[GRADE_CLOSURE]),
         lambda lg, ids: roll(lg, ids, on=NEXT_DAY), errors.NotAnInstructionalDay, "date"),
    Case("a roll on a class closure day", pupils(closures=[CLASS_CLOSURE]),
         lambda lg, ids: roll(lg, ids, on=NEXT_DAY), errors.ClassClosedThatDay, "date"),
    Case("a roll on a day of the next school year", pupils(), lambda lg, ids: roll(lg, ids, on=date(2027, 4, 6)),
         errors.DateOutsideSchoolYear, "date"),
    Case("a roll before the year has a calendar", no_calendar, lambda lg, _: roll(lg, []),
         errors.CalendarNotSet, "date"),
    Case("a roll of a class that is not formed", school, lambda lg, _: roll(lg, []),
         errors.UnknownClass, "class_name"),
    Case("a roll marking a student who is not in the class", pupils(),
         lambda lg, ids: roll(lg, ids, marks=[*((s, {"code": "present"}) for s in ids), (NOBODY, {"code": "late"})]),
         errors.StudentNotInClass, "marks[2].student_id"),
    Case("a roll marking a student on a day before their admission", joined_later,
         lambda lg, ids: roll(lg, ids, on=DAY), errors.StudentNotInClass, "marks[2].student_id"),
    Case("a roll missing a student", pupils(), lambda lg, ids: roll(lg, ids[:1]),
         errors.StudentMissingFromRoll, "marks"),
    Case("a roll naming a student twice", pupils(),
         lambda lg, ids: roll(lg, ids, marks=[(ids[0], {"code": "present"}), (ids[1], {"code": "present"}),
                                              (ids[0], {"code": "late"})]),
         errors.DuplicateStudentInRoll, "marks[2]"),
    Case("a roll with an unknown mark code", pupils(),
         lambda lg, ids: roll(lg, ids, marks=with_last(ids, Mark(code="holiday"))),  # type: ignore[arg-type]
         errors.UnknownMarkCode, "marks[1].code"),
    Case("a roll with an unknown mark code sent as plain data", pupils(),
         lambda lg, ids: roll(lg, ids, marks=with_last(ids, {"code": "holiday"})),
         errors.UnknownMarkCode, "marks[1].code"),
    Case("a suspension (出席停止) without its authority", pupils(),
         lambda lg, ids: roll(lg, ids, marks=with_last(ids, {"code": "suspended", "reason": "インフルエンザ"})),
         errors.MarkNeedsAuthority, "marks[1].authority"),
    Case("a suspension on an authority the law does not know", pupils(),
         lambda lg, ids: roll(lg, ids, marks=with_last(ids, {"code": "suspended", "authority": "typhoon"})),
         errors.MarkNeedsAuthority, "marks[1].authority"),
    Case("a deemed-present day (出席扱い) without its facility", pupils(),
         lambda lg, ids: roll(lg, ids, marks=with_last(ids, {"code": "deemed_present", "facility": "  "})),
         errors.MarkNeedsFacility, "marks[1].facility"),
    Case("a second roll for the same day", rolled, lambda lg, ids: roll(lg, ids),
         errors.AttendanceAlreadyMarked, "date"),
    Case("a roll marking a withdrawn student", withdrawn, lambda lg, ids: roll(lg, ids, on=NEXT_DAY),
         errors.StudentWithdrawn, "marks[1].student_id"),
    Case("a roll marking a graduated student", graduated, lambda lg, ids: roll(lg, ids, grade=6, on=LAST_WEEK),
         errors.StudentGraduated, "marks[1].student_id"),
    Case("a roll marking a student on leave (休学)", on_leave, lambda lg, ids: roll(lg, ids, on=NEXT_DAY),
         errors.StudentOnLeave, "marks[1].student_id"),
    Case("a plain roll in a sealed year", sealed, lambda lg, ids: roll(lg, ids, on=NEXT_DAY),
         errors.YearIsSealed, "year"),
    # corrections of marks
    Case("a correction without a reason", rolled, lambda lg, ids: correct(lg, ids[0], reason="  "),
         errors.CorrectionNeedsReason, "reason"),
    Case("a correction in a sealed year without the principal's approval", sealed,
         lambda lg, ids: correct(lg, ids[0]), errors.CorrectionNeedsApproval, "approved_by"),
    Case("a correction of a mark that does not exist", rolled, lambda lg, ids: correct(lg, ids[0], on=NEXT_DAY),
         errors.NoMarkToCorrect, "date"),
    Case("a correction of an unknown student's mark", nothing, lambda lg, _: correct(lg, NOBODY),
         errors.UnknownStudent, "student_id"),
    # assessments
    Case("a viewpoint graded D", pupils(3),
         lambda lg, ids: assess(lg, ids[0], viewpoints=Viewpoints(knowledge="D", thinking="A",  # type: ignore[arg-type]
                                                                  attitude="A")),
         errors.InvalidViewpoint, "viewpoints.knowledge"),
    Case("a viewpoint graded D sent as plain data", pupils(3),
         lambda lg, ids: assess(lg, ids[0], viewpoints={**VIEWPOINTS, "thinking": "D"}),
         errors.InvalidViewpoint, "viewpoints.thinking"),
    Case("a rating (評定) for elementary grade 1", pupils(1), lambda lg, ids: assess(lg, ids[0], rating=2),
         errors.RatingNotAllowed, "rating"),
    Case("a rating of 4 for elementary grade 3", pupils(3), lambda lg, ids: assess(lg, ids[0], rating=4),
         errors.RatingOutOfScale, "rating"),
    Case("a year-end assessment of grade 3 without its rating", pupils(3),
         lambda lg, ids: assess(lg, ids[0], term=None, on=date(2027, 3, 19)), errors.RatingRequired, "rating"),
    Case("science (理科) in grade 1", pupils(1), lambda lg, ids: assess(lg, ids[0], subject="science"),
         errors.SubjectNotTaughtInGrade, "subject"),
    Case("a subject the curriculum does not have", pupils(3),
         lambda lg, ids: assess(lg, ids[0], subject="calligraphy"), errors.UnknownSubject, "subject"),
    Case("an assessment for term 4", pupils(3), lambda lg, ids: assess(lg, ids[0], term=4),
         errors.TermOutOfRange, "term"),
    Case("a second assessment of the same subject and term", assessed, lambda lg, ids: assess(lg, ids[0]),
         errors.AlreadyRecorded, "subject"),
    Case("an assessment dated in another school year", pupils(3),
         lambda lg, ids: assess(lg, ids[0], on=date(2027, 4, 2)), errors.DateOutsideSchoolYear, "on"),
    Case("an assessment for a year the student had no class", pupils(3),
         lambda lg, ids: assess(lg, ids[0], year=2025, on=date(2025, 7, 17)),
         errors.StudentNotEnrolledAtSchool, "year"),
    Case("an assessment of an unknown student", nothing, lambda lg, _: assess(lg, NOBODY),
         errors.UnknownStudent, "student_id"),
    Case("a plain assessment in a sealed year", sealed_grade_3, lambda lg, ids: assess(lg, ids[0]),
         errors.YearIsSealed, "year"),
    Case("a correction of an assessment that does not exist", assessed,
         lambda lg, ids: lg.correct_assessment(ids[0], YEAR, corrects_version=2, viewpoints=VIEWPOINTS,
                                               reason="転記誤り", recorded_by=b.STAFF),
         errors.UnknownEventToCorrect, "corrects_version"),
    # year record
    Case("a year record with club activities (クラブ活動) in grade 3", pupils(3),
         lambda lg, ids: lg.enter_year_record(ids[0], YEAR, record={"special_activities": ["club_activities"]},
                                              on=date(2027, 3, 19), recorded_by=b.STAFF),
         errors.UnknownSpecialActivity, "record.special_activities[0]"),
    Case("a year record with integrated study (総合) in grade 1", pupils(1),
         lambda lg, ids: lg.enter_year_record(ids[0], YEAR, record={"integrated_study": "地域の川を調べた"},
                                              on=date(2027, 3, 19), recorded_by=b.STAFF),
         errors.IntegratedStudyNotInGrade, "record.integrated_study"),
    # health and dental examinations
    Case("a height of 250 cm", pupils(), lambda lg, ids: examine(lg, ids[0], health_exam(height_cm="250.0")),
         errors.MeasurementOutOfRange, "examination.height_cm"),
    Case("a height to two decimal places", pupils(),
         lambda lg, ids: examine(lg, ids[0], health_exam(height_cm="116.25")),
         errors.TooPrecise, "examination.height_cm"),
    Case("a vision graded E", pupils(),
         lambda lg, ids: examine(lg, ids[0], _exam_struct(vision=Vision(right_naked="E"))),  # type: ignore[arg-type]
         errors.InvalidVisionGrade, "examination.vision.right_naked"),
    Case("a vision graded E sent as plain data", pupils(),
         lambda lg, ids: examine(lg, ids[0], health_exam(vision={"left_naked": "E"})),
         errors.InvalidVisionGrade, "examination.vision.left_naked"),
    Case("a grade-1 examination without the ECG (心電図)", pupils(),
         lambda lg, ids: examine(lg, ids[0], health_exam(heart_ecg=None)),
         errors.ExaminationRequiredInGrade, "examination.heart_ecg"),
    Case("a grade-1 examination without hearing", pupils(),
         lambda lg, ids: examine(lg, ids[0], health_exam(hearing_left=None)),
         errors.ExaminationRequiredInGrade, "examination.hearing_left"),
    Case("a tuberculosis guidance class of E1", pupils(),
         lambda lg, ids: examine(lg, ids[0], health_exam(tuberculosis_guidance="E1")),
         errors.InvalidFinding, "examination.tuberculosis_guidance"),
    Case("a second health examination in the year", examined, lambda lg, ids: examine(lg, ids[0], health_exam()),
         errors.AlreadyRecorded, "year"),
    Case("a △ (要観察歯) on a primary tooth", pupils(),
         lambda lg, ids: lg.record_dental_exam(ids[0], YEAR, examination=dental_exam(LLD="△"),
                                               examined_on=date(2026, 4, 20), recorded_by="dentist"),
         errors.InvalidToothCode, "examination.teeth.LLD"),
    Case("a tooth that does not exist", pupils(),
         lambda lg, ids: lg.record_dental_exam(ids[0], YEAR, examination=dental_exam(UR9="/"),
                                               examined_on=date(2026, 4, 20), recorded_by="dentist"),
         errors.UnknownTooth, "examination.teeth.UR9"),
    Case("a correction of a dental examination that was never recorded", examined,
         lambda lg, ids: lg.correct_examination(ids[0], YEAR, corrects_version=1, examination=dental_exam(),
                                                dental=True, reason="転記誤り", recorded_by="nurse"),
         errors.UnknownEventToCorrect, "corrects_version"),
]


def _exam_struct(**overrides: Any) -> HealthExamination:
    exam = HealthExamination(
        height_cm=Decimal("116.5"), weight_kg=Decimal("21.3"), nutrition="normal",
        vision=Vision(right_naked="A", left_naked="A"), urine_protein="-", urine_sugar="-",
        hearing_right="normal", hearing_left="normal", heart_ecg="異常なし",
    )
    return msgspec.structs.replace(exam, **overrides)


def test_the_table_covers_enough_rules() -> None:
    assert len(CASES) >= 30
    assert len({c.name for c in CASES}) == len(CASES)
    assert len({c.error for c in CASES}) >= 30


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_a_refused_command_names_its_rule_and_field_and_records_nothing(ledger: Ledger, case: Case) -> None:
    context = case.setup(ledger)
    before = ledger.position()

    with pytest.raises(case.error) as refused:
        case.command(ledger, context)

    assert type(refused.value) is case.error
    assert refused.value.field == case.field
    assert refused.value.rule != "rule-violation"
    assert ledger.position() == before
