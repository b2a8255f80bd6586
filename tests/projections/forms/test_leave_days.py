"""休学 days in the 出欠 totals, by the board's setting (ADR 0028), on SQLite and PostgreSQL.

domain-japan.md is silent on 休学 in 授業日数; §2.4 counts a child's 授業日数 over the days on the roll
("transfer-out: to the day of leaving; transfer-in: from the day of entry"), so by default the days
of a leave are off the roll and counted nowhere. A board may instead count them in 授業日数 among
出席停止・忌引等 (``leave_days: "excused"``): 出席しなければならない日数 is then the same, and every row
still adds up. Every figure below is counted by hand over b.SCHOOL_DAYS (the weekdays of the terms).

The child: class 3-1 of school A (board 312011), with a classmate. Read on Friday 1 May 2026:
the year's school days so far are 6–10, 13–17, 20–24, 27–30 April and 1 May = 5 + 5 + 5 + 4 + 1 = 20.
The child is on 休学 from Monday 13 April and back on Monday 27 April: 13–17 and 20–24 April,
10 school days. Every day on the roll is marked present (6–10 April and 27 April – 1 May: 10 days).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import msgspec

from domain.backend import Backend
from domain.ledger import Ledger
from projections import runner_for
from projections.base import Cutoff
from projections.forms import Forms, html
from tests import builders as b

SCHOOL, YEAR = b.ELEMENTARY, b.YEAR
MAY_1 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)  # 18:00 in Japan, Friday 1 May 2026
LEAVE_FROM, BACK_ON = date(2026, 4, 13), date(2026, 4, 27)
FIGURES = ("school_days", "excused", "required", "absent", "present", "unrecorded", "on_leave")


def on_leave_for_ten_days(ledger: Ledger, school: str = SCHOOL) -> UUID:
    a, c = b.class_with_students(ledger, school, grade=3, count=2)
    ledger.begin_leave(a, on=LEAVE_FROM, reason="長期療養のため", recorded_by=b.PRINCIPAL)
    ledger.end_leave(a, on=BACK_ON, recorded_by=b.PRINCIPAL)
    for day in b.weekdays(date(2026, 4, 6), date(2026, 5, 1)):
        on_roll = day < LEAVE_FROM or day >= BACK_ON
        marks = [(a, {"code": "present"})] if on_roll else []
        ledger.record_roll(school, YEAR, 3, "1", on=day, marks=[*marks, (c, {"code": "present"})],
                           recorded_by=b.STAFF)
    return a


def forms(backend: Backend, ledger: Ledger, **kwargs: Any) -> Forms:
    runner = runner_for(ledger, backend)
    runner.catch_up()
    return Forms(runner, clock=lambda: MAY_1, **kwargs)


def record_row(f: Forms, sid: UUID, as_of: Cutoff | None = None) -> dict[str, Any]:
    record = f.cumulative_record(sid, **({"as_of": as_of} if as_of else {}))
    assert record is not None
    (row,) = [r for y in record["form2"] if y["year"] == YEAR for r in y["attendance"]]
    return row


def counted(doc: dict[str, Any]) -> tuple[int, ...]:
    return tuple(doc[k] for k in FIGURES)


def excused_from(ledger: Ledger, day: date, board: str = b.BOARD) -> int:
    receipt = ledger.set_board_settings(board, {"leave_days": "excused"}, effective_on=day, recorded_by="E-0001")
    assert receipt is not None
    return receipt.position


def test_by_default_the_days_of_a_leave_are_off_the_roll_and_not_in_school_days(backend: Backend,
                                                                                ledger: Ledger) -> None:
    """授業日数 20 − 10 days of leave = 10; present 10; nothing excused, nothing unrecorded."""
    b.school_with_calendar(ledger)
    a = on_leave_for_ten_days(ledger)
    f = forms(backend, ledger)
    row = record_row(f, a)
    assert counted(row) == (10, 0, 10, 0, 10, 0, 0)
    assert "休学" not in row["remarks"]
    register = f.attendance_register(SCHOOL, YEAR, 3, "1", "2026-04")
    assert register is not None
    (mine,) = [s for s in register["students"] if s["student_id"] == str(a)]
    # April: 19 school days, 10 of them on leave: 9 on the roll (6–10, 27–30 April)
    assert counted(mine["month"]) == (9, 0, 9, 0, 9, 0, 0)
    assert counted(mine["year"]) == counted(mine["terms"]["1"]) == (10, 0, 10, 0, 10, 0, 0)
    assert "2026-04-13" not in mine["days"]


def test_a_board_that_counts_leave_days_puts_them_in_school_days_among_the_excused(backend: Backend,
                                                                                  ledger: Ledger) -> None:
    """From 1 April: 授業日数 20; 出席停止・忌引等 10 (all of them 休学); required 20 − 10 = 10 (the same as by
    default); present 10; 欠席 0; 未記入 0: the row adds up. The register's April: 19 days, 10 excused, 9
    required and present; the grid shows each leave day."""
    b.school_with_calendar(ledger)
    a = on_leave_for_ten_days(ledger)
    excused_from(ledger, date(2026, 4, 1))
    f = forms(backend, ledger)
    row = record_row(f, a)
    assert counted(row) == (20, 10, 10, 0, 10, 0, 10)
    assert "休学10日" in row["remarks"]
    card = f.report_card(a, YEAR, 1)
    assert card is not None
    assert counted(card["attendance"]) == (20, 10, 10, 0, 10, 0, 10)
    register = f.attendance_register(SCHOOL, YEAR, 3, "1", "2026-04")
    assert register is not None
    (mine,) = [s for s in register["students"] if s["student_id"] == str(a)]
    assert counted(mine["month"]) == (19, 10, 9, 0, 9, 0, 10)
    assert counted(mine["year"]) == counted(mine["terms"]["1"]) == (20, 10, 10, 0, 10, 0, 10)
    assert [d for d, e in mine["days"].items() if e == "on_leave"] == [
        d.isoformat() for d in b.weekdays(LEAVE_FROM, date(2026, 4, 24))]
    page = html.render("attendance_register", register)
    assert page.count(">休</td>") == 10


def test_a_change_mid_year_counts_the_days_before_it_the_old_way(backend: Backend, ledger: Ledger) -> None:
    """Excused from Monday 20 April: the leave days 13–17 April (5) stay off the roll, 20–24 April (5)
    count. 授業日数 20 − 5 = 15; excused 5; required 10; present 10."""
    b.school_with_calendar(ledger)
    a = on_leave_for_ten_days(ledger)
    excused_from(ledger, date(2026, 4, 20))
    row = record_row(forms(backend, ledger), a)
    assert counted(row) == (15, 5, 10, 0, 10, 0, 5)


def test_another_boards_setting_does_not_count_this_boards_leave_days(backend: Backend, ledger: Ledger) -> None:
    """Board 322016 counts leave days; school A is of board 312011, which does not: 10 days, as by default."""
    b.school_with_calendar(ledger)
    a = on_leave_for_ten_days(ledger)
    excused_from(ledger, date(2026, 4, 1), board="322016")
    assert counted(record_row(forms(backend, ledger), a)) == (10, 0, 10, 0, 10, 0, 0)


def test_a_child_who_withdraws_while_on_leave_counts_the_leave_to_the_withdrawal_day(backend: Backend,
                                                                                     ledger: Ledger) -> None:
    """On leave from 13 April, withdrawn on Friday 24 April without coming back (退学: the child is a pupil
    through that day, ADR 0024). Excused: 6–10 April on the roll (5) + 13–24 April on leave (10) = 15;
    required 5; present 5. By default: 5 school days."""
    b.school_with_calendar(ledger)
    a, c = b.class_with_students(ledger, grade=3, count=2)
    ledger.begin_leave(a, on=LEAVE_FROM, reason="長期療養のため", recorded_by=b.PRINCIPAL)
    ledger.withdraw(a, on=date(2026, 4, 24), reason="海外転出のため", recorded_by=b.PRINCIPAL)
    for day in b.weekdays(date(2026, 4, 6), date(2026, 4, 10)):
        ledger.record_roll(SCHOOL, YEAR, 3, "1", on=day, marks=[(a, {"code": "present"}), (c, {"code": "present"})],
                           recorded_by=b.STAFF)
    assert counted(record_row(forms(backend, ledger), a)) == (5, 0, 5, 0, 5, 0, 0)
    excused_from(ledger, date(2026, 4, 1))
    assert counted(record_row(forms(backend, ledger), a)) == (15, 10, 5, 0, 5, 0, 10)


def test_a_form_as_of_a_past_point_counts_by_the_setting_known_then_byte_for_byte(backend: Backend,
                                                                                 ledger: Ledger) -> None:
    """As of the position before the board's change: the default (10 days); as of the change: 20 days.
    Each read as of a position gives the same bytes after a later change and after a rebuild."""
    b.school_with_calendar(ledger)
    a = on_leave_for_ten_days(ledger)
    before = ledger.position()
    changed = excused_from(ledger, date(2026, 4, 1))
    f = forms(backend, ledger)
    then = {p: msgspec.json.encode(f.cumulative_record(a, as_of=Cutoff(position=p)), order="sorted")
            for p in (before, changed)}
    assert counted(record_row(f, a, Cutoff(position=before))) == (10, 0, 10, 0, 10, 0, 0)
    assert counted(record_row(f, a, Cutoff(position=changed))) == (20, 10, 10, 0, 10, 0, 10)
    register_then = f.attendance_register(SCHOOL, YEAR, 3, "1", "2026-04", as_of=before)
    assert register_then is not None
    (mine,) = [s for s in register_then["students"] if s["student_id"] == str(a)]
    assert counted(mine["year"]) == (10, 0, 10, 0, 10, 0, 0)
    ledger.set_board_settings(b.BOARD, {"leave_days": "excluded"}, effective_on=date(2026, 4, 20),
                              recorded_by="E-0001")
    f = forms(backend, ledger)
    assert counted(record_row(f, a)) == (15, 5, 10, 0, 10, 0, 5)  # 13–17 April counted, from the 20th not
    f.runner.rebuild()
    replayed = runner_for(ledger, backend)
    replayed.reuse_read_models = False  # every document replayed from the events, none taken from the read model
    for runner in (f.runner, replayed):
        again = Forms(runner, clock=lambda: MAY_1)
        for p, bytes_then in then.items():
            assert msgspec.json.encode(again.cumulative_record(a, as_of=Cutoff(position=p)), order="sorted") \
                == bytes_then


def test_a_form_as_it_stood_on_a_day_counts_the_setting_in_force_by_then(backend: Backend, ledger: Ledger) -> None:
    """on=2026-04-24 with the change taking effect on 20 April: 6–24 April is 15 school days; the leave days
    20–24 April (5) count, 13–17 April do not: 授業日数 10, excused 5, required 5, present 5."""
    ledger.clock.current = datetime(2026, 4, 5, 23, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    b.school_with_calendar(ledger)  # the school and its calendar recorded the morning of 6 April (Japan)
    ledger.clock.current = MAY_1  # type: ignore[attr-defined]
    a = on_leave_for_ten_days(ledger)
    excused_from(ledger, date(2026, 4, 20))
    row = record_row(forms(backend, ledger), a, Cutoff(on=date(2026, 4, 24)))
    assert counted(row) == (10, 5, 5, 0, 5, 0, 5)
