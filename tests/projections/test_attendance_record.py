"""出欠の記録 on the day a child leaves (ADR 0024), on SQLite and PostgreSQL.

Each kind of leaving, counted by hand over a small calendar: the school year 2026's first term
(reference §2.4: "Transfer-out: count to the day of leaving"; §1.4: the day the child left is a day
at the sending school; §2.1 rows 6–7: 退学 is dated the day the 校長 approved it, 卒業 the day the
校長 certified it — the child is a pupil of the school through that day).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain.backend import Backend
from domain.ledger import Ledger
from projections import runner_for
from projections.forms import Forms
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
