"""The printable forms: the demo jurisdiction's real documents (and small ledgers with corrections) as HTML."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from typing import Any

import pytest

from api.demo import SCHOOLS, seed_demo
from domain import curriculum
from domain.attendance import MARK_CODES
from domain.backend import Backend
from domain.ledger import Ledger
from migrations.apply import apply
from projections import runner_for
from projections.forms import Forms, html
from projections.runner import Runner
from tests import builders as b
from tests.conftest import Clock

MIDORI, MIZUUMI, AOBA = "B131220000013", "B131220000021", "C131220000015"
BOARD_LABEL = "オンラインを活用した特例の授業・出席停止・忌引等の日数"
DEMO_DAY = date(2027, 3, 31)  # the demo as it stands at the end of school year 2026: every roll, term and exam
MONTH_FIGURES = ("school_days", "excused", "required", "absent", "present", "late", "left_early", "unrecorded")
PERIOD_FIGURES = ("school_days", "excused", "required", "absent", "present", "unrecorded")  # 未記入 shown
HEALTH: dict[str, Any] = {
    "height_cm": "116.4", "weight_kg": "21.1", "nutrition": "normal",
    "vision": {"right_naked": "A", "left_naked": "B"}, "urine_protein": "-", "urine_sugar": "-",
    "hearing_right": "normal", "hearing_left": "normal", "heart_ecg": "異常なし",
}
DENTAL: dict[str, Any] = {"jaw": 0, "bite": 0, "plaque": 1, "gums": 0, "teeth": {"UR6": "/", "UL6": "C", "LRE": "○"}}


# ---------------------------------------------------------------- reading a page


@dataclass
class Page(HTMLParser):
    """A rendered page as the tests read it: its tables (rows of cell texts, by table id), the texts
    struck through, the list items, and every start tag seen."""

    tables: dict[str, list[list[str]]] = field(default_factory=dict)
    struck: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)
    _table: list[str] = field(default_factory=list)
    _cell: list[str] | None = None
    _item: list[str] | None = None
    _del: list[str] | None = None

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag == "table":
            name = dict(attrs).get("id") or f"table{len(self.tables) + 1}"
            self._table.append(name)
            self.tables[name] = []
        elif tag == "tr" and self._table:
            self.tables[self._table[-1]].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "li":
            self._item = []
        elif tag == "del":
            self._del = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table.pop()
        elif tag in ("td", "th") and self._cell is not None and self._table:
            self.tables[self._table[-1]][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "li" and self._item is not None:
            self.items.append(" ".join("".join(self._item).split()))
            self._item = None
        elif tag == "del" and self._del is not None:
            self.struck.append("".join(self._del))
            self._del = None

    def handle_data(self, data: str) -> None:
        for part in (self._cell, self._item, self._del):
            if part is not None:
                part.append(data)

    def row(self, table: str, first: str, column: int = 1) -> list[str]:
        """The one row of ``table`` whose cell at ``column`` reads ``first``."""
        rows = [r for r in self.tables[table] if len(r) > column and r[column] == first]
        assert len(rows) == 1, (first, self.tables[table][:3])
        return rows[0]


def page(text: str) -> Page:
    parsed = Page()
    parsed.feed(text)
    parsed.close()
    return parsed


def figures(doc: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    return [str(doc[k]) for k in keys]


def text_after(text: str, marker: str) -> str:
    return text.split(marker, 1)[1]


def present(doc: dict[str, Any] | None) -> dict[str, Any]:
    assert doc is not None
    return doc


# ---------------------------------------------------------------- the demo jurisdiction


@dataclass
class Demo:
    ledger: Ledger
    forms: Forms

    def student(self, school: str, grade: int, class_name: str, number: int) -> str:
        roster = self.forms.roster(school, 2026, grade, class_name)
        assert roster is not None
        return str(next(s["student_id"] for s in roster["students"] if s["number"] == number))


def cards(forms: Forms, student_id: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The health and dental cards of a child."""
    health, dental = forms.health_card(student_id), forms.dental_card(student_id)
    assert health is not None
    assert dental is not None
    return health, dental


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The whole demo seeded once on SQLite, its read models caught up (read-only for the tests)."""
    backend = Backend.from_url(f"sqlite:///{tmp_path_factory.mktemp('html')}/ledger.sqlite3")
    apply(backend)
    ledger = Ledger.open(backend, clock=Clock())
    seed_demo(ledger, today=DEMO_DAY, progress=False)
    # the board names the excused column as the 2021 事務連絡 allows, with its next year's rule (api/demo.py);
    # the forms, read with no clock, are read for the days to come
    ledger.set_board_settings(b.BOARD, {"leave_days": "excused", "excused_label": BOARD_LABEL},
                              effective_on=date(2027, 4, 1), recorded_by="admin")
    runner = runner_for(ledger, backend)
    runner.catch_up()
    yield Demo(ledger, Forms(runner))
    ledger.close()


@pytest.fixture(scope="module")
def documents(demo: Demo) -> dict[str, dict[str, Any]]:
    """One real document of every printable form."""
    forms = demo.forms
    first_grader = demo.student(MIDORI, 1, "1", 1)
    health, dental = cards(forms, first_grader)
    docs: dict[str, Any] = {
        "roster": forms.roster(MIDORI, 2026, 1, "1"),
        "attendance_register": forms.attendance_register(MIDORI, 2026, 1, "1", "2026-06"),
        "cumulative_record": forms.cumulative_record(demo.student(MIDORI, 6, "1", 1), board=b.BOARD),
        "report_card": forms.report_card(demo.student(MIDORI, 3, "1", 4), 2026, 1, board=b.BOARD),
        "long_absence": forms.long_absence(MIDORI, 2026),
        "health_card": health,
        "dental_card": dental,
    }
    assert all(d is not None for d in docs.values())
    return docs


# ---------------------------------------------------------------- every form


@pytest.mark.parametrize("form", html.FORMS)
def test_every_form_is_a_printable_japanese_page_of_its_own_template(form: str,
                                                                     documents: dict[str, Any]) -> None:
    text = html.render(form, documents[form])
    assert text.startswith("<!DOCTYPE html>")
    assert '<html lang="ja">' in text
    assert '<meta charset="utf-8">' in text
    style = text.split("<style>")[1].split("</style>")[0]
    assert "size: A4" in style
    assert "border: 1px solid" in style
    assert "{{" not in text
    assert "{%" not in text
    assert "<table" in text


@pytest.mark.parametrize("form", html.FORMS)
def test_rendering_a_form_twice_gives_the_same_bytes(form: str, documents: dict[str, Any]) -> None:
    first = html.render(form, documents[form]).encode()
    assert html.render(form, documents[form]).encode() == first


def test_a_document_composed_again_renders_to_the_same_bytes(demo: Demo, documents: dict[str, Any]) -> None:
    again = demo.forms.attendance_register(MIDORI, 2026, 1, "1", "2026-06")
    assert again is not None
    assert html.render("attendance_register", again) == html.render("attendance_register",
                                                                     documents["attendance_register"])


def test_every_page_of_the_demo_renders_with_its_childs_or_classs_names(demo: Demo) -> None:
    """Real data of every shape: each child's 指導要録, 通知表 (first and last term) and cards, and each
    class's roster and term-1 registers (closures, 出席停止, 忌引, 出席扱い, corrections)."""
    forms = demo.forms
    for sid in demo.ledger.student_ids():
        record = forms.cumulative_record(sid, board=b.BOARD)
        assert record is not None
        name = record["form1"]["name"]
        health, dental = cards(forms, sid)
        for form, doc in (("cumulative_record", record), ("report_card", forms.report_card(sid, 2026, 1)),
                          ("report_card", forms.report_card(sid, 2026, 3)), ("health_card", health),
                          ("dental_card", dental)):
            assert name in html.render(form, present(doc)), (form, sid)
    for school in SCHOOLS:
        for c in school.classes:
            roster = forms.roster(school.code, 2026, c.grade, c.name)
            assert roster is not None
            text = html.render("roster", roster)
            assert all(s["name"] in text for s in roster["students"])
            for month in ("2026-04", "2026-06", "2026-11", "2027-03"):  # a child moved in or out between
                register = forms.attendance_register(school.code, 2026, c.grade, c.name, month)
                assert register is not None
                assert register["students"]
                text = html.render("attendance_register", present(register))
                assert all(s["name"] in text for s in register["students"])


