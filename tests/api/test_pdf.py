"""The forms as PDF over HTTP (ADR 0035): A4, fonts embedded, text that can be searched, the same
bytes for the same form and point in time, and a file name that says what it is."""

from __future__ import annotations

import io
from datetime import date

import pypdf
import pytest

from tests.api.conftest import YEAR, A, Api, B, school_day_has_come

A4 = (595.28, 841.89)  # points
PDF = {"Accept": "application/pdf"}
CODES = ["present", "late", "absent_illness", "present", "mourning"]


def read(body: bytes) -> pypdf.PdfReader:
    assert body.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(body))


def text_of(reader: pypdf.PdfReader) -> str:
    """The text as a reader's search finds it (pypdf puts spaces and line ends between runs: taken out)."""
    return "".join(page.extract_text() for page in reader.pages).replace(" ", "").replace("\n", "")


def size(page: pypdf.PageObject) -> tuple[float, float]:
    box = page.mediabox
    return round(float(box.width), 2), round(float(box.height), 2)


def embedded_fonts(reader: pypdf.PdfReader) -> set[str]:
    """The base names of the fonts whose files are embedded in the PDF."""
    found = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                if any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    found.add(str(descendant.get_object()["/BaseFont"]))
    return found


def roll(api: Api, klass_name: str, students: tuple[str, ...], on: date) -> int:
    marks = [{"student_id": s, "code": CODES[i % len(CODES)], **({"reason": "通院"} if i % 5 == 1 else {})}
             for i, s in enumerate(students)]
    written = api.post("/v1/attendance-rolls", {"school_code": A, "year": YEAR, "grade": 1, "class_name": klass_name,
                                                "date": on.isoformat(), "marks": marks}, api.auth("principal"))
    assert written.status_code == 201, written.text
    return int(written.json()["position"])


