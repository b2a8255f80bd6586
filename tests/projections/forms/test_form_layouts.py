"""The official layouts (issue 13 item 1; MEXT 参考様式, domain-japan.md §2, §4): the 指導要録 with the
school years side by side (様式1) and the grades side by side (様式2), the 健康診断票 with a column per
grade, in HTML and in PDF alike (the PDF is typeset from the page, projections/forms/pdf.py)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from uuid import UUID

import pypdf

from domain.backend import Backend
from domain.ledger import Ledger
from projections import runner_for
from projections.forms import Forms, html, pdf
from tests import builders as b
from tests.conftest import Clock
from tests.projections.forms.test_html import DENTAL, HEALTH, page

SCHOOL = b.ELEMENTARY
YEARS = (2026, 2027, 2028)
ABSENT = {2026: 1, 2027: 2, 2028: 3}  # days absent (病気) in each year: each year's row has its own figure
RATING = {2028: 3}  # 小1–2 have no 評定


def shifted(value: date, years: int) -> date:
    return value.replace(year=value.year + years)


def calendar(ledger: Ledger, year: int) -> list[date]:
    """School year ``year`` as the builders' 2026 calendar, moved on (weekends not kept: the domain does not ask)."""
    offset = year - b.YEAR
    days = [shifted(d, offset) for d in b.SCHOOL_DAYS if not (d.month == 2 and d.day == 29)]
    terms = [{**t, "starts_on": shifted(date.fromisoformat(t["starts_on"]), offset).isoformat(),
              "ends_on": shifted(date.fromisoformat(t["ends_on"]), offset).isoformat()} for t in b.TERMS]
    if year != b.YEAR:
        ledger.set_calendar(SCHOOL, year, terms=terms, instructional_days=days, recorded_by="admin")
    return days


def through_three_grades(ledger: Ledger, clock: Clock) -> UUID:
    """A child of みどり小 from 小1 (2026) to 小3 (2028): a roll of every year with its absences, an
    assessment of 国語 each year (a 評定 from 小3), a year record and a health examination."""
    b.school_with_calendar(ledger)
    (child,) = b.class_with_students(ledger, grade=1, count=1)
    for grade, year in enumerate(YEARS, start=1):
        clock.current = datetime(year + 1, 3, 30, 15, tzinfo=UTC)
        days = calendar(ledger, year)
        if year != b.YEAR:
            ledger.form_class(SCHOOL, year, grade, "1", homeroom_teacher_id=f"T-000{grade}",
                              homeroom_teacher_name=f"担任 {grade}郎", students=[(child, grade + 10)],
                              on=date(year, 4, 6), recorded_by="admin")
        for i, day in enumerate(days[:5]):
            code = "absent_illness" if i < ABSENT[year] else "present"
            ledger.record_roll(SCHOOL, year, grade, "1", on=day, marks=[(child, {"code": code})], recorded_by=b.STAFF)
        ledger.record_assessment(child, year, subject="japanese", rating=RATING.get(year), on=date(year + 1, 3, 19),
                                 viewpoints={"knowledge": "ABC"[grade - 1], "thinking": "B", "attitude": "A"},
                                 recorded_by=b.STAFF)
        ledger.enter_year_record(child, year, on=date(year + 1, 3, 19), recorded_by=b.STAFF,
                                 record={"behaviour": ["fairness"] if grade != 2 else ["creativity"],
                                         "general_remarks": f"第{grade}学年の所見。"})
        ledger.record_health_exam(child, year, examination={**HEALTH, "height_cm": f"1{15 + 5 * grade}.0",
                                                            "heart_ecg": "異常なし" if grade == 1 else None},
                                  examined_on=date(year, 4, 20), recorded_by="nurse")
        ledger.record_dental_exam(child, year, examination={**DENTAL, "plaque": grade - 1},
                                  examined_on=date(year, 5, 11), recorded_by="dentist")
    return child


def forms(backend: Backend, ledger: Ledger) -> Forms:
    runner = runner_for(ledger, backend)
    runner.catch_up()
    return Forms(runner)