def test_an_unknown_form_is_refused_by_name(documents: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="no printable form 'timetable'"):
        html.render("timetable", documents["roster"])


def test_the_title_suffix_follows_the_title_in_the_head_and_on_the_page(documents: dict[str, Any]) -> None:
    text = html.render("roster", documents["roster"], title_suffix="(2026年5月1日時点)")
    assert "<title>名簿 2026年度 第1学年 1組(2026年5月1日時点)</title>" in text
    assert "(2026年5月1日時点)</span></h1>" in text


# ---------------------------------------------------------------- 名簿 and 出席簿


def test_the_roster_lists_every_student_with_number_name_kana_and_sex(documents: dict[str, Any]) -> None:
    doc = documents["roster"]
    parsed = page(html.render("roster", doc))
    assert len(parsed.tables["roster"]) == len(doc["students"]) + 1
    for s in doc["students"]:
        row = parsed.row("roster", s["name"])
        assert row[:4] == [str(s["number"]), s["name"], s["name_kana"], {"male": "男", "female": "女"}[s["sex"]]]
        assert row[4] == "2026年4月6日"
    assert doc["homeroom_teacher"]["name"] in parsed.tables["table1"][0]


def test_the_register_prints_the_boards_excused_label_and_each_students_month_figures(
        documents: dict[str, Any]) -> None:
    doc = documents["attendance_register"]
    parsed = page(html.render("attendance_register", doc))
    header = parsed.tables["month"][0]
    assert BOARD_LABEL in header
    assert "出席停止・忌引等の日数" not in header  # the board's own wording replaces the default
    days = len(doc["instructional_days"])
    assert days == 22
    assert len(doc["students"]) == 14
    for s in doc["students"]:
        row = parsed.row("month", s["name"])
        assert row[2 + days:2 + days + len(MONTH_FIGURES)] == figures(s["month"], MONTH_FIGURES)
        totals = parsed.row("totals", s["name"])
        expected = [f for period in [*s["terms"].values(), s["year"]] for f in figures(period, PERIOD_FIGURES)]
        assert totals[2:] == expected


