"""出席簿 composed from the read models, case by case, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.backend import Backend
from domain.ledger import Ledger
from projections import runner_for
from projections.base import canonical
from projections.forms import Forms
from tests import builders as b

# June 2026: Mon 1 … Fri 5, Mon 8 … Fri 12.
GRADE_CLOSED = date(2026, 6, 3)  # 学年閉鎖: not a school day for grade 1
CLASS_CLOSED = date(2026, 6, 4)  # 学級閉鎖 of 1-1: excused for its students
CLOSURES = [
    {"on": GRADE_CLOSED.isoformat(), "scope": "grade", "grade": 1, "reason": "インフルエンザ(学年閉鎖)"},
    {"on": CLASS_CLOSED.isoformat(), "scope": "class", "grade": 1, "class_name": "1", "reason": "学級閉鎖"},
]


def _roll(ledger: Ledger, day: date, marks: dict[Any, dict[str, Any]]) -> None:
    ledger.record_roll(b.ELEMENTARY, b.YEAR, 1, "1", on=day, marks=list(marks.items()), recorded_by=b.STAFF)


def _june(ledger: Ledger) -> tuple[list[Any], Any]:
    b.school_with_calendar(ledger, closures=CLOSURES)
    a, c, d = b.class_with_students(ledger, count=3)
    present = {"code": "present"}
    _roll(ledger, date(2026, 6, 1), {a: {"code": "late"}, c: present, d: {"code": "left_early"}})
    _roll(ledger, date(2026, 6, 2), {a: {"code": "absent_illness", "reason": "発熱"}, c: present, d: present})
    _roll(ledger, date(2026, 6, 5), {a: {"code": "mourning", "reason": "祖父の葬儀"}, c: present,
                                     d: {"code": "deemed_present", "facility": "鳥取市教育支援センター"}})
    # c leaves (withdrawal) on 8 June, a day still on the roll (ADR 0024); a newcomer e joins on 9 June.
    ledger.withdraw(c, on=date(2026, 6, 8), reason="県外へ転出", recorded_by="principal")
    e = ledger.admit_student(b.ELEMENTARY, b.YEAR, 1, "1", 4, b.identity(4), admitted_on=date(2026, 6, 9),
                             admission_kind="entrance", recorded_by="registrar", different_child=True).stream_id
    _roll(ledger, date(2026, 6, 8), {a: present, c: present, d: present})
    _roll(ledger, date(2026, 6, 9), {a: present, d: present, e: present})
    # The 2 June absence was really a suspension for influenza: corrected, with the reason.
    ledger.correct_mark(a, on=date(2026, 6, 2), mark={"code": "suspended", "authority": "infection",
                                                      "reason": "インフルエンザ"},
                        reason="医師の診断により出席停止", recorded_by=b.STAFF)
    return [a, c, d, e], e


def _register(backend: Backend, ledger: Ledger, **kwargs: Any) -> dict[str, Any]:
    runner = runner_for(ledger, backend)
    runner.catch_up()
    form = Forms(runner).attendance_register(b.ELEMENTARY, b.YEAR, 1, "1", "2026-06", **kwargs)
    assert form is not None
    return form


def test_the_june_register_counts_each_child_by_the_rules(backend: Backend, ledger: Ledger) -> None:
    (a, c, d, e), _ = _june(ledger)
    form = _register(backend, ledger)
    by_id = {s["student_id"]: s for s in form["students"]}
    # June has 22 weekdays; the grade closure removes one: 21 instructional days for grade 1.
    assert len(form["instructional_days"]) == 21
    assert form["class_closures"] == [CLASS_CLOSED.isoformat()]

    a_month = by_id[str(a)]["month"]  # late, suspended (corrected), closed, mourning, present, present
    assert a_month["school_days"] == 21
    assert a_month["excused"] == 3  # 出席停止 + 学級閉鎖 + 忌引
    assert a_month["class_closed"] == 1
    assert a_month["required"] == 18
    assert (a_month["absent"], a_month["late"], a_month["present"]) == (0, 1, 3)
    assert a_month["unrecorded"] == 15  # days with no roll yet

    c_month = by_id[str(c)]["month"]  # on the roll 1, 2, 4 (closed), 5 and 8 June (withdrew on the 8th)
    assert c_month["school_days"] == 5
    assert (c_month["present"], c_month["excused"]) == (4, 1)

    d_month = by_id[str(d)]["month"]
    assert (d_month["left_early"], d_month["deemed_present"], d_month["present"]) == (1, 1, 5)
    assert by_id[str(d)]["deemed_present_at"] == ["鳥取市教育支援センター"]

    e_month = by_id[str(e)]["month"]  # joined on 9 June: counted from that day
    assert (e_month["school_days"], e_month["present"]) == (16, 1)
    assert by_id[str(a)]["year"]["school_days"] >= a_month["school_days"]


def test_a_corrected_mark_shows_its_trail(backend: Backend, ledger: Ledger) -> None:
    (a, *_), _ = _june(ledger)
    day = _register(backend, ledger)["students"][0]["days"]["2026-06-02"]
    assert day["code"] == "suspended"
    assert day["trail"] == [{"code": "absent_illness", "reason": "発熱", "corrected_by": b.STAFF,
                             "corrected_at": day["trail"][0]["corrected_at"], "why": "医師の診断により出席停止",
                             "approved_by": None, "corrected_by_name": "山田 花子"}]  # T-0001 formed the class
    assert _register(backend, ledger)["students"][0]["student_id"] == str(a)


def test_the_board_can_rename_the_excused_column(backend: Backend, ledger: Ledger) -> None:
    _june(ledger)
    assert _register(backend, ledger)["labels"]["excused"] == "出席停止・忌引等の日数"
    ledger.set_board_settings(b.BOARD, {"excused_label": "オンラインを活用した特例の授業・出席停止・忌引等の日数"},
                              effective_on=date(2026, 4, 1), recorded_by="admin")
    assert _register(backend, ledger)["labels"]["excused"] == "オンラインを活用した特例の授業・出席停止・忌引等の日数"


def test_the_register_as_of_the_last_position_equals_todays(backend: Backend, ledger: Ledger) -> None:
    _june(ledger)
    today = _register(backend, ledger)
    replayed = _register(backend, ledger, as_of=ledger.position())
    assert canonical(replayed) == canonical(today)


def test_the_register_sheet_prints_each_childs_marks_in_its_row_shades_days_without_a_mark_and_stars_a_correction(
        backend: Backend, ledger: Ledger) -> None:
    import io

    import pypdf

    from projections.forms import pdf

    _june(ledger)
    form = _register(backend, ledger)
    sheet = pdf.sheet(form)
    days = form["instructional_days"]
    closed = days.index(CLASS_CLOSED.isoformat())
    assert [closed, 0, 4] in sheet["shaded"]  # the class's closed day, down the whole class
    a, c, _, e = sheet["rows"]
    assert a["corrected"] == [days.index("2026-06-02")]
    assert [m for _, m in a["marks"]] == ["チ", "停閉忌出出" + "－" * (len(days) - 6)]  # one script a run
    assert e["marks"][0][0] == days.index("2026-06-09")  # before joining: no mark, shaded
    assert [0, 3, 1] in sheet["shaded"]
    reader = pypdf.PdfReader(io.BytesIO(pdf.render("attendance_register", form)))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text().replace(" ", "").replace("\n", "")
    name = form["students"][0]["name"].replace(" ", "")
    figures = "".join(str(form["students"][0]["month"][k]) for k in (
        "school_days", "excused", "required", "absent", "present", "late", "left_early"))
    assert f"1{name}チ停閉忌出出" in text  # number, name and marks in day order
    assert f"{'－' * (len(days) - 6)}{figures}" in text  # then the month's totals, in the same row
    assert "※" in text
    assert "訂正(原記載→訂正後):2日1番病→停" in text
    assert "※訂正あり(原記載は下欄)" in text
    assert c["marks"][-1][0] < len(days) - 1  # withdrew on the 8th: blank after it
