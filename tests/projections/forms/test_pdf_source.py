"""A form's Typst source is two lines: the import of its template's function and the call with the form's data,
JSON in a Typst string literal (ADR 0055). Whatever the data holds prints as text, never as Typst; and what
Typst keeps from one compile to the next never shows in a PDF's bytes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pypdf

from domain.backend import Backend
from domain.ledger import Ledger
from projections import runner_for
from projections.forms import Forms, pdf
from tests.conftest import Clock
from tests.projections.forms.test_form_layouts import through_three_grades

# what would be Typst if it were read as source: a string's end and escapes, markup, code, a comment, a label
TRICKY = 'A"B\\C\\u{41}#set text(size: 40pt)]) [x] $y$ *b* _i_ <l> @r // c /* d'


def text_of(body: bytes) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)


def test_the_source_is_an_import_and_a_call_with_the_data_as_a_string() -> None:
    source = pdf._source("page.typ", "form", {"title": TRICKY, "landscape": False, "blocks": []}, None).decode()
    assert source.splitlines()[0] == '#import "/page.typ": form'
    assert source.splitlines()[1].startswith('#form(json(bytes("')
    assert source.endswith('")), false)\n')
    assert "sys.inputs" not in pdf.TEMPLATES.joinpath("page.typ").read_text()
    assert "sys.inputs" not in pdf.TEMPLATES.joinpath("attendance_register.typ").read_text()


def test_text_that_would_be_typst_source_prints_as_it_is_in_both_templates() -> None:
    page = pdf.typeset(f"""<html><head><title>{TRICKY}</title></head><body><h1>{TRICKY}</h1><p>{TRICKY}</p>
<table><tr><th>氏名</th><td>{TRICKY}</td></tr></table></body></html>""".replace("<l>", "&lt;l&gt;"), landscape=False)
    body = pdf.printer().compile(pdf._source("page.typ", "form", page, None), None)
    assert text_of(body).count(TRICKY) == 3  # heading, paragraph, cell: all of it, at the body's size
    assert pypdf.PdfReader(io.BytesIO(body)).metadata.title == TRICKY
    day = "2026-06-01"
    register: dict[str, Any] = {
        "instructional_days": [day], "month": "2026-06", "school_code": "123456", "school_name": TRICKY,
        "year": 2026, "grade": 1, "class_name": "1", "labels": {"excused": "出席停止・忌引等の日数"},
        "homeroom_teacher": {"name": "担任 一郎"},
        "students": [{"number": 1, "name": "山田 太郎", "days": {day: {"code": "present"}},
                      "month": {"school_days": 1, "excused": 0, "required": 1, "absent": 0, "present": 1, "late": 0,
                                "left_early": 0}}]}
    sheet = pdf.render("attendance_register", register)
    assert TRICKY in text_of(sheet)
    assert "山田 太郎" in text_of(sheet)
    assert len(pypdf.PdfReader(io.BytesIO(sheet)).pages) == 1


def test_a_pdf_has_the_same_bytes_in_a_fresh_process_as_after_other_forms(
        backend: Backend, ledger: Ledger, clock: Clock, tmp_path: Path) -> None:
    """Typst keeps what it worked out for one form and finds it again for the next (ADR 0055): a form's
    bytes must not depend on which forms came before it in the process."""
    child = through_three_grades(ledger, clock)
    runner = runner_for(ledger, backend)
    runner.catch_up()
    forms = Forms(runner)
    composed, card = forms.cumulative_record(child), forms.health_card(child)
    assert composed is not None
    assert card is not None
    record = msgspec.json.decode(msgspec.json.encode(composed))  # as the API hands a form to pdf.render
    pdf.render("health_card", msgspec.json.decode(msgspec.json.encode(card)))
    pdf.render("cumulative_record", {**record, "form1": {**record["form1"], "name": "別の 子"}})
    here = pdf.render("cumulative_record", record)
    (tmp_path / "record.json").write_text(json.dumps(record, ensure_ascii=False))
    fresh = subprocess.run(
        [sys.executable, "-c", "import json, sys; from projections.forms import pdf; "
         "sys.stdout.buffer.write(pdf.render('cumulative_record', json.load(open(sys.argv[1]))))",
         str(tmp_path / "record.json")],
        check=True, capture_output=True, cwd=Path(__file__).parents[3]).stdout
    assert fresh == here
    printed = text_of(here).replace(" ", "")  # the extraction sets a space between kanji and a figure
    assert record["form1"]["name"].replace(" ", "") in printed
    assert "別の子" not in printed