def test_the_register_marks_each_day_with_the_short_symbol_of_its_mark(documents: dict[str, Any]) -> None:
    doc = documents["attendance_register"]
    parsed = page(html.render("attendance_register", doc))
    seen = set()
    for s in doc["students"]:
        row = parsed.row("month", s["name"])
        for i, day in enumerate(doc["instructional_days"]):
            mark = s["days"][day]
            if not mark.get("trail"):
                assert row[2 + i] == html.MARK_SYMBOLS[mark["code"]], (s["name"], day)
                seen.add(mark["code"])
    assert {"present", "absent_illness"} <= seen  # the June of the demo has absences, not only presence
    legend = text_after(html.render("attendance_register", doc), "記号:")
    for code, symbol in html.MARK_SYMBOLS.items():
        if symbol:
            assert f"{symbol} {MARK_CODES[code]}" in legend


def test_a_class_closure_prints_as_closed_in_the_register(demo: Demo) -> None:
    doc = demo.forms.attendance_register(MIZUUMI, 2026, 1, "1", "2026-05")
    assert doc is not None
    assert doc["class_closures"] == ["2026-05-26", "2026-05-27"]
    parsed = page(html.render("attendance_register", doc))
    columns = [doc["instructional_days"].index(d) + 2 for d in doc["class_closures"]]
    for s in doc["students"]:
        row = parsed.row("month", s["name"])
        assert [row[c] for c in columns] == ["閉", "閉"]
        assert s["month"]["class_closed"] == 2


def test_a_corrected_mark_shows_the_original_struck_through_with_who_when_and_why(
        demo: Demo, documents: dict[str, Any]) -> None:
    doc = documents["attendance_register"]
    child = next(s for s in doc["students"] if s["student_id"] == demo.student(MIDORI, 1, "1", 1))
    entry = child["days"]["2026-06-10"]
    (trail,) = entry["trail"]
    assert (entry["code"], trail["code"], trail["why"]) == ("present", "absent_illness", "欠席連絡の入力誤り")

    parsed = page(html.render("attendance_register", doc))
    cell = parsed.row("month", child["name"])[2 + doc["instructional_days"].index("2026-06-10")]
    assert cell == "出病※"  # the current mark, the original struck through beside it
    assert "病" in parsed.struck
    assert "欠席(病気)" in parsed.struck
    (note,) = [i for i in parsed.items if child["name"] in i]
    assert note.startswith(f"2026年6月10日 1番 {child['name']}: 出席欠席(病気)")
    assert trail["corrected_by"] in note
    assert "2027-03-31" in note  # when it was corrected (the test clock's day), in Japan time
    assert "「欠席連絡の入力誤り」" in note