def test_the_register_of_a_class_month_of_40_children_is_one_a4_landscape_page(world: Api) -> None:
    api = world
    school_day_has_come(api, date(2026, 4, 8))
    klass = api.fresh_class(A, students=40)
    roll(api, klass.name, klass.students, date(2026, 4, 7))
    position = roll(api, klass.name, klass.students, date(2026, 4, 8))
    path = f"/v1/schools/{A}/years/{YEAR}/classes/1/{klass.name}/attendance-register?month=2026-04"
    form = api.get(f"{path}&wait_for={position}", api.auth("principal")).json()
    response = api.client.get(f"{path}&format=pdf", headers=api.auth("principal"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == \
        f'inline; filename="attendance-register-{A}-{YEAR}-1-{klass.name}-2026-04.pdf"'
    pdf = read(response.content)
    assert len(pdf.pages) == 1
    assert size(pdf.pages[0]) == A4[::-1]  # landscape
    text = text_of(pdf)
    for child in form["students"]:
        assert child["name"].replace(" ", "") in text
    for child in form["students"][:3]:  # the month's totals per child, in their row, as the JSON has them
        f = child["month"]
        figures = "".join(str(f[k]) for k in ("school_days", "excused", "required", "absent", "present", "late",
                                              "left_early"))
        assert figures in text
    assert "出席しなければならない日数" in text
    # the legend names every symbol used (出 included), and the daily totals row is there
    for entry in ("出出席", "チ遅刻", "病欠席(病気)", "忌忌引"):
        assert entry in text, entry
    assert "出停・忌引等" in text
    assert embedded_fonts(pdf)
    assert all("BIZUDMincho" in f for f in embedded_fonts(pdf))


def test_a_form_pdf_has_the_same_bytes_when_read_again_after_an_unrelated_write_and_as_of_a_past_position(
        world: Api) -> None:
    api = world
    school_day_has_come(api, date(2026, 4, 7))
    klass, other = api.fresh_class(A, students=3), api.fresh_class(A, students=2)
    position = roll(api, klass.name, klass.students, date(2026, 4, 7))
    path = f"/v1/schools/{A}/years/{YEAR}/classes/1/{klass.name}/attendance-register?month=2026-04"
    principal = {**api.auth("principal"), **PDF}
    first = api.client.get(f"{path}&wait_for={position}", headers=principal).content
    then = api.client.get(f"{path}&as_of={position}", headers=principal).content
    assert api.client.get(path, headers=principal).content == first
    unrelated = roll(api, other.name, other.students, date(2026, 4, 7))
    assert api.client.get(f"{path}&wait_for={unrelated}", headers=principal).content == first
    assert api.client.get(f"{path}&as_of={position}", headers=principal).content == then
    assert read(then).metadata is not None
    assert read(then).metadata.creation_date is not None
    written = api.ledger.known_time(api.ledger.transaction_end(position))
    assert read(first).metadata.creation_date == written.replace(microsecond=0)  # the form's last change
    assert then == first  # as of the position of its last change, the form is today's: the same bytes


@pytest.mark.parametrize("form", ["cumulative-record", "health-card", "dental-card", "report-card"])
def test_every_student_form_answers_an_a4_pdf_with_the_childs_name_and_figures(world: Api, form: str) -> None:
    api = world
    school_day_has_come(api, date(2026, 4, 7))
    klass = api.fresh_class(A, students=2)
    position = roll(api, klass.name, klass.students, date(2026, 4, 7))
    sid = klass.students[0]
    query = f"year={YEAR}&term=1&" if form == "report-card" else ""
    path = f"/v1/students/{sid}/forms/{form}?{query}wait_for={position}"
    principal = api.auth("principal")
    document = api.get(path, principal).json()
    response = api.client.get(path, headers={**principal, **PDF})
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith(f'inline; filename="{form}-')
    pdf = read(response.content)
    assert {size(p) for p in pdf.pages} == {A4}
    text = text_of(pdf)
    name = document.get("form1", document.get("student", document)).get("name", "")
    assert name
    assert name.replace(" ", "") in text
    if form == "cumulative-record":
        assert "様式1(学籍に関する記録)" in text
        assert "出欠の記録" in text
    if form == "report-card":
        assert "出席日数" in text
    assert embedded_fonts(pdf)


def test_the_class_and_school_forms_answer_a_pdf_through_the_format_query(world: Api) -> None:
    api = world
    klass = api.fresh_class(A, students=2)
    principal = api.auth("principal")
    roster = f"/v1/schools/{A}/years/{YEAR}/classes/1/{klass.name}/roster"
    wait = f"wait_for={api.ledger.position()}"
    names = [s["name"].replace(" ", "") for s in api.get(f"{roster}?{wait}", principal).json()["students"]]
    text = text_of(read(api.client.get(f"{roster}?format=pdf", headers=principal).content))
    assert all(n in text for n in names)
    assert "名簿" in text
    absences = api.client.get(f"/v1/schools/{A}/years/{YEAR}/long-absence?format=pdf", headers=principal)
    assert absences.status_code == 200
    assert "長期欠席" in text_of(read(absences.content))


def test_a_received_copy_prints_as_a_copy_certified_by_the_principal_of_the_school_that_issued_it(
        world: Api) -> None:
    api = world
    _, sid = api.fresh_student(A)
    move = {"kind": "transfer", "to_school": B, "left_on": "2026-06-05", "accepted_on": "2026-06-08",
            "year": YEAR, "grade": 1, "reason": "保護者の転勤に伴う転居", "class_name": "1", "number": 22}
    moved = api.post(f"/v1/students/{sid}/handovers", move, api.auth("registrar"))
    assert moved.status_code == 201, moved.text
    path = f"/v1/students/{sid}/forms/cumulative-record?wait_for={moved.json()['position']}&format=pdf"
    receiving = read(api.client.get(path, headers=api.auth("principal", B, staff="P-0002")).content)
    text = text_of(receiving)
    assert "児童生徒指導要録（写し）鳥取市立みどり小学校" in text
    assert ("上記は児童生徒指導要録の写しであり、原本と相違ないことを証明する。"
            "2026年6月8日鳥取市立みどり小学校校長田中一郎") in text
    # the sending school's own record is its original: no certification on it
    sending = text_of(read(api.client.get(path, headers=api.auth("principal")).content))
    assert "写し" not in sending.replace("受領した指導要録の写し・抄本", "")
    assert "原本と相違ない" not in sending


def test_a_pdf_has_the_same_bytes_after_the_read_models_are_rebuilt(api: Api) -> None:
    school_day_has_come(api, date(2026, 4, 7))
    klass = api.fresh_class(A, students=3)
    position = roll(api, klass.name, klass.students, date(2026, 4, 7))
    principal = {**api.auth("principal"), **PDF}
    paths = [f"/v1/schools/{A}/years/{YEAR}/classes/1/{klass.name}/attendance-register?month=2026-04",
             f"/v1/students/{klass.students[0]}/forms/cumulative-record"]
    before = [api.client.get(f"{p}{'&' if '?' in p else '?'}wait_for={position}", headers=principal).content
              for p in paths]
    api.services.forms.runner.rebuild()
    after = [api.client.get(p, headers=principal).content for p in paths]
    assert after == before
