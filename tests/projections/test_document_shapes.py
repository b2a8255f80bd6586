"""Every read-model document has the shape its projection declares (ADR 0020).

Each projection says what its documents hold as TypedDicts. A history with every kind of document
and most optional members (a closure, marks of every kind with corrections, assessments and year
records with corrections, health and dental examinations with a correction, an identity change, a
leave and a return, a withdrawal, a hand-over to another school of the ledger and one out of it,
a homeroom change, a principal appointment) is run on each backend; every stored document, read
as its TypedDict (msgspec, strict: no member of another type, none missing, none left over), is
the same bytes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
import pytest

from domain.backend import Backend
from domain.ledger import Ledger
from projections import (
    attendance_index,
    attendance_register,
    board_settings,
    enrollment_record,
    guidance_record,
    health_records,
    runner_for,
)
from projections import roster as roster_module
from projections.base import canonical, decode
from projections.dashboards import summary as dashboard_summary
from tests import builders as b

SHAPES: dict[tuple[str, str], Any] = {
    ("roster", "class"): roster_module.RosterClass,
    ("roster", "student"): roster_module.RosterStudent,
    ("attendance_register", "marks"): attendance_register.MonthMarks,
    ("attendance_register", "calendar"): attendance_register.Calendar,
    ("enrollment_record", "student"): enrollment_record.StudentRecord,
    ("enrollment_record", "school"): enrollment_record.SchoolRecord,
    ("enrollment_record", "class"): enrollment_record.ClassRecord,
    ("guidance_record", "assessments"): guidance_record.Assessments,
    ("guidance_record", "year_record"): guidance_record.YearRecordDocument,
    ("attendance_index", "codes"): attendance_index.MonthCodes,
    ("health_records", "health"): health_records.HealthYear,
    ("board_settings", "board"): board_settings.BoardDocument,
    ("dashboards", "school"): dashboard_summary.SchoolSummary,
    ("dashboards", "board"): dashboard_summary.BoardSchools,
    ("dashboards", "figures"): dashboard_summary.BoardFigures,
    ("dashboards", "classes"): dashboard_summary.SchoolFigures,
}
HEALTH: dict[str, Any] = {"height_cm": "116.7", "weight_kg": "21.8", "nutrition": "normal",
                          "vision": {"right_naked": "A", "left_naked": "A"}, "urine_protein": "-",
                          "urine_sugar": "-", "hearing_right": "normal", "hearing_left": "normal",
                          "heart_ecg": "異常なし"}
DENTAL: dict[str, Any] = {"jaw": 0, "bite": 0, "plaque": 1, "gums": 0, "teeth": {"UR6": "/", "LLA": "C"}}
RECORD: dict[str, Any] = {"general_remarks": "明るく活発に過ごした。", "behaviour": ["basic_habits"],
                          "special_activities": ["class_activities"]}


def a_history_with_every_kind_of_document(ledger: Ledger) -> None:
    b.school_with_calendar(ledger, closures=[{"on": "2026-04-09", "scope": "class", "grade": 1, "class_name": "1",
                                             "reason": "学級閉鎖"}])
    b.school_with_calendar(ledger, b.OTHER_ELEMENTARY, name="鳥取市立みずうみ小学校")
    first, second, third, fourth = b.class_with_students(ledger, count=4)
    ledger.form_class(b.OTHER_ELEMENTARY, b.YEAR, 1, "1", homeroom_teacher_id="T-0003",
                      homeroom_teacher_name="伊藤 三郎", on=date(2026, 4, 6), recorded_by="admin")
    ledger.appoint_principal(b.ELEMENTARY, "P-0002", "鈴木 二郎", on=date(2026, 4, 10), recorded_by="admin")
    marks = [{"code": "late", "reason": "通院"}, {"code": "deemed_present", "facility": "鳥取市教育支援センター"},
             {"code": "suspended", "authority": "infection", "reason": "インフルエンザ"}, {"code": "present"}]
    for day in (date(2026, 4, 7), date(2026, 4, 8)):
        ledger.record_roll(b.ELEMENTARY, b.YEAR, 1, "1", on=day, recorded_by=b.STAFF,
                           marks=[(sid, m) for sid, m in zip((first, second, third, fourth), marks, strict=True)])
    ledger.correct_mark(first, on=date(2026, 4, 7), mark={"code": "absent_illness", "reason": "発熱"},
                        reason="連絡の遅れ", recorded_by=b.STAFF)
    ledger.correct_mark(second, on=date(2026, 4, 8), mark={"code": "present"}, reason="記入誤り",
                        recorded_by=b.STAFF)
    for term in (1, None):
        ledger.record_assessment(first, b.YEAR, subject="japanese", term=term, recorded_by=b.STAFF,
                                 viewpoints={"knowledge": "A", "thinking": "B", "attitude": "B"},
                                 on=date(2026, 7, 17) if term else date(2027, 3, 15))
    ledger.correct_assessment(first, b.YEAR, corrects_version=1, reason="転記誤り", recorded_by=b.STAFF,
                              viewpoints={"knowledge": "B", "thinking": "B", "attitude": "A"})
    ledger.enter_year_record(first, b.YEAR, record=RECORD, on=date(2027, 3, 19), recorded_by=b.STAFF)
    ledger.correct_year_record(first, b.YEAR, corrects_version=1, reason="所見の書き直し", recorded_by=b.STAFF,
                               record={**RECORD, "general_remarks": "読書に親しんだ。"})
    ledger.record_health_exam(first, b.YEAR, examination=HEALTH, examined_on=date(2026, 5, 12), recorded_by="N-0001")
    ledger.record_dental_exam(first, b.YEAR, examination=DENTAL, examined_on=date(2026, 5, 19), recorded_by="N-0001")
    ledger.correct_examination(first, b.YEAR, corrects_version=2, examination={**DENTAL, "bite": 1},
                               dental=True, reason="記入漏れ", recorded_by="N-0001")
    ledger.change_identity(second, b.identity(2, address="鳥取県米子市角盤町1-1", guardian={
        "name": "佐藤 花", "name_kana": "さとう はな", "relation": "母", "address": "鳥取県米子市"}),
        reason="転居", on=date(2026, 4, 20), recorded_by="registrar")
    ledger.begin_leave(second, on=date(2026, 5, 1), reason="病気療養", recorded_by="registrar")
    ledger.end_leave(second, on=date(2026, 6, 1), recorded_by="registrar")
    ledger.begin_leave(third, on=date(2026, 6, 1), reason="病気療養", recorded_by="registrar")
    ledger.withdraw(third, on=date(2026, 6, 30), reason="海外転出", recorded_by=b.PRINCIPAL)  # while on leave
    ledger.set_board_settings(b.BOARD, {"leave_days": "excused"}, effective_on=date(2026, 4, 1), recorded_by="E-0001")
    ledger.hand_over(fourth, kind="transfer", to_school=b.OTHER_ELEMENTARY, left_on=date(2026, 4, 28),
                     accepted_on=date(2026, 5, 1), year=b.YEAR, grade=1, class_name="1", number=10,
                     reason="転居", recorded_by="registrar")
    ledger.hand_over(first, kind="transfer", to_school="B131220009990", left_on=date(2026, 7, 17),
                     accepted_on=date(2026, 7, 21), year=b.YEAR, grade=1, external=True,
                     to_school_name="大阪市立さくら小学校", to_school_address="大阪府大阪市", reason="転居",
                     recorded_by="registrar")


@pytest.fixture
def history(ledger: Ledger, backend: Backend) -> dict[str, dict[str, str]]:
    a_history_with_every_kind_of_document(ledger)
    runner = runner_for(ledger, backend)
    runner.catch_up()
    return {name: runner.store.documents(name) for name in runner.projections}


def test_every_stored_document_is_the_typed_shape_its_projection_declares(history: dict[str, dict[str, str]]) -> None:
    seen = set()
    for name, documents in history.items():
        for key, text in documents.items():
            shape = SHAPES[(name, key.split("/", 1)[0])]
            typed = msgspec.convert(decode(text), shape, strict=True)
            assert canonical(typed) == text, (name, key)
            seen.add((name, key.split("/", 1)[0]))
    assert seen == set(SHAPES)


def test_the_history_fills_the_optional_members(history: dict[str, dict[str, str]]) -> None:
    """The shapes are checked with their optional members present, not only absent."""
    students = [decode(t) for k, t in history["enrollment_record"].items() if k.startswith("student/")]
    assert {"withdrawal", "moves"} <= {m for s in students for m in s}
    assert any("ended_on" in leave for s in students for leave in s["leaves"])
    entries = [e for t in history["attendance_register"].values() for days in decode(t).get("marks", {}).values()
               for e in days.values()]
    assert {"authority", "facility", "trail"} <= {m for e in entries for m in e}
    codes = [decode(t) for t in history["attendance_index"].values()]
    assert any("facilities" in c for c in codes)
    rolls = [decode(t) for k, t in history["roster"].items() if k.startswith("class/")]
    assert any("leave_until" in p for r in rolls for ps in r["placements"].values() for p in ps)
    health = [decode(t) for t in history["health_records"].values()]
    assert any("health" in h and "dental" in h and h["dental"]["trail"] for h in health)