# ---------------------------------------------------------------- 指導要録, 通知表, 長期欠席


def test_the_cumulative_record_has_both_forms_the_ten_behaviour_items_every_subject_and_the_attendance(
        documents: dict[str, Any]) -> None:
    doc = documents["cumulative_record"]
    text = html.render("cumulative_record", doc)
    parsed = page(text)
    labels = doc["labels"]
    assert labels["form1"].startswith("様式1")
    assert labels["form2"].startswith("様式2")
    assert f"<h2>{labels['form1']}</h2>" in text
    assert labels["form2"] in text
    assert f"<td>{doc['form1']['name']}</td>" in text
    (year,) = doc["form2"]
    grade = year["grade"]  # the grades side by side: the sixth-grader's year is the sixth column
    behaviour = parsed.tables["behaviour"]
    assert behaviour[0] == [labels["behaviour"], *(f"第{g}学年" for g in range(1, 7))]
    assert [r[0] for r in behaviour[1:]] == list(curriculum.BEHAVIOUR_ITEMS.values())
    assert [r[grade] for r in behaviour[1:]] == ["○" if i["marked"] else "" for i in year["behaviour"]]
    assert any(i["marked"] for i in year["behaviour"])  # a grade-6 child of the demo has a year record
    activities = parsed.tables["special_activities"]
    assert [r[0] for r in activities[1:]] == [a["label"] for a in year["special_activities"]]
    subjects = parsed.tables["subjects"]
    assert subjects[0] == [labels["subjects"], *(f"第{g}学年" for g in range(1, 7))]
    named = [r[0] for r in subjects[1:] if len(r) == 8]  # a subject's first row: its name, 観点, six grades
    assert [s["label"] for s in year["subjects"]] == [n for n in named if n != "生活"]  # 生活: 小1–2 only
    assert [r[0] for r in subjects[2:5]] == [labels["thinking"], labels["attitude"], labels["rating"]]
    (attendance,) = year["attendance"]
    header = parsed.tables["attendance"][0]
    assert header[2:8] == [labels.get(k, "未記入") for k in PERIOD_FIGURES]
    row = parsed.row("attendance", f"第{grade}学年", 0)
    assert row[1:] == [attendance["school_name"], *figures(attendance, PERIOD_FIGURES), attendance["remarks"]]
    assert labels["excused"] == BOARD_LABEL
    assert BOARD_LABEL in text
    assert year["moral_education"] in text
    assert year["general_remarks"] in text


def test_the_report_card_strikes_the_demo_correction_of_arithmetic_beside_the_current_viewpoint(
        documents: dict[str, Any]) -> None:
    doc = documents["report_card"]
    parsed = page(html.render("report_card", doc))
    arithmetic = next(s for s in doc["subjects"] if s["subject"] == "arithmetic")
    (trail,) = arithmetic["trail"]
    cell = parsed.row("subjects", "算数", 0)[2]
    assert cell.startswith(arithmetic["viewpoints"]["thinking"] + trail["viewpoints"]["thinking"])
    assert "観点別評価の転記誤り" in cell
    assert trail["corrected_by"] in cell
    assert trail["viewpoints"]["thinking"] in parsed.struck
    for s in doc["subjects"]:
        row = parsed.row("subjects", s["label"], 0)
        assert [c[:1] for c in row[1:4]] == [s["viewpoints"][k] for k in ("knowledge", "thinking", "attitude")]
        assert row[4][:1] == str(s["rating"])
    header, row = parsed.tables["attendance"]
    assert header[1] == BOARD_LABEL
    assert row == [*figures(doc["attendance"], (*PERIOD_FIGURES, "late", "left_early")), doc["attendance"]["remarks"]]


def test_the_long_absence_page_lists_each_child_with_absent_days_reasons_and_runs(
        documents: dict[str, Any], demo: Demo) -> None:
    doc = documents["long_absence"]
    assert doc["students"]
    parsed = page(html.render("long_absence", doc))
    header = parsed.tables["students"][0]
    for key in ("absent", "long_absence", "runs_of_seven", "notice_due"):
        assert doc["labels"][key] in header
    for s in doc["students"]:
        row = parsed.row("students", s["name"], 2)
        by_reason = s["absent_by_reason"]
        assert row[3:7] == [str(s["absent"]), str(by_reason["absent_illness"]), str(by_reason["absent_other"]),
                            str(s["deemed_present"])]
        assert row[7] == ("○" if s["long_absence"] else "")
        for run in s["runs_of_seven"]:
            assert f"{run['days']}日" in row[8]
    empty = page(html.render("long_absence", demo.forms.long_absence(AOBA, 2025)))
    assert empty.tables["students"][-1] == ["該当なし"]


