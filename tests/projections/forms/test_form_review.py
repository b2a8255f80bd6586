"""Discrepancies found reviewing the printed forms against 様式1・2, the 通知表 and the long-absence list
(reference/domain-japan.md §2–§5), each fixed with the test that showed it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from domain import streams
from domain.backend import Backend
from domain.ledger import Ledger
from domain.school import HomeroomTeacherChanged
from projections import runner_for
from projections.forms import Forms, html
from tests import builders as b
from tests.conftest import Clock
from tests.projections.forms.test_html import page

SCHOOL, OTHER, YEAR, GRADE = b.ELEMENTARY, b.OTHER_ELEMENTARY, b.YEAR, 3
OTHER_NAME, OTHER_ADDRESS = "鳥取市立みずうみ小学校", "鳥取県鳥取市湖山町"


def forms(backend: Backend, ledger: Ledger) -> Forms:
    runner = runner_for(ledger, backend)
    runner.catch_up()
    return Forms(runner)


def transferred(ledger: Ledger, sending: str = SCHOOL, receiving: str = OTHER) -> tuple[UUID, date, date]:
    """A third-grader absent (事故) for 35 school days at みどり, then 転学 into class 3-2 of みずうみ
    (or the other way round)."""
    b.school_with_calendar(ledger)
    ledger.register_school(OTHER, OTHER_NAME, b.BOARD, OTHER_ADDRESS, recorded_by="admin")
    ledger.appoint_principal(OTHER, "P-0009", "中村 九郎", on=date(2026, 4, 1), recorded_by="admin")
    ledger.set_calendar(OTHER, YEAR, terms=b.TERMS, instructional_days=b.SCHOOL_DAYS, recorded_by="admin")
    a, c = b.class_with_students(ledger, sending, grade=GRADE, count=2)
    ledger.form_class(receiving, YEAR, GRADE, "2", homeroom_teacher_id="T-0009", homeroom_teacher_name="木村 花子",
                      on=date(2026, 4, 6), recorded_by="admin")
    days = b.SCHOOL_DAYS
    for day in days[:35]:
        ledger.record_roll(sending, YEAR, GRADE, "1", on=day, marks=[(a, {"code": "absent_other"}),
                                                                      (c, {"code": "present"})], recorded_by=b.STAFF)
    left, accepted = days[34], days[36]
    ledger.hand_over(a, kind="transfer", to_school=receiving, left_on=left, accepted_on=accepted, year=YEAR,
                     grade=GRADE, reason="保護者の転勤に伴う転居", class_name="2", number=5, recorded_by=b.PRINCIPAL)
    return a, left, accepted


def test_the_long_absence_list_of_the_sending_school_prints_the_childs_class_there(
        backend: Backend, ledger: Ledger) -> None:
    a, _, _ = transferred(ledger)
    (row,) = forms(backend, ledger).long_absence(SCHOOL, YEAR)["students"]
    assert (row["student_id"], row["absent"], row["long_absence"]) == (str(a), 35, True)
    assert (row["grade"], row["class_name"]) == (GRADE, "1")  # みどり's 3-1, not みずうみ's 3-2


def test_form1_names_the_receiving_school_of_a_transfer_inside_the_ledger(backend: Backend, ledger: Ledger) -> None:
    a, _, _ = transferred(ledger)
    f = forms(backend, ledger)
    for school in (SCHOOL, OTHER, None):  # the sending school's original, the receiving school's copy, an auditor
        (move,) = f.cumulative_record(a, school=school)["form1"]["moves"]  # type: ignore[index]
        assert (move["to_school_name"], move["to_school_address"]) == (OTHER_NAME, OTHER_ADDRESS)
    text = html.render("cumulative_record", f.cumulative_record(a, school=SCHOOL))  # type: ignore[arg-type]
    assert f"転学先 {OTHER_NAME} {OTHER_ADDRESS}" in " ".join(text.split())


def test_form1_of_the_receiving_school_prints_the_transfer_in(backend: Backend, ledger: Ledger) -> None:
    a, _, accepted = transferred(ledger)
    f = forms(backend, ledger)
    record = f.cumulative_record(a, school=OTHER)
    assert record is not None
    rows = {r[0]: r[1] for r in page(html.render("cumulative_record", record)).tables["register"] if len(r) == 2}
    on = f"{accepted.year}年{accepted.month}月{accepted.day}日"
    assert " ".join(rows["転入学"].split()) == f"{on} 第3学年 鳥取市立みどり小学校 鳥取県鳥取市 保護者の転勤に伴う転居"
    # The sending school, which does not see the child's time at the receiving school, prints no 転入学.
    sending = page(html.render("cumulative_record", f.cumulative_record(a, school=SCHOOL)))  # type: ignore[arg-type]
    assert "転入学" not in {r[0] for r in sending.tables["register"]}


def test_form1_of_a_child_admitted_from_a_packet_does_not_call_the_move_a_henyuugaku(
        backend: Backend, ledger: Ledger) -> None:
    a, _, _ = transferred(ledger)
    record = forms(backend, ledger).cumulative_record(a, school=SCHOOL)
    assert record is not None
    for kind, expected in (("transfer", ""), ("advancement", "2027年4月1日 入学 第1学年")):
        admission = {"kind": kind, "on": "2027-04-01", "school_code": SCHOOL, "year": 2027, "grade": 1,
                     "prior_history": "", "reason": "", "from_school": "B999999999999",
                     "from_school_name": "よその小学校", "from_school_address": "遠い町", "left_on": "2027-03-19",
                     "from_ledger": "other"}
        doc: dict[str, Any] = {**record, "form1": {**record["form1"], "admission": admission}}
        rows = {r[0]: r[1] for r in page(html.render("cumulative_record", doc)).tables["register"] if len(r) == 2}
        assert " ".join(rows["入学・編入学等"].split()) == expected, kind
        assert "編入学" not in rows["入学・編入学等"]


def _change_homeroom(ledger: Ledger, on: date, staff_id: str, name: str) -> None:
    klass = ledger.school_class(SCHOOL, YEAR, GRADE, "1")
    ledger.record([HomeroomTeacherChanged(
        originator_id=streams.school_class(SCHOOL, YEAR, GRADE, "1"), originator_version=klass.version + 1,
        recorded_at=ledger.now(), recorded_by="admin", effective_on=on, homeroom_teacher_id=staff_id,
        homeroom_teacher_name=name)])


def test_a_principal_or_teacher_entered_after_their_successor_is_printed_for_their_own_period(
        backend: Backend, ledger: Ledger) -> None:
    b.school_with_calendar(ledger)  # 田中 一郎 from 1 April 2026
    (a,) = b.class_with_students(ledger, grade=GRADE, count=1)
    # The predecessor's appointment is entered afterwards (records of earlier years taken in late).
    ledger.appoint_principal(SCHOOL, "P-0000", "前任 校長", on=date(2024, 4, 1), recorded_by="admin")
    _change_homeroom(ledger, date(2026, 9, 1), "T-0003", "高橋 次郎")
    _change_homeroom(ledger, date(2026, 5, 1), "T-0002", "伊藤 二郎")  # entered late: before 高橋 took over
    f = forms(backend, ledger)
    (year,) = f.cumulative_record(a)["form1"]["years"]  # type: ignore[index]
    assert year["principals"] == [{"name": "田中 一郎", "from": "2026-04-01", "to": None}]
    assert [t["name"] for t in year["homeroom_teachers"]] == ["山田 花子", "伊藤 二郎", "高橋 次郎"]
    card = f.report_card(a, YEAR, 2)
    assert card is not None
    assert card["homeroom_teacher"] == "高橋 次郎"  # who had the class at the end of term 2


def test_form1_of_the_junior_high_prints_its_own_entrance_after_an_advancement(
        backend: Backend, ledger: Ledger, clock: Clock) -> None:
    b.school_with_calendar(ledger)
    ledger.register_school(b.JUNIOR_HIGH, "鳥取市立あおば中学校", b.BOARD, "鳥取県鳥取市青葉町", recorded_by="admin")
    (a,) = b.class_with_students(ledger, grade=6, count=1)
    graduation = date(2027, 3, 19)
    clock.current = datetime(2027, 3, 19, 3, tzinfo=UTC)
    ledger.graduate(a, on=graduation, recorded_by=b.PRINCIPAL)
    ledger.form_class(b.JUNIOR_HIGH, 2027, 1, "1", homeroom_teacher_id="T-0007", homeroom_teacher_name="小林 七海",
                      on=date(2027, 4, 1), recorded_by="admin")
    ledger.hand_over(a, kind="advancement", to_school=b.JUNIOR_HIGH, left_on=graduation, accepted_on=date(2027, 4, 1),
                     year=2027, grade=1, class_name="1", number=3, recorded_by="board")
    f = forms(backend, ledger)
    rows = {r[0]: r[1] for r in page(html.render("cumulative_record", f.cumulative_record(  # type: ignore[arg-type]
        a, school=b.JUNIOR_HIGH))).tables["register"] if len(r) == 2}
    assert " ".join(rows["入学・編入学等"].split()).endswith("2027年4月1日 入学 第1学年 鳥取市立あおば中学校")
    assert " ".join(rows["進学先"].split()) == "鳥取市立あおば中学校 鳥取県鳥取市青葉町 第1学年"
    # The elementary school, which does not see the junior high's period, prints only its 進学先.
    sending = {r[0]: r[1] for r in page(html.render("cumulative_record", f.cumulative_record(  # type: ignore[arg-type]
        a, school=SCHOOL))).tables["register"] if len(r) == 2}
    assert "中学校" not in sending["入学・編入学等"]


def _rating_row(text: str) -> list[str]:
    """The 評定 row of 国語 on 様式2 (the grid's rows: a subject's three 観点, then its 評定)."""
    return page(text).tables["subjects"][4]


def test_grades_without_a_rating_or_integrated_study_print_neither(backend: Backend, ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    (first,) = b.class_with_students(ledger, grade=1, count=1)
    (third,) = b.class_with_students(ledger, grade=3, name="2", count=1)
    f = forms(backend, ledger)
    low, high = (f.cumulative_record(s) for s in (first, third))
    assert low is not None
    assert high is not None
    assert (low["form2"][0]["rated"], low["form2"][0]["integrated_study_taught"]) == (False, False)
    assert (high["form2"][0]["rated"], high["form2"][0]["integrated_study_taught"]) == (True, True)
    low_page, high_page = html.render("cumulative_record", low), html.render("cumulative_record", high)
    # 小1–2 have no 評定 (§2.2): the cell of the first grade's column is shaded, the third's open
    assert _rating_row(low_page)[:3] == ["評定", "", ""]
    assert '<td class="mark closed"></td>' in low_page.split("評定</th>", 1)[1].split("</tr>", 1)[0]
    assert '<td class="mark closed"></td>' not in high_page.split("評定</th>", 1)[1].split("</tr>", 1)[0].split(
        "<td", 3)[3]
    # 総合的な学習の時間: from grade 3 at elementary school, so the form has no row for grades 1–2
    assert [r[0] for r in page(low_page).tables["integrated_study"][1:]] == [f"第{g}学年" for g in range(3, 7)]
    assert "総合的な学習の時間の記録" in high_page
    card = f.report_card(first, YEAR, 1)
    assert card is not None
    assert card["rated"] is False
    assert "評定" not in page(html.render("report_card", card)).tables["subjects"][0]


def test_form1_lists_the_schools_in_the_order_the_child_attended_them(backend: Backend, ledger: Ledger) -> None:
    a, _, _ = transferred(ledger, OTHER, SCHOOL)  # from みずうみ (…021) to みどり (…013)
    form1 = forms(backend, ledger).cumulative_record(a)["form1"]  # type: ignore[index]
    assert [s["school_code"] for s in form1["schools"]] == [OTHER, SCHOOL]
    assert [y["school_code"] for y in form1["years"]] == [OTHER, SCHOOL]


def test_a_guardian_address_that_was_the_childs_reads_so_when_struck_through(backend: Backend, ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    (a,) = b.class_with_students(ledger, grade=GRADE, count=1)
    moved = b.identity(1, birth_date="2017-06-01")
    moved["guardian"] = {**moved["guardian"], "address": "大阪府大阪市北区1-1"}  # the father moves away alone
    ledger.change_identity(a, moved, reason="保護者の転居", on=date(2026, 5, 11), recorded_by="registrar")
    text = page(html.render("cumulative_record", forms(backend, ledger).cumulative_record(a)))  # type: ignore[arg-type]
    assert "児童生徒の欄に同じ" in text.struck  # blank meant 「児童生徒の欄に同じ」, not an empty field
    assert "（空欄）" not in text.struck


def test_form1_prints_the_period_each_principal_served_in_a_year_with_a_change(
        backend: Backend, ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    (a,) = b.class_with_students(ledger, grade=GRADE, count=1)
    ledger.appoint_principal(SCHOOL, "P-0002", "鈴木 二郎", on=date(2026, 10, 1), recorded_by="admin")
    text = page(html.render("cumulative_record", forms(backend, ledger).cumulative_record(a)))  # type: ignore[arg-type]
    principals = text.row("staff", "校長氏名", 0)
    assert principals[GRADE] == "田中 一郎(2026年4月1日〜2026年9月30日)鈴木 二郎(2026年10月1日〜)"


def test_a_closure_of_a_class_the_child_had_left_does_not_break_their_run_or_their_count(
        backend: Backend, ledger: Ledger) -> None:
    days = b.SCHOOL_DAYS
    closed = days[70]  # class 3-1 of みどり closes; the child is then in 3-2
    b.school_with_calendar(ledger, closures=[{"on": closed.isoformat(), "scope": "class", "grade": GRADE,
                                              "class_name": "1", "reason": "学級閉鎖"}])
    ledger.register_school(OTHER, OTHER_NAME, b.BOARD, OTHER_ADDRESS, recorded_by="admin")
    ledger.set_calendar(OTHER, YEAR, terms=b.TERMS, instructional_days=b.SCHOOL_DAYS, recorded_by="admin")
    (a,) = b.class_with_students(ledger, grade=GRADE, count=1)
    for school in (OTHER, SCHOOL):
        ledger.form_class(school, YEAR, GRADE, "2", homeroom_teacher_id="T-0009", homeroom_teacher_name="木村 花子",
                          on=date(2026, 4, 6), recorded_by="admin")
    ledger.hand_over(a, kind="transfer", to_school=OTHER, left_on=days[20], accepted_on=days[21], year=YEAR,
                     grade=GRADE, reason="転居", class_name="2", number=1, recorded_by=b.PRINCIPAL)
    ledger.hand_over(a, kind="transfer", to_school=SCHOOL, left_on=days[59], accepted_on=days[60], year=YEAR,
                     grade=GRADE, reason="転居(再転入)", class_name="2", number=1, recorded_by=b.PRINCIPAL)
    for day in days[60:76]:  # 16 school days absent in 3-2
        ledger.record_roll(SCHOOL, YEAR, GRADE, "2", on=day, marks=[(a, {"code": "absent_other"})],
                           recorded_by=b.STAFF)
    f = forms(backend, ledger)
    (row,) = f.long_absence(SCHOOL, YEAR)["students"]
    assert (row["grade"], row["class_name"]) == (GRADE, "2")
    assert row["absent"] == row["absent_by_reason"]["absent_other"] == 16
    assert row["runs_of_seven"] == [{"from": days[60].isoformat(), "to": days[75].isoformat(), "days": 16,
                                     "illness_only": False}]