def pages_of(body: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(body))
    assert {(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages} == {(595, 842)}
    return [p.extract_text().replace(" ", "").replace("\n", "") for p in reader.pages]


def in_order(text: str, parts: list[str]) -> bool:
    """Whether every part is in ``text``, each after the one before."""
    at = 0
    for part in parts:
        found = text.find(part, at)
        if found < 0:
            return False
        at = found + len(part)
    return True


# ---------------------------------------------------------------- 指導要録 様式1


def test_form1_prints_the_school_years_side_by_side_on_one_sheet(backend: Backend, ledger: Ledger,
                                                                 clock: Clock) -> None:
    child = through_three_grades(ledger, clock)
    doc = forms(backend, ledger).cumulative_record(child)
    assert doc is not None
    parsed = page(html.render("cumulative_record", doc))
    years = parsed.tables["years"]
    assert years[0] == ["区分＼学年", *(f"第{g}学年" for g in range(1, 7))]  # 小: six columns, three still blank
    assert parsed.row("years", "整理番号", 0) == ["整理番号", "1", "12", "13", "", "", ""]
    assert parsed.row("years", "年度", 0)[1:4] == [f"{y}年度" for y in YEARS]
    teachers = parsed.row("staff", "学級担任者氏名", 0)
    assert [t.split("(")[0] for t in teachers[1:4]] == ["山田 花子", "担任 2郎", "担任 3郎"]
    assert [r[0] for r in parsed.tables["staff"]] == ["年度", "校長氏名", "印", "学級担任者氏名", "印"]
    assert [r[0] for r in parsed.tables["register"]] == [
        "入学前の経歴", "入学・編入学等", "転学・退学等", "休学", "卒業", "進学先", "学校名及び所在地"]
    assert parsed.row("identity", "ふりがな", 1)[0] == "児童"

    sheet, *form2 = pages_of(pdf.render("cumulative_record", doc))
    assert "様式1(学籍に関する記録)" in sheet
    assert "各教科の学習の記録" not in sheet  # 様式1 is one sheet of its own
    assert 1 <= len(form2) <= 2  # 様式2 takes two pages at most
    assert "区分＼学年第1学年第2学年第3学年第4学年第5学年第6学年年度2026年度2027年度2028年度" in sheet
    assert "整理番号11213" in sheet
    assert in_order(sheet, ["児童", "ふりがな", "氏名", "性別", "生年月日", "現住所", "保護者", "入学前の経歴",
                            "入学・編入学等", "転学・退学等", "卒業", "進学先", "学校名及び所在地", "校長氏名",
                            "学級担任者氏名", "山田花子", "担任2郎", "担任3郎"])


def test_the_record_of_a_junior_high_is_titled_seito_and_has_three_grade_columns(
        backend: Backend, ledger: Ledger) -> None:
    b.school_with_calendar(ledger, b.JUNIOR_HIGH, name="鳥取市立あおば中学校")
    (child,) = b.class_with_students(ledger, b.JUNIOR_HIGH, grade=2, count=1)
    doc = forms(backend, ledger).cumulative_record(child)
    assert doc is not None
    text = html.render("cumulative_record", doc)
    parsed = page(text)
    assert "<title>生徒指導要録" in text
    assert parsed.tables["years"][0] == ["区分＼学年", "第1学年", "第2学年", "第3学年"]
    assert parsed.tables["behaviour"][0][1:] == ["第1学年", "第2学年", "第3学年"]
    assert parsed.row("identity", "ふりがな", 1)[0] == "生徒"
    assert "外国語活動の記録" not in text  # a section of 小3–4 only
    printed = "".join(pages_of(pdf.render("cumulative_record", doc)))
    assert printed.startswith("生徒指導要録")
    assert "生徒指導要録様式2(指導に関する記録)" in printed
    assert "児童指導要録" not in printed


# ---------------------------------------------------------------- 指導要録 様式2


def test_form2_prints_each_grades_figures_in_its_column_in_the_order_of_the_form(
        backend: Backend, ledger: Ledger, clock: Clock) -> None:
    child = through_three_grades(ledger, clock)
    doc = forms(backend, ledger).cumulative_record(child)
    assert doc is not None
    rows = doc["form2"]
    assert [(g["year"], g["grade"]) for g in rows] == [(2026, 1), (2027, 2), (2028, 3)]
    assert [g["attendance"][0]["absent"] for g in rows] == [1, 2, 3]
    parsed = page(html.render("cumulative_record", doc))
    subjects = parsed.tables["subjects"]
    at = subjects.index(parsed.row("subjects", "国語", 0))
    assert subjects[at][2:5] == ["A", "B", "C"]  # 知識・技能 of grades 1, 2, 3
    assert subjects[at + 3][:4] == ["評定", "", "", "3"]  # 評定 from 小3
    assert parsed.row("behaviour", "公正・公平", 0)[1:4] == ["○", "", "○"]
    assert parsed.row("behaviour", "創意工夫", 0)[1:4] == ["", "○", ""]
    assert [parsed.row("general_remarks", f"第{g}学年", 0)[1] for g in (1, 2, 3)] == [
        f"第{g}学年の所見。" for g in (1, 2, 3)]
    keys = ("school_days", "excused", "required", "absent", "present", "unrecorded")
    for g in rows:
        a = g["attendance"][0]
        assert parsed.row("attendance", f"第{g['grade']}学年", 0)[1:] == [
            a["school_name"], *(str(a[k]) for k in keys), a["remarks"]]

    body = pdf.render("cumulative_record", doc)
    assert body == pdf.render("cumulative_record", doc)  # the same document, the same bytes
    _, *form2 = pages_of(body)
    text = "".join(form2)
    assert text.startswith("児童指導要録様式2(指導に関する記録)")
    # (the grid is drawn, ADR 0048: its text comes out in the form's order, the subject's name first)
    assert ("各教科の学習の記録第1学年第2学年第3学年第4学年第5学年第6学年国語知識・技能ABC思考・判断・表現BBB"
            "主体的に学習に取り組む態度AAA評定3社会知識・技能") in text  # 評定 of the third grade, the first two shaded
    assert "公正・公平○○公共心・公徳心" in text
    assert in_order(text, ["外国語活動の記録", "総合的な学習の時間の記録", "学習活動", "観点", "評価",
                           "特別の教科道徳", "特別活動の記録", "行動の記録", "総合所見及び指導上参考となる諸事項",
                           "第1学年の所見。", "第2学年の所見。", "第3学年の所見。", "出欠の記録"])
    attendance = text[text.index("出欠の記録"):]
    assert in_order(attendance, ["授業日数", "出席停止・忌引等の日数", "出席しなければならない日数", "欠席日数",
                                 "出席日数", "備考"])
    assert in_order(attendance, [f"第{g['grade']}学年{a['school_name']}{a['school_days']}{a['excused']}"
                                 f"{a['required']}{a['absent']}{a['present']}{a['unrecorded']}"
                                 for g in rows for a in g["attendance"]])


def test_the_receiving_schools_record_of_a_transferred_child_shows_both_schools(
        backend: Backend, ledger: Ledger) -> None:
    from tests.projections.forms.test_form_review import OTHER, OTHER_NAME, transferred
    a, _, _ = transferred(ledger)
    doc = forms(backend, ledger).cumulative_record(a, school=OTHER)
    assert doc is not None
    parsed = page(html.render("cumulative_record", doc))
    assert parsed.tables["years"][0][1:5] == ["第1学年", "第2学年", "第3学年(写し)", "第3学年"]
    schools = [r[1] for r in parsed.tables["attendance"][1:] if r[0].startswith("第3学年")]
    assert schools == ["鳥取市立みどり小学校", OTHER_NAME]
    text = "".join(pages_of(pdf.render("cumulative_record", doc)))
    assert in_order(text, ["出欠の記録", "第3学年(写し)鳥取市立みどり小学校", f"第3学年{OTHER_NAME}"])
    assert "鳥取市立みどり小学校の学年の記録は児童指導要録の写しであり、原本と相違ないことを証明する。" in text


# ---------------------------------------------------------------- 健康診断票


def test_the_health_card_has_a_column_per_grade_in_html_and_pdf(backend: Backend, ledger: Ledger,
                                                                clock: Clock) -> None:
    child = through_three_grades(ledger, clock)
    card = forms(backend, ledger).health_card(child)
    assert card is not None
    parsed = page(html.render("health_card", card))
    assert parsed.tables["health"][0] == ["学年", *(f"第{g}学年" for g in range(1, 7))]
    assert parsed.row("health", "身長 (cm)", 0)[1:] == ["120.0", "125.0", "130.0", "", "", ""]
    assert parsed.row("health", "年度", 0)[1:4] == [f"{y}年度" for y in YEARS]
    body = pdf.render("health_card", card)
    assert body == pdf.render("health_card", card)
    (sheet,) = pages_of(body)  # one A4 sheet
    assert "学年第1学年第2学年第3学年第4学年第5学年第6学年" in sheet
    assert "身長(cm)120.0125.0130.0体重(kg)" in sheet
    assert in_order(sheet, [card["labels"][k].replace(" ", "") for k in card["items"]])


def test_the_dental_card_has_a_column_per_grade_and_each_grades_chart_in_html_and_pdf(
        backend: Backend, ledger: Ledger, clock: Clock) -> None:
    child = through_three_grades(ledger, clock)
    card = forms(backend, ledger).dental_card(child)
    assert card is not None
    parsed = page(html.render("dental_card", card))
    assert parsed.tables["dental"][0] == ["学年", *(f"第{g}学年" for g in range(1, 7))]
    assert parsed.row("dental", "歯垢の状態", 0)[1:] == ["0", "1", "2", "", "", ""]
    assert {f"chart-{y}" for y in YEARS} <= set(parsed.tables)
    body = pdf.render("dental_card", card)
    assert body == pdf.render("dental_card", card)
    (sheet,) = pages_of(body)  # one A4 sheet
    assert "学年第1学年第2学年第3学年第4学年第5学年第6学年" in sheet
    assert "歯垢の状態012歯肉の状態" in sheet
    assert in_order(sheet, ["顎関節", "歯列・咬合", "歯垢の状態", "歯肉の状態", "乳歯現在数", "永久歯喪失数",
                            "その他の疾病及び異常", "学校歯科医所見", "事後措置",
                            "歯式第1学年(2026年度)", "歯式第2学年(2027年度)", "歯式第3学年(2028年度)"])


def test_the_junior_highs_record_of_an_advanced_child_puts_the_elementary_years_first_labelled_so(
        backend: Backend, ledger: Ledger, clock: Clock) -> None:
    b.school_with_calendar(ledger)
    ledger.register_school(b.JUNIOR_HIGH, "鳥取市立あおば中学校", b.BOARD, "鳥取県鳥取市青葉町", recorded_by="admin")
    (child,) = b.class_with_students(ledger, grade=6, count=1)
    clock.current = datetime(2027, 3, 19, 3, tzinfo=UTC)
    ledger.graduate(child, on=date(2027, 3, 19), recorded_by=b.PRINCIPAL)
    ledger.form_class(b.JUNIOR_HIGH, 2027, 1, "1", homeroom_teacher_id="T-0007", homeroom_teacher_name="小林 七海",
                      on=date(2027, 4, 1), recorded_by="admin")
    ledger.hand_over(child, kind="advancement", to_school=b.JUNIOR_HIGH, left_on=date(2027, 3, 19),
                     accepted_on=date(2027, 4, 1), year=2027, grade=1, class_name="1", number=3, recorded_by="board")
    doc = forms(backend, ledger).cumulative_record(child, school=b.JUNIOR_HIGH)
    assert doc is not None
    text = html.render("cumulative_record", doc)
    parsed = page(text)
    assert "<title>生徒指導要録" in text
    head = parsed.tables["subjects"][0]
    assert head[-3:] == ["第1学年", "第2学年", "第3学年"]
    assert head[1:-3]  # the 小's year(s) first, labelled so
    assert all(h.startswith("小学校第6学年") for h in head[1:-3])
    printed = "".join(pages_of(pdf.render("cumulative_record", doc)))
    assert printed.startswith("生徒指導要録")
