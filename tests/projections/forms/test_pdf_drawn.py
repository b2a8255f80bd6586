"""The tables of the forms typeset from their HTML view are drawn, not laid out by Typst (ADR 0048):
the same cells at the same places, the text in the form's order; a table Typst must lay out (a correction
trail, text that cannot be broken) stays a table."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from datetime import date
from typing import Any

import pypdf
import pytest

from domain.backend import Backend
from domain.ledger import Ledger
from projections import runner_for
from projections.forms import Forms, html, pdf
from tests import builders as b
from tests.conftest import Clock
from tests.projections.forms.test_form_layouts import through_three_grades

GRID = """<html><head><title>t</title></head><body>
<table id="x" class="grid" data-labels="2">
<tr><th colspan="2">教科</th><th class="mark">第1学年</th><th class="mark">第2学年</th>
  <th class="mark">第3学年</th></tr>
<tr><th rowspan="2">国語</th><th class="small">知識・技能</th><td class="mark">A</td><td class="mark">B</td>
  <td class="mark closed"></td></tr>
<tr><th class="small">評定</th><td class="mark closed"></td><td class="mark closed"></td><td class="mark">3</td></tr>
</table></body></html>"""


def only_table(page: str) -> dict[str, Any]:
    (table,) = [block[1] for block in pdf.typeset(page, landscape=False)["blocks"] if block[0] == "table"]
    return table


@pytest.fixture
def by_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """The drawn tables as ``_drawn`` works them out, by their cells' indices (before ``_positioned``)."""
    monkeypatch.setattr(pdf, "_positioned", lambda drawn: drawn)


@pytest.mark.usefixtures("by_index")
def test_a_grid_is_drawn_with_its_spans_fills_rules_and_runs_of_marks() -> None:
    drawn = only_table(GRID)["drawn"]
    line = pdf.CAP * 7.5 + 2 * pdf.INSET_Y  # one line at the grid's 7.5pt, and the inset
    assert drawn["ys"] == pytest.approx([line * i for i in range(4)])
    assert drawn["xs"][-1] == pytest.approx(pdf.TEXT_WIDTH[False])  # as wide as the page
    grades = drawn["xs"][2:]
    assert len({round(b - a, 2) for a, b in itertools.pairwise(grades)}) == 1  # the grades share the rest
    # the texts in the form's order, the subject's name (a cell spanning two rows) before its rows' cells;
    # the marks of a row in neighbouring grade columns as one run, "A" and "B" a column apart
    assert [t[5] if t[3] == "run" else t[5][0] for t in drawn["texts"]] == [
        "教科", "第1学年", "第2学年", "第3学年", "国語", "知識・技能", "AB", "評定", "3"]
    run = next(t for t in drawn["texts"] if t[5] == "AB")
    assert run[:5] == [2, 1, 2, "run", 0.5 * 7.5]  # from the first grade's column, row 1, two columns, half an em
    # no rule across a spanning cell: the 国語 cell spans rows 1–2, 教科 columns 0–1
    assert [2, 0, 1, 0] not in drawn["rules"]
    assert [2, 1, 5, 0] in drawn["rules"]
    assert [1, 1, 3, 1] in drawn["rules"]  # the edge between columns 0 and 1, from row 1 down
    assert [0, 0, 5, 0] in drawn["rules"]
    assert [3, 0, 5, 0] in drawn["rules"]
    # fills: the header row as one rectangle, the shaded 評定 of grades 1–2 as one
    assert [0, 0, 5, 1, "th"] in drawn["fills"]
    assert [2, 2, 4, 3, "closed"] in drawn["fills"]
    assert [4, 1, 5, 2, "closed"] in drawn["fills"]


@pytest.mark.usefixtures("by_index")
def test_a_cell_of_two_lines_makes_its_row_taller_and_a_long_text_is_broken_where_japanese_allows() -> None:
    page = GRID.replace("<th class=\"mark\">第3学年</th>", "<th class=\"mark\">第3学年<br>(写し)</th>")
    drawn = only_table(page)["drawn"]
    two = 2 * pdf.CAP * 7.5 + pdf.LEADING * 7.5 + 2 * pdf.INSET_Y
    assert drawn["ys"][1] == pytest.approx(two)
    empty = GRID.replace('<td class="mark">3</td>', '<td class="mark"></td>')
    assert only_table(empty)["drawn"]["ys"][3] - only_table(empty)["drawn"]["ys"][2] == pytest.approx(
        pdf.CAP * 7.0 + 2 * pdf.INSET_Y)  # a row of empty cells and a 7pt label: as low as the label
    head = next(t for t in drawn["texts"] if t[5][0] == "第3学年")
    assert head[3] == "lines-center"  # each line centered in its box
    # 禁則: no line begins with a closing mark or a small kana; Latin is not broken inside a word
    lines = pdf._wrapped("出席停止・忌引等の日数、出席しなければならない日数", 7.5, 40.0)
    assert lines is not None
    assert len(lines) > 2
    assert "".join(lines) == "出席停止・忌引等の日数、出席しなければならない日数"
    assert not any(line[0] in pdf._NO_START for line in lines)
    assert all(not pdf._over(pdf._ems(line) * 7.5, 40.0) for line in lines)
    assert pdf._wrapped("Gakuseki-the-ledger", 7.5, 30.0) is None


