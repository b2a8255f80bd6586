"""出欠の記録 on the day a child leaves (ADR 0024), on SQLite and PostgreSQL.

Each kind of leaving, counted by hand over a small calendar: the school year 2026's first term
(reference §2.4: "Transfer-out: count to the day of leaving"; §1.4: the day the child left is a day
at the sending school; §2.1 rows 6–7: 退学 is dated the day the 校長 approved it, 卒業 the day the
校長 certified it — the child is a pupil of the school through that day).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from domain.backend import Backend
from domain.ledger import Ledger
from projections import runner_for
from projections.base import Cutoff
from projections.forms import Forms, html
from tests import builders as b

SCHOOL, YEAR = b.ELEMENTARY, b.YEAR
PRESENT = {"code": "present"}
# The first school days of April 2026 (Mon 6 – Fri 10, Mon 13 – Fri 17): ten days, counted by hand.
APRIL = [date(2026, 4, d) for d in (6, 7, 8, 9, 10, 13, 14, 15, 16, 17)]


def forms(backend: Backend, ledger: Ledger) -> Forms:
    runner = runner_for(ledger, backend)
    runner.catch_up()
    return Forms(runner)


def attendance(f: Forms, sid: UUID, school: str = SCHOOL) -> dict[str, Any]:
    record = f.cumulative_record(sid)
    assert record is not None
    rows = [r for y in record["form2"] if y["year"] == YEAR for r in y["attendance"]]
    (row,) = [r for r in rows if r["school_code"] == school]
    return row


def roll(ledger: Ledger, day: date, marks: dict[UUID, dict[str, Any]], grade: int, code: str = SCHOOL) -> None:
    ledger.record_roll(code, YEAR, grade, "1", on=day, marks=list(marks.items()), recorded_by=b.STAFF)


def test_the_day_of_a_withdrawal_is_counted_and_its_mark_kept(backend: Backend, ledger: Ledger) -> None:
    """§2.1 row 6, §2.4: withdrawn (退学) on Friday 10 April, approved that day after the child came
    to school. School days on the roll: 6, 7, 8, 9, 10 April = 5; present all 5 (the 10th's mark too)."""
    b.school_with_calendar(ledger)
    a, c = b.class_with_students(ledger, grade=3, count=2)
    ledger.withdraw(a, on=APRIL[4], reason="海外の学校へ", recorded_by=b.PRINCIPAL)
    for day in APRIL[:5]:
        roll(ledger, day, {a: PRESENT, c: PRESENT}, grade=3)
    row = attendance(forms(backend, ledger), a)
    assert (row["school_days"], row["required"], row["present"], row["absent"]) == (5, 5, 5, 0)


def test_the_graduation_day_is_counted_and_its_mark_kept(backend: Backend, ledger: Ledger) -> None:
    """§2.1 row 7: 卒業 certified on Wednesday 24 March 2027, the last school day of the year (the
    卒業式). The 214 school days of the year (b.SCHOOL_DAYS: the weekdays of the three terms,
    6 Apr–20 Jul 76, 1 Sep–24 Dec 83, 7 Jan–24 Mar 55) — all of them, the graduation day included."""
    b.school_with_calendar(ledger)
    (a,) = b.class_with_students(ledger, grade=6, count=1)
    last = date(2027, 3, 24)
    assert last == b.SCHOOL_DAYS[-1]
    ledger.graduate(a, on=last, recorded_by=b.PRINCIPAL)
    roll(ledger, last, {a: PRESENT}, grade=6)
    row = attendance(forms(backend, ledger), a)
    assert (row["school_days"], row["present"]) == (len(b.SCHOOL_DAYS), 1) == (214, 1)


def test_a_transfer_counts_at_the_sending_school_to_the_day_the_child_left(backend: Backend,
                                                                         ledger: Ledger) -> None:
    """§1.4, §2.4: left the sending school on Wednesday 8 April, accepted on Monday 13 April. Sending
    school: 6, 7, 8 April = 3 days. Receiving school: from 13 April, 13–17 April = 5 days (the days
    between, 9 and 10 April, belong to neither roll)."""
    b.school_with_calendar(ledger)
    b.school_with_calendar(ledger, b.OTHER_ELEMENTARY, name="鳥取市立あおば小学校")
    a, c = b.class_with_students(ledger, grade=3, count=2)
    ledger.form_class(b.OTHER_ELEMENTARY, YEAR, 3, "1", homeroom_teacher_id="T-0009", homeroom_teacher_name="森 一",
                      on=date(2026, 4, 6), recorded_by="admin")
    for day in APRIL[:3]:
        roll(ledger, day, {a: PRESENT, c: PRESENT}, grade=3)
    ledger.hand_over(a, kind="transfer", to_school=b.OTHER_ELEMENTARY, left_on=APRIL[2], accepted_on=APRIL[5],
                     year=YEAR, grade=3, reason="転居", class_name="1", number=1, recorded_by="registrar")
    for day in APRIL[5:]:
        roll(ledger, day, {a: PRESENT}, grade=3, code=b.OTHER_ELEMENTARY)
    f = forms(backend, ledger)
    sending = attendance(f, a, SCHOOL)
    assert (sending["school_days"], sending["present"]) == (3, 3)
    receiving = attendance(f, a, b.OTHER_ELEMENTARY)
    # Every school day from 13 April: the 214 weekdays of the three terms less the five of 6–10 April.
    assert receiving["school_days"] == len(b.SCHOOL_DAYS) - 5 == 209
    assert receiving["present"] == 5


def test_a_transfer_out_of_the_ledger_counts_to_the_day_the_child_left(backend: Backend, ledger: Ledger) -> None:
    """§1.4: to a school outside the ledger; left on Thursday 9 April. 6, 7, 8, 9 April = 4 days."""
    b.school_with_calendar(ledger)
    a, c = b.class_with_students(ledger, grade=3, count=2)
    for day in APRIL[:4]:
        roll(ledger, day, {a: PRESENT, c: PRESENT}, grade=3)
    ledger.hand_over(a, kind="transfer", to_school="B127220000017", left_on=APRIL[3], accepted_on=APRIL[5],
                     year=YEAR, grade=3, reason="転居", external=True, to_school_name="千葉市立さくら小学校",
                     recorded_by="registrar")
    row = attendance(forms(backend, ledger), a)
    assert (row["school_days"], row["present"]) == (4, 4)


# ---------------------------------------------------------------- days not yet come (ADR 0024)

FIGURES = ("school_days", "excused", "required", "absent", "present", "unrecorded")
# Rolls of Monday 6 – Thursday 9 April; none on Friday 10 or Monday 13 April yet.
# Child a: 出席, 出席, 欠席(病気), 忌引; child c: present every day.
MARKS_OF_A = [PRESENT, PRESENT, {"code": "absent_illness"}, {"code": "mourning", "reason": "祖母の葬儀"}]
MONDAY_13 = datetime(2026, 4, 13, 1, 0, tzinfo=UTC)  # 10:00 in Japan, Monday 13 April


def first_days(ledger: Ledger, rolled_at: datetime | None = None) -> tuple[UUID, UUID]:
    """The school, a class of two, and the rolls of 6-9 April; ``rolled_at``: the moment the rolls are
    recorded, the school and class then recorded the morning of 6 April (Japan), when the year began."""
    if rolled_at is not None:
        ledger.clock.current = datetime(2026, 4, 5, 23, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    b.school_with_calendar(ledger)
    a, c = b.class_with_students(ledger, grade=3, count=2)
    if rolled_at is not None:
        ledger.clock.current = rolled_at  # type: ignore[attr-defined]
    for day, mark in zip(APRIL[:4], MARKS_OF_A, strict=True):
        roll(ledger, day, {a: mark, c: PRESENT}, grade=3)
    return a, c


def clocked(backend: Backend, ledger: Ledger, moment: datetime) -> Forms:
    runner = runner_for(ledger, backend)
    runner.catch_up()
    return Forms(runner, clock=lambda: moment)


def counted(doc: dict[str, Any]) -> tuple[int, ...]:
    return tuple(doc[k] for k in FIGURES)


def test_the_cumulative_record_counts_school_days_up_to_today_with_the_unmarked_as_unrecorded(
        backend: Backend, ledger: Ledger) -> None:
    """§2.4: on Monday 13 April the year has had 6 school days (6, 7, 8, 9, 10, 13 April), not the
    214 of the calendar. a: 忌引 1 → required 6 − 1 = 5; 欠席 1; no mark on the 10th and the 13th:
    未記入 2; 出席 = 5 − 1 − 2 = 2 (the 6th and 7th)."""
    a, _ = first_days(ledger)
    f = clocked(backend, ledger, MONDAY_13)
    row = attendance(f, a)
    assert counted(row) == (6, 1, 5, 1, 2, 2)
    assert row["required"] == row["school_days"] - row["excused"]
    assert row["present"] == row["required"] - row["absent"] - row["unrecorded"]
    assert "未記入2日" in row["remarks"]
    card = f.report_card(a, YEAR, 1)
    assert card is not None
    assert counted(card["attendance"]) == (6, 1, 5, 1, 2, 2)  # term 1 so far: the same six days


def test_a_past_date_or_time_counts_the_school_days_up_to_that_date(backend: Backend, ledger: Ledger) -> None:
    """as_of a time: the schools' date (JST) at that moment. 23:30 UTC on 8 April is 08:30 on
    Thursday 9 April in Japan: school days 6, 7, 8, 9 = 4; 忌引 1, required 3, 欠席 1, 出席 2,
    未記入 0. on=7 April: 6 and 7 April = 2 days, both present."""
    # the rolls recorded on the morning of 9 April in Japan, before the moment read as of below
    a, _ = first_days(ledger, rolled_at=datetime(2026, 4, 8, 23, 0, tzinfo=UTC))
    f = clocked(backend, ledger, MONDAY_13)
    at = f.cumulative_record(a, as_of=Cutoff(at=datetime(2026, 4, 8, 23, 30, tzinfo=UTC)))
    assert at is not None
    (row,) = [r for y in at["form2"] if y["year"] == YEAR for r in y["attendance"]]
    assert counted(row) == (4, 1, 3, 1, 2, 0)
    on = f.cumulative_record(a, as_of=Cutoff(on=date(2026, 4, 7)))
    assert on is not None
    (row,) = [r for y in on["form2"] if y["year"] == YEAR for r in y["attendance"]]
    assert counted(row) == (2, 0, 2, 0, 2, 0)


def test_the_register_totals_count_up_to_today_and_show_the_unrecorded(backend: Backend, ledger: Ledger) -> None:
    """出席簿 of April 2026 read on Monday 13 April: the month, term 1 and the year each count the six
    school days so far (the same figures as the 指導要録 above); the grid still lists every school day
    of April (20 weekdays from the 6th: 6–10, 13–17, 20–24, 27–30 = 5 + 5 + 5 + 4 = 19)."""
    a, c = first_days(ledger)
    doc = clocked(backend, ledger, MONDAY_13).attendance_register(SCHOOL, YEAR, 3, "1", "2026-04")
    assert doc is not None
    assert len(doc["instructional_days"]) == 19
    by_id = {s["student_id"]: s for s in doc["students"]}
    mine = by_id[str(a)]
    for figures in (mine["month"], mine["terms"]["1"], mine["year"]):
        assert counted(figures) == (6, 1, 5, 1, 2, 2)
    assert counted(by_id[str(c)]["year"]) == (6, 0, 6, 0, 4, 2)
    assert mine["terms"]["2"]["school_days"] == 0  # the second term has not begun
    page = html.render("attendance_register", doc)
    totals = page.split('id="totals"', 1)[1].split("</table>", 1)[0]
    assert totals.count("未記入") == 4  # a column in each of the three terms and the year


def test_the_printed_record_and_report_card_show_the_unrecorded_days(backend: Backend, ledger: Ledger) -> None:
    """The 出欠 tables of the printed 指導要録 and 通知表 have a 未記入 column: each row adds up."""
    a, _ = first_days(ledger)
    f = clocked(backend, ledger, MONDAY_13)
    record, card = f.cumulative_record(a), f.report_card(a, YEAR, 1)
    assert record is not None
    assert card is not None
    for form, doc, table in (("cumulative_record", record, 'id="attendance"'),
                             ("report_card", card, 'id="attendance"')):
        part = html.render(form, doc).split(table, 1)[1].split("</table>", 1)[0]
        assert "未記入" in part
        if form == "cumulative_record":  # a row per grade: the child's grade's row
            part = part.split(f'<th class="grade">第{doc["form2"][0]["grade"]}学年</th>', 1)[1].split("</tr>", 1)[0]
        cells = [c.rsplit(">", 1)[1] for c in part.split("</td>")[:-1]]
        first = 1 if form == "cumulative_record" else 0  # the record's row begins with the school
        assert cells[first:first + 6] == ["6", "1", "5", "1", "2", "2"], (form, cells)
