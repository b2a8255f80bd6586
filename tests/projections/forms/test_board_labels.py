"""The 出席停止・忌引等 column as a board names it (ADR 0038; domain-japan.md §2.4: the 2021 事務連絡 lets a
board rename it), on SQLite and PostgreSQL: a board setting, in force from a day, shown on every form of
the board's schools (JSON labels, the page, the PDF) and on no other board's, and as it was at a past point.

The world: みどり小 (board 312011) and みずうみ小 (board 322016), a first-grade class at each, June rolls.
The clock stands on 31 March 2027 in Japan (tests/conftest.py), the day the forms are read for.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pypdf

from domain.backend import Backend
from domain.ledger import Ledger
from projections import runner_for
from projections.base import Cutoff, canonical
from projections.forms import Forms, html, pdf
from tests import builders as b

DEFAULT = "出席停止・忌引等の日数"
RENAMED = "出席停止・忌引き等の日数"
LATER = "オンラインを活用した特例の授業・出席停止・忌引等の日数"
OTHER_BOARD, OTHER = "322016", b.OTHER_ELEMENTARY


def two_boards(ledger: Ledger) -> tuple[UUID, UUID]:
    """A child of みどり小 (board 312011) and one of みずうみ小 (board 322016), each with a June roll and
    a year-end assessment."""
    b.school_with_calendar(ledger)
    ledger.register_school(OTHER, "鳥取市立みずうみ小学校", OTHER_BOARD, "鳥取県鳥取市湖山町", recorded_by="admin")
    ledger.appoint_principal(OTHER, "P-0009", "中村 九郎", on=date(2026, 4, 1), recorded_by="admin")
    ledger.set_calendar(OTHER, b.YEAR, terms=b.TERMS, instructional_days=b.SCHOOL_DAYS, recorded_by="admin")
    (mine,) = b.class_with_students(ledger, count=1)
    (theirs,) = b.class_with_students(ledger, OTHER, count=1)
    for school, child in ((b.ELEMENTARY, mine), (OTHER, theirs)):
        for day in b.weekdays(date(2026, 6, 1), date(2026, 6, 5)):
            ledger.record_roll(school, b.YEAR, 1, "1", on=day, marks=[(child, {"code": "present"})],
                               recorded_by=b.STAFF)
        ledger.record_assessment(child, b.YEAR, subject="japanese", on=date(2027, 3, 19), recorded_by=b.STAFF,
                                 viewpoints={"knowledge": "A", "thinking": "B", "attitude": "A"})
    return mine, theirs


def forms_of(backend: Backend, ledger: Ledger, clock: Callable[[], datetime] | None = None) -> Forms:
    runner = runner_for(ledger, backend)
    runner.catch_up()
    return Forms(runner, clock=clock or (lambda: datetime(2027, 3, 30, 15, 0, 30, tzinfo=UTC)))


def every_form(f: Forms, school: str, child: UUID, as_of: Cutoff | None = None) -> dict[str, dict[str, Any]]:
    cut = as_of or Cutoff()
    found = {"attendance_register": f.attendance_register(school, b.YEAR, 1, "1", "2026-06", as_of=cut),
             "cumulative_record": f.cumulative_record(child, as_of=cut, school=school),
             "report_card": f.report_card(child, b.YEAR, 1, as_of=cut, school=school)}
    assert all(doc is not None for doc in found.values())
    return {k: v for k, v in found.items() if v is not None}


def pdf_text(body: bytes) -> str:
    return "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(body)).pages).replace(" ", "").replace(
        "\n", "")


def test_a_boards_label_shows_on_every_form_of_its_schools_and_on_no_other_boards(backend: Backend,
                                                                                  ledger: Ledger) -> None:
    mine, theirs = two_boards(ledger)
    ledger.set_board_settings(b.BOARD, {"excused_label": RENAMED}, effective_on=date(2026, 4, 1),
                              recorded_by="admin")
    f = forms_of(backend, ledger)
    for form, doc in every_form(f, b.ELEMENTARY, mine).items():
        assert doc["labels"]["excused"] == RENAMED, form
        page = html.render(form, doc)
        assert RENAMED in page, form
        assert DEFAULT not in page, form
        assert RENAMED in pdf_text(pdf.render(form, doc)), form
    for form, doc in every_form(f, OTHER, theirs).items():
        assert doc["labels"]["excused"] == DEFAULT, form
        assert DEFAULT in html.render(form, doc), form
        assert RENAMED not in pdf_text(pdf.render(form, doc)), form


def test_a_form_as_of_a_point_before_the_change_is_the_same_bytes_as_it_was_then(backend: Backend,
                                                                                 ledger: Ledger) -> None:
    mine, _ = two_boards(ledger)
    f = forms_of(backend, ledger)
    before, at = every_form(f, b.ELEMENTARY, mine), ledger.position()
    assert {doc["labels"]["excused"] for doc in before.values()} == {DEFAULT}
    printed = {form: pdf.render(form, doc) for form, doc in before.items()}
    ledger.set_board_settings(b.BOARD, {"excused_label": RENAMED}, effective_on=date(2026, 4, 1),
                              recorded_by="admin")
    f = forms_of(backend, ledger)
    assert {doc["labels"]["excused"] for doc in every_form(f, b.ELEMENTARY, mine).values()} == {RENAMED}
    past = every_form(f, b.ELEMENTARY, mine, Cutoff(position=at))
    for form, doc in past.items():
        assert canonical(doc) == canonical(before[form]), form
        assert pdf.render(form, doc) == printed[form], form


def test_the_label_is_the_one_in_force_on_the_day_the_form_is_read_for(backend: Backend, ledger: Ledger) -> None:
    """Renamed from 1 April 2026, renamed again from 1 April 2027: read for 31 March 2027 the forms show
    the first name, for 2 April 2027 the second, for 31 March 2026 the name of the notice."""
    mine, _ = two_boards(ledger)
    ledger.set_board_settings(b.BOARD, {"excused_label": RENAMED}, effective_on=date(2026, 4, 1),
                              recorded_by="admin")
    ledger.set_board_settings(b.BOARD, {"excused_label": LATER}, effective_on=date(2027, 4, 1),
                              recorded_by="admin")
    today = every_form(forms_of(backend, ledger), b.ELEMENTARY, mine)
    assert {doc["labels"]["excused"] for doc in today.values()} == {RENAMED}
    later = every_form(forms_of(backend, ledger, lambda: datetime(2027, 4, 2, 1, tzinfo=UTC)), b.ELEMENTARY, mine)
    assert {doc["labels"]["excused"] for doc in later.values()} == {LATER}
    assert LATER in pdf_text(pdf.render("attendance_register", later["attendance_register"]))
    earlier = every_form(forms_of(backend, ledger, lambda: datetime(2026, 3, 31, 1, tzinfo=UTC)), b.ELEMENTARY, mine)
    assert {doc["labels"]["excused"] for doc in earlier.values()} == {DEFAULT}