# ---------------------------------------------------------------- 健康診断票


def test_the_health_card_prints_every_item_label_and_the_demo_examination(documents: dict[str, Any]) -> None:
    doc = documents["health_card"]
    parsed = page(html.render("health_card", doc))
    (column,) = doc["columns"]
    rows = {r[0]: r[1:] for r in parsed.tables["health"]}
    at = column["grade"] - 1  # a column per grade of the school kind, the child's in its grade's place
    assert len(rows[doc["labels"]["grade"]]) == (6 if doc["school_kind"] == "elementary" else 3)
    assert rows[doc["labels"]["year"]][at] == f"{column['year']}年度"
    assert rows[doc["labels"]["age"]][at] == f"{column['age']}歳"
    for key in doc["items"]:
        value = column["items"][key]
        shown = doc["meanings"]["nutrition"].get(value) if key == "nutrition" else (
            doc["meanings"]["hearing"].get(value) if key.startswith("hearing") else value)
        assert rows[doc["labels"][key]][at] == ("" if shown is None else str(shown)), key


def test_the_dental_card_prints_the_findings_the_chart_and_the_counts(documents: dict[str, Any]) -> None:
    doc = documents["dental_card"]
    text = html.render("dental_card", doc)
    parsed = page(text)
    (column,) = doc["columns"]
    at = column["grade"]  # a column per grade, the child's in its grade's place
    for k in ("jaw", "bite", "plaque", "gums"):
        assert parsed.row("dental", doc["labels"][k], 0)[at] == str(column[k]["code"])
        assert f"{column[k]['code']} {column[k]['meaning']}" in text  # the codes' legend
    chart = parsed.tables[f"chart-{column['year']}"]
    assert chart[0] == list("8765432112345678")
    for r in range(4):  # a row of tooth names, then the row of their codes (a primary row padded to the width)
        pad = (16 - len(doc["chart_rows"][r])) // 2
        assert chart[2 * r + 1][pad:16 - pad] == [c or "" for c in column["chart"][r]]
    assert any(c for row in column["chart"] for c in row)
    for k, v in column["counts"].items():
        assert parsed.row("dental", doc["labels"][k], 0)[at] == str(v)


# ---------------------------------------------------------------- corrections and escaping, small ledgers


@pytest.fixture
def small(sqlite_backend: Backend, open_ledger: Callable[[Backend], Ledger]) -> tuple[Ledger, Runner]:
    ledger = open_ledger(sqlite_backend)
    b.school_with_calendar(ledger)
    return ledger, runner_for(ledger, sqlite_backend)


def test_a_corrected_year_assessment_year_record_and_name_keep_the_original_readable(
        small: tuple[Ledger, Runner]) -> None:
    ledger, runner = small
    (child,) = b.class_with_students(ledger, grade=3, name="1", count=1)
    ledger.record_assessment(child, b.YEAR, subject="arithmetic", rating=2, on=date(2027, 3, 19), recorded_by=b.STAFF,
                             viewpoints={"knowledge": "A", "thinking": "B", "attitude": "B"})
    ledger.correct_assessment(child, b.YEAR, corrects_version=1, rating=3, reason="評定の転記誤り",
                              viewpoints={"knowledge": "A", "thinking": "A", "attitude": "B"}, recorded_by="T-0002")
    ledger.enter_year_record(child, b.YEAR, on=date(2027, 3, 19), recorded_by=b.STAFF,
                             record={"behaviour": ["fairness"], "general_remarks": "よく発言した。"})
    ledger.correct_year_record(child, b.YEAR, corrects_version=1, reason="別の児童の所見と取り違え",
                               record={"behaviour": ["creativity"], "general_remarks": "粘り強く取り組んだ。"},
                               recorded_by=b.STAFF)
    ledger.change_identity(child, b.identity(1, family_name="鈴木", birth_date="2017-06-01"),
                           reason="保護者の婚姻による改姓", on=date(2026, 9, 1), recorded_by="registrar")
    runner.catch_up()
    doc = Forms(runner).cumulative_record(child)
    assert doc is not None

    text = html.render("cumulative_record", doc)
    parsed = page(text)
    subjects = parsed.tables["subjects"]
    at = subjects.index(parsed.row("subjects", "算数", 0))
    thinking, rating = subjects[at + 1][3], subjects[at + 3][3]  # the third grade's column
    assert thinking.startswith("AB")
    assert "「評定の転記誤り」" in thinking
    assert "T-0002" in thinking
    assert rating.startswith("32")
    assert {"B", "2", "よく発言した。", "佐藤 陽翔1"} <= set(parsed.struck)
    assert "粘り強く取り組んだ。" in text
    assert "「別の児童の所見と取り違え」" in text
    marks = {r[0]: r[3] for r in parsed.tables["behaviour"][1:]}
    assert marks["創意工夫"].startswith("○（空欄）")
    assert marks["公正・公平"].startswith("○")
    name = parsed.row("identity", "氏名", 0)
    assert name[1].startswith("鈴木 陽翔1佐藤 陽翔1")
    assert "変更 2026年9月1日 registrar「保護者の婚姻による改姓」" in name[1]
    kana = parsed.row("identity", "ふりがな", 1)
    assert kana[2] == "さとう はると"  # unchanged by the change: nothing struck