def test_a_table_with_a_correction_trail_or_text_that_cannot_be_broken_stays_a_table() -> None:
    corrected = GRID.replace('<td class="mark">B</td>', '<td class="mark">A<span class="was"><del>B</del> '
                             '<span class="note">訂正 2027-03-31 09:00 T-0002「転記誤り」</span></span></td>')
    table = only_table(corrected)
    assert "drawn" not in table
    assert len(table["cells"]) == 13
    unbroken = GRID.replace("<td class=\"mark\">3</td>", "<td class=\"mark\">" + "X" * 60 + "</td>")
    assert "drawn" not in only_table(unbroken)


def chunks(body: bytes, page: int) -> list[tuple[float, float, str]]:
    """Each piece of text the PDF's page shows, with where it starts (pt)."""
    out: list[tuple[float, float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: Any) -> None:
        if text.strip():
            out.append((tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5], text.strip()))
    pypdf.PdfReader(io.BytesIO(body)).pages[page].extract_text(visitor_text=visit)
    return out


def test_the_drawn_form_shows_every_text_where_the_typst_table_showed_it(
        backend: Backend, ledger: Ledger, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    child = through_three_grades(ledger, clock)
    runner = runner_for(ledger, backend)
    runner.catch_up()
    doc = Forms(runner).cumulative_record(child)
    assert doc is not None
    drawn = pdf.render("cumulative_record", doc)
    tables = pdf.typeset(html.render("cumulative_record", doc), landscape=False)["blocks"]
    assert all("drawn" in b[1] for b in tables if b[0] == "table")  # every table of this form is drawn
    with monkeypatch.context() as m:
        m.setattr(pdf, "_drawn", lambda *_: None)
        laid_out = pdf.render("cumulative_record", doc)
    assert drawn != laid_out
    # 様式1 and 様式2 (the 3 grades of this child fit on a page): each piece of text starts where Typst's
    # tables set it (within a point; a run of marks starts with its first), and a page holds the same characters
    for page in (0, 1):
        near: Callable[[tuple[float, float, str]], bool] = lambda c, page=page: any(  # noqa: E731
            abs(c[0] - x) < 1.0 and abs(c[1] - y) < 1.0 and t.replace(" ", "")[0] == c[2].replace(" ", "")[0]
            for x, y, t in chunks(laid_out, page))
        assert all(near(c) for c in chunks(drawn, page))
        text = [sorted("".join(t for *_, t in chunks(body, page)).replace(" ", "")) for body in (drawn, laid_out)]
        assert text[0] == text[1]


def test_a_corrected_assessment_prints_its_trail_in_the_pdf(
        sqlite_backend: Backend, open_ledger: Callable[[Backend], Ledger]) -> None:
    ledger = open_ledger(sqlite_backend)
    b.school_with_calendar(ledger)
    (child,) = b.class_with_students(ledger, grade=3, name="1", count=1)
    ledger.record_assessment(child, b.YEAR, subject="arithmetic", rating=2, on=date(2027, 3, 19), recorded_by=b.STAFF,
                             viewpoints={"knowledge": "A", "thinking": "B", "attitude": "B"})
    ledger.correct_assessment(child, b.YEAR, corrects_version=1, rating=3, reason="評定の転記誤り",
                              viewpoints={"knowledge": "A", "thinking": "A", "attitude": "B"}, recorded_by="T-0002")
    runner = runner_for(ledger, sqlite_backend)
    runner.catch_up()
    doc = Forms(runner).cumulative_record(child)
    assert doc is not None
    blocks = pdf.typeset(html.render("cumulative_record", doc), landscape=False)["blocks"]
    tables = [block[1] for block in blocks if block[0] == "table"]
    subjects = next(t for t in tables if len(t["columns"]) == 8 and t["columns"][1].endswith("pt"))
    assert "drawn" not in subjects  # the correction trail wraps in its cell: Typst lays the table out
    assert sum(1 for t in tables if "drawn" in t) >= 5  # the others are drawn
    body = pdf.render("cumulative_record", doc)
    assert body == pdf.render("cumulative_record", doc)
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(body)).pages).replace(" ", "").replace("\n", "")
    assert "「評定の転記誤り」" in text
    assert "T-0002" in text
    assert "算数" in text
    assert "評定32" in text
