"""The student forms composed from the read models, case by case, on SQLite and PostgreSQL.

指導要録 (様式1: identity and its trail, admission, principals and homeroom teachers by year,
withdrawal; 様式2: the year's assessments and year record with their correction trails, 出欠の記録
by the arithmetic of projections/forms/attendance_arithmetic.py), the same as known at a past position,
time or date, the report card of a term (two- and three-term schools), and the long-absence
figures (30 days; seven school days in a row).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from domain import streams
from domain.backend import Backend
from domain.ledger import Ledger
from domain.school import HomeroomTeacherChanged
from projections import runner_for
from projections.base import Cutoff, canonical
from projections.forms import Forms
from projections.forms.report_card import NoSuchTerm
from tests import builders as b
from tests.conftest import Clock

SCHOOL, YEAR, GRADE = b.ELEMENTARY, b.YEAR, 3
PRINCIPAL = b.PRINCIPAL
TEACHER, PRINCIPAL_NAME = "山田 花子", "田中 一郎"  # the names recorded for b.STAFF and b.PRINCIPAL
FACILITY = "鳥取市教育支援センター"
PRESENT = {"code": "present"}
GRADE_CLOSED, CLASS_CLOSED = date(2026, 6, 3), date(2026, 6, 4)
CLOSURES = [
    {"on": GRADE_CLOSED.isoformat(), "scope": "grade", "grade": GRADE, "reason": "インフルエンザ(学年閉鎖)"},
    {"on": CLASS_CLOSED.isoformat(), "scope": "class", "grade": GRADE, "class_name": "1", "reason": "学級閉鎖"},
]
GRADE_3_SUBJECTS = ["japanese", "social_studies", "arithmetic", "science", "music", "arts_and_crafts",
                    "physical_education"]


def forms(backend: Backend, ledger: Ledger) -> Forms:
    runner = runner_for(ledger, backend)
    runner.catch_up()
    return Forms(runner)


def roll(ledger: Ledger, day: date, marks: dict[UUID, dict[str, Any]], *, code: str = SCHOOL, year: int = YEAR,
         grade: int = GRADE) -> None:
    ledger.record_roll(code, year, grade, "1", on=day, marks=list(marks.items()), recorded_by=b.STAFF)


def change_homeroom(ledger: Ledger, on: date, staff_id: str, name: str, *, year: int = YEAR,
                    grade: int = GRADE) -> None:
    """No command changes a homeroom teacher yet: the event is recorded as the API would."""
    klass = ledger.school_class(SCHOOL, year, grade, "1")
    ledger.record([HomeroomTeacherChanged(
        originator_id=streams.school_class(SCHOOL, year, grade, "1"), originator_version=klass.version + 1,
        recorded_at=ledger.now(), recorded_by="admin", effective_on=on, homeroom_teacher_id=staff_id,
        homeroom_teacher_name=name)])


def admit(ledger: Ledger, n: int, on: date, *, code: str = SCHOOL, grade: int = GRADE) -> UUID:
    return ledger.admit_student(code, YEAR, grade, "1", n, b.identity(n, birth_date="2017-06-01"), admitted_on=on,
                                admission_kind="admission", reason="市外からの転居に伴う編入学",
                                recorded_by="registrar", different_child=True).stream_id


def record_of(f: Forms, sid: UUID, **kwargs: Any) -> dict[str, Any]:
    doc = f.cumulative_record(sid, **kwargs)
    assert doc is not None
    return doc


def card_of(f: Forms, sid: UUID, term: int, **kwargs: Any) -> dict[str, Any]:
    doc = f.report_card(sid, YEAR, term, **kwargs)
    assert doc is not None
    return doc


def attendance(record: dict[str, Any], year: int = YEAR) -> dict[str, Any]:
    """The 出欠の記録 of a year at the one school (without the school's name and code)."""
    (row,) = next(y for y in record["form2"] if y["year"] == year)["attendance"]
    return {k: v for k, v in row.items() if k not in ("school_code", "school_name")}


def figures(school_days: int, excused: int = 0, absent: int = 0, present: int = 0, *, late: int = 0,
            left_early: int = 0, deemed_present: int = 0, class_closed: int = 0, on_leave: int = 0,
            remarks: str = "") -> dict[str, Any]:
    """The expected tally: required and unrecorded follow from the rest."""
    return {"school_days": school_days, "excused": excused, "required": school_days - excused, "absent": absent,
            "present": present, "late": late, "left_early": left_early, "deemed_present": deemed_present,
            "class_closed": class_closed, "unrecorded": school_days - excused - absent - present,
            "on_leave": on_leave, "remarks": remarks}


# ---------------------------------------------------------------- 様式1


@dataclass
class People:
    a: UUID  # stays, changes name, goes on to class 4-1 in 2027
    c: UUID  # withdraws in November


def people(ledger: Ledger) -> People:
    b.school_with_calendar(ledger)
    a, c = b.class_with_students(ledger, grade=GRADE, count=2)
    ledger.change_identity(a, b.identity(1, birth_date="2017-06-01", family_name="鈴木", family_name_kana="すずき"),
                           reason="保護者の婚姻による氏の変更", on=date(2026, 5, 11), recorded_by="registrar")
    change_homeroom(ledger, date(2026, 9, 1), "T-0002", "高橋 次郎")
    ledger.appoint_principal(SCHOOL, "P-0002", "鈴木 二郎", on=date(2026, 10, 1), recorded_by="admin")
    ledger.withdraw(c, on=date(2026, 11, 2), reason="県外へ転出", recorded_by=PRINCIPAL)
    ledger.appoint_principal(SCHOOL, "P-0003", "渡辺 三郎", on=date(2027, 4, 1), recorded_by="admin")
    ledger.form_class(SCHOOL, 2027, 4, "1", homeroom_teacher_id="T-0003", homeroom_teacher_name="伊藤 三郎",
                      students=[(a, 1)], on=date(2027, 4, 6), recorded_by="admin")
    return People(a, c)


def test_form1_prints_the_identity_as_it_stands_with_the_trail_of_changes(backend: Backend, ledger: Ledger) -> None:
    p = people(ledger)
    form1 = record_of(forms(backend, ledger), p.a)["form1"]
    assert (form1["name"], form1["name_kana"]) == ("鈴木 陽翔1", "すずき はると")
    assert (form1["sex"], form1["birth_date"], form1["address"]) == ("女", "2017-06-01", "鳥取県鳥取市東町1-220")
    assert form1["guardian"] == {"name": "佐藤 健", "name_kana": "さとう けん", "relation": "父", "address": ""}
    changed = next(e for e in ledger.stream(p.a) if type(e).__name__ == "IdentityDetailsChanged")
    (trail,) = form1["identity_trail"]
    assert trail["identity"]["family_name"] == "佐藤"
    assert trail["identity"]["family_name_kana"] == "さとう"
    assert trail | {"identity": None} == {"identity": None, "changed_on": "2026-05-11",
                                          "reason": "保護者の婚姻による氏の変更", "recorded_by": "registrar",
                                          "recorded_at": changed.recorded_at.isoformat(),
                                          "recorded_by_name": None}  # the registrar: no name recorded


def test_form1_prints_the_admission_the_schools_and_the_withdrawal(backend: Backend, ledger: Ledger) -> None:
    p = people(ledger)
    f = forms(backend, ledger)
    form1 = record_of(f, p.c)["form1"]
    assert form1["admission"] == {"kind": "admission", "on": "2026-04-06", "school_code": SCHOOL, "year": YEAR,
                                  "grade": GRADE, "prior_history": "", "reason": "市外からの転居に伴う編入学"}
    assert form1["withdrawal"] == {"on": "2026-11-02", "reason": "県外へ転出"}
    assert form1["graduation"] is None
    assert form1["enrollments"] == [{"school_code": SCHOOL, "began_on": "2026-04-06", "ended_on": "2026-11-02",
                                     "ended_because": "withdrawal", "school_name": "鳥取市立みどり小学校"}]
    assert form1["schools"] == [{"school_code": SCHOOL, "name": "鳥取市立みどり小学校", "address": "鳥取県鳥取市"}]
    assert [y["year"] for y in form1["years"]] == [YEAR]  # withdrawn: not placed in 2027

    stays = record_of(f, p.a)["form1"]
    assert stays["withdrawal"] is None
    assert stays["enrollments"] == [{"school_code": SCHOOL, "began_on": "2026-04-06",
                                     "school_name": "鳥取市立みどり小学校"}]


def test_form1_prints_principals_and_homeroom_teachers_by_year_with_the_day_each_took_office(
        backend: Backend, ledger: Ledger) -> None:
    p = people(ledger)
    record = record_of(forms(backend, ledger), p.a)
    y2026, y2027 = record["form1"]["years"]
    assert (y2026["year"], y2026["grade"], y2026["class_name"], y2026["number"]) == (YEAR, GRADE, "1", 1)
    # A mid-year change prints the period each served (the day before the successor took office).
    assert y2026["principals"] == [{"name": "田中 一郎", "from": "2026-04-01", "to": "2026-09-30"},
                                   {"name": "鈴木 二郎", "from": "2026-10-01", "to": None}]
    assert y2026["homeroom_teachers"] == [{"name": "山田 花子", "from": "2026-04-06", "to": "2026-08-31"},
                                          {"name": "高橋 次郎", "from": "2026-09-01", "to": None}]
    # The next year's principal took office on its first day: the one before is not printed for it.
    assert (y2027["year"], y2027["grade"], y2027["number"]) == (2027, 4, 1)
    assert y2027["principals"] == [{"name": "渡辺 三郎", "from": "2027-04-01", "to": None}]
    assert y2027["homeroom_teachers"] == [{"name": "伊藤 三郎", "from": "2027-04-06", "to": None}]
    assert [(y["year"], y["grade"]) for y in record["form2"]] == [(YEAR, GRADE), (2027, 4)]


# ---------------------------------------------------------------- 様式2: assessments and the year record


@dataclass
class Assessed:
    a: UUID
    before_correction: int  # the log position just before the first correction
    at_correction: datetime  # when the first correction was recorded


VIEW_2 = {"knowledge": "B", "thinking": "B", "attitude": "A"}
VIEW_3 = {"knowledge": "A", "thinking": "A", "attitude": "A"}
RECORD = {"moral_education": "友達の気持ちを考えて行動できた。", "integrated_study": "地域の川を調べた。",
          "special_activities": ["class_activities"], "behaviour": ["responsibility"],
          "general_remarks": "明るく活発に過ごした。"}


def assessed(ledger: Ledger) -> Assessed:
    """One third-grader: term and year assessments, a correction before the seal and two after it."""
    b.school_with_calendar(ledger)
    (a,) = b.class_with_students(ledger, grade=GRADE, count=1)
    ledger.record_assessment(a, YEAR, subject="japanese", term=1, viewpoints=VIEW_2, on=date(2026, 7, 17),
                             recorded_by=b.STAFF)  # version 1
    ledger.record_assessment(a, YEAR, subject="japanese", viewpoints=VIEW_2, rating=2, on=date(2027, 3, 19),
                             recorded_by=b.STAFF)  # version 2
    ledger.record_assessment(a, YEAR, subject="arithmetic", viewpoints=VIEW_2, rating=1, on=date(2027, 3, 19),
                             recorded_by=b.STAFF)  # version 3
    ledger.enter_year_record(a, YEAR, record=RECORD, on=date(2027, 3, 19), recorded_by=b.STAFF)
    before = ledger.position()
    ledger.correct_assessment(a, YEAR, corrects_version=2, viewpoints=VIEW_3, rating=3, reason="評定の転記誤り",
                              recorded_by=b.STAFF)
    at = ledger.stream(streams.assessments(a, YEAR))[-1].recorded_at
    ledger.seal_year(SCHOOL, YEAR, recorded_by=PRINCIPAL)
    ledger.correct_assessment(a, YEAR, corrects_version=3, viewpoints=VIEW_2, rating=2, reason="観点の集計誤り",
                              approved_by=PRINCIPAL, recorded_by=b.STAFF)
    ledger.correct_year_record(a, YEAR, corrects_version=1, record={**RECORD, "general_remarks": "読書に親しんだ。"},
                               reason="所見の書き直し", approved_by=PRINCIPAL, recorded_by=b.STAFF)
    return Assessed(a, before, at)


def test_form2_prints_the_year_assessment_of_each_subject_with_its_correction_trail(
        backend: Backend, ledger: Ledger) -> None:
    s = assessed(ledger)
    (form2,) = record_of(forms(backend, ledger), s.a)["form2"]
    subjects = {r["subject"]: r for r in form2["subjects"]}
    assert [r["subject"] for r in form2["subjects"]] == GRADE_3_SUBJECTS  # the grade's subjects, in order
    history = ledger.stream(streams.assessments(s.a, YEAR))
    assert subjects["japanese"] == {
        "subject": "japanese", "label": "国語", "viewpoints": VIEW_3, "rating": 3,  # the year's, not the term's
        "trail": [{"viewpoints": VIEW_2, "rating": 2, "corrected_by": b.STAFF, "why": "評定の転記誤り",
                   "corrected_at": history[3].recorded_at.isoformat(), "approved_by": None,
                   "corrected_by_name": TEACHER}]}
    assert subjects["arithmetic"]["rating"] == 2
    assert subjects["arithmetic"]["trail"] == [
        {"viewpoints": VIEW_2, "rating": 1, "corrected_by": b.STAFF, "why": "観点の集計誤り",
         "corrected_at": history[4].recorded_at.isoformat(), "approved_by": PRINCIPAL,
         "corrected_by_name": TEACHER, "approved_by_name": PRINCIPAL_NAME}]
    assert subjects["science"] == {"subject": "science", "label": "理科", "viewpoints": None, "rating": None,
                                   "trail": []}


def test_form2_prints_the_year_record_with_its_trail(backend: Backend, ledger: Ledger) -> None:
    s = assessed(ledger)
    (form2,) = record_of(forms(backend, ledger), s.a)["form2"]
    assert form2["general_remarks"] == "読書に親しんだ。"
    assert (form2["moral_education"], form2["integrated_study"]) == (RECORD["moral_education"],
                                                                    RECORD["integrated_study"])
    assert form2["special_activities"] == [  # クラブ活動 is from grade 4
        {"item": "class_activities", "label": "学級活動", "marked": True},
        {"item": "student_council", "label": "児童会活動", "marked": False},
        {"item": "school_events", "label": "学校行事", "marked": False}]
    assert [i["item"] for i in form2["behaviour"] if i["marked"]] == ["responsibility"]
    assert len(form2["behaviour"]) == 10
    corrected = ledger.stream(streams.year_record(s.a, YEAR))[-1]
    assert form2["year_record_trail"] == [{
        "record": RECORD, "corrected_by": b.STAFF, "corrected_at": corrected.recorded_at.isoformat(),
        "why": "所見の書き直し", "approved_by": PRINCIPAL, "corrected_by_name": TEACHER,
        "approved_by_name": PRINCIPAL_NAME}]


def test_a_position_before_a_correction_shows_the_original_and_no_trail(backend: Backend, ledger: Ledger) -> None:
    s = assessed(ledger)
    f = forms(backend, ledger)
    for then in (Cutoff(position=s.before_correction), Cutoff(at=s.at_correction - timedelta(seconds=1))):
        (form2,) = record_of(f, s.a, as_of=then)["form2"]
        japanese = next(r for r in form2["subjects"] if r["subject"] == "japanese")
        assert (japanese["viewpoints"], japanese["rating"], japanese["trail"]) == (VIEW_2, 2, [])
        assert (form2["general_remarks"], form2["year_record_trail"]) == (RECORD["general_remarks"], [])
    # At the correction's own position (and time) it is there, and nothing recorded later is.
    (form2,) = record_of(f, s.a, as_of=Cutoff(position=s.before_correction + 1))["form2"]
    subjects = {r["subject"]: r for r in form2["subjects"]}
    assert (subjects["japanese"]["rating"], len(subjects["japanese"]["trail"])) == (3, 1)
    assert (subjects["arithmetic"]["rating"], subjects["arithmetic"]["trail"]) == (1, [])
    read_then = Forms(f.runner, clock=lambda: s.at_correction)  # both count the days up to that date (ADR 0024)
    assert canonical(record_of(read_then, s.a, as_of=Cutoff(at=s.at_correction))) == \
        canonical(record_of(read_then, s.a, as_of=Cutoff(position=s.before_correction + 1)))


# ---------------------------------------------------------------- 様式2: 出欠の記録


@dataclass
class June:
    a: UUID  # late, ill (corrected to 出席停止), the class closure, 忌引, absent
    c: UUID  # withdrew on 8 June
    d: UUID  # left early, 出席扱い at the support centre, ill
    e: UUID  # admitted on 9 June
    before_correction: int


def june(ledger: Ledger, clock: Clock | None = None) -> June:
    """Class 3-1 in June 2026: the grade closed on the 3rd (no school day), the class on the 4th.

    With ``clock``, the school, its calendar and the class are recorded on 1 April and the rest on 10 June."""
    if clock is not None:
        _set_clock(clock, date(2026, 4, 1))
    b.school_with_calendar(ledger, closures=CLOSURES)
    a, c, d = b.class_with_students(ledger, grade=GRADE, count=3)
    if clock is not None:
        _set_clock(clock, date(2026, 6, 10))
    roll(ledger, date(2026, 6, 1), {a: {"code": "late"}, c: PRESENT, d: {"code": "left_early"}})
    roll(ledger, date(2026, 6, 2), {a: {"code": "absent_illness", "reason": "発熱"}, c: PRESENT, d: PRESENT})
    roll(ledger, date(2026, 6, 5), {a: {"code": "mourning", "reason": "祖父の葬儀"}, c: PRESENT,
                                    d: {"code": "deemed_present", "facility": FACILITY}})
    ledger.withdraw(c, on=date(2026, 6, 8), reason="県外へ転出", recorded_by=PRINCIPAL)
    e = admit(ledger, 4, date(2026, 6, 9))
    roll(ledger, date(2026, 6, 8), {a: PRESENT, c: PRESENT, d: PRESENT})  # the withdrawal day is on the roll
    roll(ledger, date(2026, 6, 9), {a: PRESENT, d: PRESENT, e: PRESENT})
    roll(ledger, date(2026, 6, 10), {a: {"code": "absent_other"}, d: {"code": "absent_illness"}, e: PRESENT})
    before = ledger.position()
    ledger.correct_mark(a, on=date(2026, 6, 2), mark={"code": "suspended", "authority": "infection",
                                                      "reason": "インフルエンザ"},
                        reason="医師の診断により出席停止", recorded_by=b.STAFF)
    return June(a, c, d, e, before)


# 214 weekdays of the three terms; the grade closure leaves 213 school days for grade 3.
YEAR_DAYS = 213


def test_attendance_is_counted_over_the_days_on_the_roll(backend: Backend, ledger: Ledger) -> None:
    j = june(ledger)
    f = forms(backend, ledger)
    assert attendance(record_of(f, j.a)) == figures(
        YEAR_DAYS, excused=3, absent=1, present=3, late=1, class_closed=1,  # 出席停止, 学級閉鎖, 忌引 are excused
        remarks="出席停止1日、忌引1日、学級閉鎖1日、遅刻1回、未記入206日")
    # On the roll from 6 April to the withdrawal day, 8 June (ADR 0024): 46 weekdays less the grade closure.
    assert attendance(record_of(f, j.c)) == figures(45, excused=1, present=4, class_closed=1,
                                                    remarks="学級閉鎖1日、未記入40日")
    assert attendance(record_of(f, j.d)) == figures(
        YEAR_DAYS, excused=1, absent=1, present=5, left_early=1, deemed_present=1, class_closed=1,
        remarks=f"出席扱い1日({FACILITY})、学級閉鎖1日、早退1回、未記入206日")
    # Admitted on 9 June: the 168 school days from then on.
    assert attendance(record_of(f, j.e)) == figures(168, present=2, remarks="未記入166日")
    (row,) = record_of(f, j.e)["form2"][0]["attendance"]
    assert (row["school_code"], row["school_name"]) == (SCHOOL, "鳥取市立みどり小学校")


def test_a_position_before_a_mark_correction_counts_the_mark_it_replaced(backend: Backend, ledger: Ledger) -> None:
    j = june(ledger)
    then = attendance(record_of(forms(backend, ledger), j.a, as_of=Cutoff(position=j.before_correction)))
    assert then == figures(YEAR_DAYS, excused=2, absent=2, present=3, late=1, class_closed=1,
                           remarks="忌引1日、学級閉鎖1日、遅刻1回、未記入206日")


def test_a_date_before_the_withdrawal_shows_the_record_as_it_stood_then(
        backend: Backend, ledger: Ledger, clock: Clock) -> None:
    j = june(ledger, clock)  # the school registered before the day read
    f = forms(backend, ledger)
    before = record_of(f, j.c, as_of=Cutoff(on=date(2026, 6, 7)))
    assert before["form1"]["withdrawal"] is None
    assert before["form1"]["enrollments"] == [{"school_code": SCHOOL, "began_on": "2026-04-06",
                                               "school_name": "鳥取市立みどり小学校"}]
    # Still on the roll; the school days up to that Sunday, 7 June (ADR 0024): April 6–30 19 weekdays,
    # May 21, June 1–5 5 less the grade closure of the 3rd 4: 44.
    assert attendance(before)["school_days"] == 19 + 21 + 4
    on_the_day = record_of(f, j.c, as_of=Cutoff(on=date(2026, 6, 8)))
    assert on_the_day["form1"]["withdrawal"] == {"on": "2026-06-08", "reason": "県外へ転出"}
    assert canonical(on_the_day) == canonical(record_of(f, j.c))
    # Before the marks of 5 June and later: only the rolls of 1 and 2 June are counted.
    early = attendance(record_of(f, j.a, as_of=Cutoff(on=date(2026, 6, 2))))
    # The corrected 2 June (出席停止; the correction is about that day) is excused; 1 June was late; the
    # class closure of 4 June has not yet come on the 2nd (ADR 0024).
    assert (early["excused"], early["absent"], early["present"], early["late"]) == (1, 0, 1, 1)
    # A child admitted later was not in the register on that day.
    assert f.cumulative_record(j.e, as_of=Cutoff(on=date(2026, 6, 8))) is None
    assert f.cumulative_record(j.e, as_of=Cutoff(on=date(2026, 6, 9))) is not None


def test_an_unknown_child_has_no_forms(backend: Backend, ledger: Ledger) -> None:
    june(ledger)
    f = forms(backend, ledger)
    nobody = UUID(int=7)
    assert f.cumulative_record(nobody) is None
    assert f.report_card(nobody, YEAR, 1) is None
    assert f.cumulative_record(nobody, as_of=Cutoff(position=ledger.position())) is None


# ---------------------------------------------------------------- 通知表


def test_the_report_card_of_a_three_term_school_counts_each_terms_days(backend: Backend, ledger: Ledger) -> None:
    j = june(ledger)
    ledger.record_assessment(j.a, YEAR, subject="japanese", term=1, viewpoints=VIEW_2, on=date(2026, 7, 17),
                             recorded_by=b.STAFF)
    ledger.enter_year_record(j.a, YEAR, record=RECORD, on=date(2027, 3, 19), recorded_by=b.STAFF)
    change_homeroom(ledger, date(2026, 9, 1), "T-0002", "高橋 次郎")
    roll(ledger, date(2026, 9, 1), {j.a: {"code": "absent_illness"}, j.d: PRESENT, j.e: PRESENT})
    f = forms(backend, ledger)
    one, two, three = (card_of(f, j.a, t) for t in (1, 2, 3))
    assert one["term"] == {"number": 1, "starts_on": "2026-04-06", "ends_on": "2026-07-20"}
    assert (one["terms_in_year"], one["grade"], one["class_name"], one["number"]) == (3, GRADE, "1", 1)
    # Term 1: 76 weekdays less the grade closure; the June marks. Term 2: 83 days, one absence.
    assert one["attendance"] == figures(75, excused=3, absent=1, present=3, late=1, class_closed=1,
                                        remarks="出席停止1日、忌引1日、学級閉鎖1日、遅刻1回、未記入68日")
    assert two["attendance"] == figures(83, absent=1, remarks="未記入82日")
    assert three["attendance"] == figures(55, remarks="未記入55日")
    assert (one["homeroom_teacher"], two["homeroom_teacher"]) == ("山田 花子", "高橋 次郎")
    japanese = [next(s for s in card["subjects"] if s["subject"] == "japanese") for card in (one, two)]
    assert (japanese[0]["viewpoints"], japanese[1]["viewpoints"]) == (VIEW_2, None)
    # The year's remarks are printed on the last term's card only.
    assert (one["general_remarks"], three["general_remarks"]) == ("", RECORD["general_remarks"])
    # A child admitted on 9 June: term 1 counts the 30 school days from then to 20 July.
    assert card_of(f, j.e, 1)["attendance"]["school_days"] == 30


def two_term_school(ledger: Ledger) -> UUID:
    code = b.OTHER_ELEMENTARY
    ledger.register_school(code, "鳥取市立あおば小学校", b.BOARD, "鳥取県鳥取市", recorded_by="admin")
    ledger.appoint_principal(code, "P-0009", "中村 九郎", on=date(2026, 4, 1), recorded_by="admin")
    days = b.weekdays(date(2026, 4, 6), date(2026, 10, 9)) + b.weekdays(date(2026, 10, 13), date(2027, 3, 24))
    ledger.set_calendar(code, YEAR, terms=[{"number": 1, "starts_on": "2026-04-06", "ends_on": "2026-10-09"},
                                           {"number": 2, "starts_on": "2026-10-13", "ends_on": "2027-03-24"}],
                        instructional_days=days, recorded_by="admin")
    (a,) = b.class_with_students(ledger, code, grade=GRADE, count=1)
    roll(ledger, date(2026, 10, 9), {a: {"code": "absent_other"}}, code=code)
    roll(ledger, date(2026, 10, 13), {a: {"code": "late"}}, code=code)
    ledger.enter_year_record(a, YEAR, record=RECORD, on=date(2027, 3, 19), recorded_by=b.STAFF)
    return a


def test_the_report_card_of_a_two_term_school_has_two_terms(backend: Backend, ledger: Ledger) -> None:
    a = two_term_school(ledger)
    f = forms(backend, ledger)
    one, two = card_of(f, a, 1), card_of(f, a, 2)
    assert (one["terms_in_year"], one["school_name"]) == (2, "鳥取市立あおば小学校")
    assert two["term"] == {"number": 2, "starts_on": "2026-10-13", "ends_on": "2027-03-24"}
    assert one["attendance"] == figures(135, absent=1, remarks="未記入134日")
    assert two["attendance"] == figures(117, present=1, late=1, remarks="遅刻1回、未記入116日")
    assert (one["general_remarks"], two["general_remarks"]) == ("", RECORD["general_remarks"])
    with pytest.raises(NoSuchTerm):
        f.report_card(a, YEAR, 3)
    with pytest.raises(NoSuchTerm):
        f.report_card(a, YEAR, 3, as_of=Cutoff(position=ledger.position()))
    assert f.report_card(a, 2027, 1) is None  # not placed in a class that year


def test_a_year_without_a_calendar_has_no_terms(backend: Backend, ledger: Ledger) -> None:
    p = people(ledger)  # class 4-1 of 2027 is formed, its calendar is not set
    with pytest.raises(NoSuchTerm):
        forms(backend, ledger).report_card(p.a, 2027, 1)


# ---------------------------------------------------------------- 長期欠席 and the 7-day notice


def test_a_child_absent_thirty_days_is_flagged_without_a_run_of_seven(backend: Backend, ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    a, c = b.class_with_students(ledger, grade=GRADE, count=2)
    for i, day in enumerate(b.SCHOOL_DAYS[:40]):  # three days ill, one present, ten times over
        roll(ledger, day, {a: {"code": "absent_illness"} if i % 4 != 3 else PRESENT, c: PRESENT})
    f = forms(backend, ledger)
    report = f.long_absence(SCHOOL, YEAR)
    (row,) = report["students"]
    assert row == {"student_id": str(a), "name": "佐藤 陽翔1", "grade": GRADE, "class_name": "1", "absent": 30,
                   "absent_by_reason": {"absent_illness": 30, "absent_other": 0}, "deemed_present": 0,
                   "long_absence": True, "runs_of_seven": [], "notice_due": False}
    assert (report["long_absence_count"], report["notice_due_count"]) == (1, 0)
    assert report["thresholds"] == {"long_absence_days": 30, "consecutive_days": 7}
    assert canonical(f.long_absence(SCHOOL, YEAR, as_of=Cutoff(position=ledger.position()))) == canonical(report)


def test_twenty_nine_days_absent_is_not_long_absence(backend: Backend, ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    (a,) = b.class_with_students(ledger, grade=GRADE, count=1)
    for i, day in enumerate(b.SCHOOL_DAYS[:39]):
        roll(ledger, day, {a: {"code": "absent_other"} if i % 4 != 3 and i != 0 else PRESENT})
    assert forms(backend, ledger).long_absence(SCHOOL, YEAR)["students"] == []


OTHER, ILL = {"code": "absent_other"}, {"code": "absent_illness"}
MOURNING, SKIP = {"code": "mourning"}, None  # SKIP: no roll that day


@pytest.mark.parametrize(("marks", "run", "notice_due"), [
    pytest.param([OTHER] * 7, ("2026-04-06", "2026-04-14", 7, False), True, id="7 days 欠席(事故) over a weekend"),
    pytest.param([ILL] * 7, ("2026-04-06", "2026-04-14", 7, True), False, id="7 days ill: listed, not due"),
    pytest.param([ILL] * 6 + [OTHER], ("2026-04-06", "2026-04-14", 7, False), True, id="ill and 事故 mixed"),
    pytest.param([OTHER] * 9, ("2026-04-06", "2026-04-16", 9, False), True, id="9 days"),
    pytest.param([OTHER] * 3 + [SKIP] + [OTHER] * 4, ("2026-04-06", "2026-04-15", 7, False), True,
                 id="a day not yet marked breaks no run"),
    pytest.param([OTHER] * 6 + [PRESENT] + [OTHER] * 6, None, False, id="a present day breaks the run"),
    pytest.param([OTHER] * 3 + [MOURNING] + [OTHER] * 4, None, False, id="an excused day breaks the run"),
    pytest.param([OTHER] * 6, None, False, id="6 days"),
])
def test_seven_school_days_absent_in_a_row(backend: Backend, ledger: Ledger, marks: list[dict[str, str] | None],
                                           run: tuple[str, str, int, bool] | None, notice_due: bool) -> None:
    b.school_with_calendar(ledger)
    a, c = b.class_with_students(ledger, grade=GRADE, count=2)
    for day, mark in zip(b.SCHOOL_DAYS, marks, strict=False):
        if mark is not None:
            roll(ledger, day, {a: mark, c: PRESENT})
    report = forms(backend, ledger).long_absence(SCHOOL, YEAR)
    if run is None:
        assert report["students"] == []
        return
    (row,) = report["students"]
    assert row["runs_of_seven"] == [dict(zip(("from", "to", "days", "illness_only"), run, strict=True))]
    assert (row["notice_due"], row["long_absence"]) == (notice_due, False)
    assert report["notice_due_count"] == int(notice_due)


def test_a_class_closure_breaks_a_run(backend: Backend, ledger: Ledger) -> None:
    closed = b.SCHOOL_DAYS[3]
    b.school_with_calendar(ledger, closures=[{"on": closed.isoformat(), "scope": "class", "grade": GRADE,
                                              "class_name": "1", "reason": "学級閉鎖"}])
    (a,) = b.class_with_students(ledger, grade=GRADE, count=1)
    for day in b.SCHOOL_DAYS[:8]:
        if day != closed:
            roll(ledger, day, {a: OTHER})
    assert forms(backend, ledger).long_absence(SCHOOL, YEAR)["students"] == []


# ---------------------------------------------------------------- bugs found by these tests, fixed


def test_a_leave_of_absence_breaks_a_run(backend: Backend, ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    a, c = b.class_with_students(ledger, grade=GRADE, count=2)
    days = b.SCHOOL_DAYS
    for day in days[:4]:
        roll(ledger, day, {a: OTHER, c: PRESENT})
    ledger.begin_leave(a, on=days[4], reason="長期療養のため", recorded_by=PRINCIPAL)
    for day in days[4:9]:
        roll(ledger, day, {c: PRESENT})
    ledger.end_leave(a, on=days[9], recorded_by=PRINCIPAL)
    for day in days[9:12]:
        roll(ledger, day, {a: OTHER, c: PRESENT})
    report = forms(backend, ledger).long_absence(SCHOOL, YEAR)
    # 4 days absent, 5 school days on leave, 3 days absent: no run of seven school days.
    assert report["students"] == [], report["students"][0]["runs_of_seven"]


def _set_clock(clock: Clock, day: date) -> None:
    clock.current = datetime(day.year, day.month, day.day, 1, tzinfo=UTC)


def test_a_date_between_an_assessment_and_its_earlier_dated_correction(
        backend: Backend, ledger: Ledger, clock: Clock) -> None:
    _set_clock(clock, date(2026, 4, 1))  # the calendar is known before the day read
    b.school_with_calendar(ledger)
    (a,) = b.class_with_students(ledger, grade=GRADE, count=1)
    _set_clock(clock, date(2026, 7, 10))  # the term's card is written ahead of the day it is dated
    ledger.record_assessment(a, YEAR, subject="japanese", term=1, viewpoints=VIEW_2, on=date(2026, 7, 17),
                             recorded_by=b.STAFF)
    _set_clock(clock, date(2026, 7, 13))
    ledger.correct_assessment(a, YEAR, corrects_version=1, viewpoints=VIEW_3, reason="転記誤り", recorded_by=b.STAFF)
    card = forms(backend, ledger).report_card(a, YEAR, 1, as_of=Cutoff(on=date(2026, 7, 15)))
    assert card is not None
    japanese = next(s for s in card["subjects"] if s["subject"] == "japanese")
    assert japanese["viewpoints"] is None  # as it stood on 15 July: not yet assessed


def test_a_date_between_an_identity_change_and_a_later_dated_admission(
        backend: Backend, ledger: Ledger, clock: Clock) -> None:
    b.school_with_calendar(ledger)
    b.class_with_students(ledger, grade=GRADE, count=1)
    _set_clock(clock, date(2026, 6, 1))  # the 編入学 of 9 June is registered a week ahead
    e = admit(ledger, 2, date(2026, 6, 9))
    _set_clock(clock, date(2026, 6, 3))
    ledger.change_identity(e, b.identity(2, birth_date="2017-06-01", address="鳥取県鳥取市西町2-1"),
                           reason="転居先の番地の訂正", recorded_by="registrar")
    assert forms(backend, ledger).cumulative_record(e, as_of=Cutoff(on=date(2026, 6, 5))) is None


def test_a_date_between_a_principals_first_day_and_the_schools_registration(
        backend: Backend, ledger: Ledger) -> None:
    b.school_with_calendar(ledger)  # registered on 6 April (the clock), the principal from 1 April
    ledger.form_class(SCHOOL, YEAR, GRADE, "1", homeroom_teacher_id=b.STAFF, homeroom_teacher_name="山田 花子",
                      on=date(2026, 4, 1), recorded_by="admin")
    a = admit(ledger, 1, date(2026, 4, 1))
    record = forms(backend, ledger).cumulative_record(a, as_of=Cutoff(on=date(2026, 4, 3)))
    assert record is not None