def test_a_corrected_examination_shows_the_original_height_and_tooth_struck_through(
        small: tuple[Ledger, Runner]) -> None:
    ledger, runner = small
    (child,) = b.class_with_students(ledger, count=1)
    ledger.record_health_exam(child, b.YEAR, examination=HEALTH, examined_on=date(2026, 4, 20), recorded_by="nurse")
    ledger.record_dental_exam(child, b.YEAR, examination=DENTAL, examined_on=date(2026, 5, 11), recorded_by="dentist")
    ledger.correct_examination(child, b.YEAR, corrects_version=1, examination={**HEALTH, "height_cm": "118.4"},
                               reason="身長の転記誤り", recorded_by="nurse2")
    ledger.correct_examination(child, b.YEAR, corrects_version=2, dental=True, reason="処置済の記入漏れ",
                               examination={**DENTAL, "teeth": {**DENTAL["teeth"], "UL6": "○"}}, recorded_by="dentist")
    runner.catch_up()
    health, dental = cards(Forms(runner), child)

    parsed = page(html.render("health_card", health))
    height = parsed.row("health", "身長 (cm)", 0)[1]
    assert height.startswith("118.4116.4")
    assert "nurse2「身長の転記誤り」" in height
    assert "116.4" in parsed.struck

    text = html.render("dental_card", dental)
    parsed = page(text)
    assert "C" in parsed.struck
    assert "○C※" in text.replace("<del>", "").replace("</del>", "")
    assert any("「処置済の記入漏れ」" in i and "dentist" in i for i in parsed.items)
    treated = parsed.row("dental", "永久歯 処置数", 0)[1]
    assert treated.startswith("10")
    assert "「処置済の記入漏れ」" in treated


def test_names_and_reasons_are_escaped_not_read_as_markup(small: tuple[Ledger, Runner]) -> None:
    ledger, runner = small
    (child,) = b.class_with_students(ledger, count=1)
    ledger.change_identity(child, b.identity(1, given_name="<script>alert(1)</script>"), reason="<b>改名</b> & 届出",
                           on=date(2026, 4, 7), recorded_by="registrar")
    ledger.record_roll(b.ELEMENTARY, b.YEAR, 1, "1", on=date(2026, 4, 8), marks=[(child, {"code": "absent_other"})],
                       recorded_by=b.STAFF)
    ledger.correct_mark(child, on=date(2026, 4, 8), mark={"code": "present"}, reason="<img src=x onerror=alert(1)>",
                        recorded_by=b.STAFF)
    runner.catch_up()
    forms = Forms(runner)
    pages = [html.render("roster", present(forms.roster(b.ELEMENTARY, b.YEAR, 1, "1"))),
             html.render("attendance_register",
                         present(forms.attendance_register(b.ELEMENTARY, b.YEAR, 1, "1", "2026-04"))),
             html.render("cumulative_record", present(forms.cumulative_record(child)))]
    for text in pages:
        parsed = page(text)
        assert not {"script", "img", "b"} & parsed.tags
        assert "<script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages[1]
    assert "「&lt;b&gt;改名&lt;/b&gt; &amp; 届出」" in pages[2]
