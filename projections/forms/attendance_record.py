"""出欠の記録 of one child: the §3.3 arithmetic over the days the child was on a school's roll.

Used by the 指導要録 (the year, per school), the report card (a term) and the long-absence
figures. Days on the roll come from the class rosters (joined and left days); the instructional
days of the child's grade from the school's calendar; the marks from the child's own year.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from projections.board_settings import leave_days_counted
from projections.enrollment_record import Placement
from projections.forms.attendance_arithmetic import Tally, on_leave, on_roll, tallies
from projections.forms.student_file import StudentFile, place

MARK_LABELS = {"late": "遅刻", "left_early": "早退", "suspended": "出席停止", "mourning": "忌引",
               "online_special": "オンライン特例授業", "other_excused": "校長が認めた日"}


def days_on_roll(file: StudentFile, year: int, school_code: str | None = None) -> list[tuple[Placement, list[str]]]:
    """Per class the child was placed in (at one school), the grade's instructional days on its roll
    that have come (up to ``file.through``)."""
    out = []
    for p in file.places(year):
        if school_code is not None and p["school_code"] != school_code:
            continue
        key = place(p["school_code"], year, p["grade"], p["class_name"])
        roll, calendar = file.rolls.get(key), file.calendars.get(f"{p['school_code']}/{year}")
        if roll is None or calendar is None:
            continue
        periods = roll["placements"].get(file.student_id, [])
        off = {c["on"] for c in calendar["closures"]
               if c["scope"] == "school" or (c["scope"] == "grade" and c["grade"] == p["grade"])}
        # a day not yet come is not counted (ADR 0024): the calendar's days up to the file's day
        days = [d for d in calendar["instructional_days"] if d not in off and d <= file.through]
        out.append((p, on_roll(days, periods) if periods else []))
    return out


def leave_days(file: StudentFile, year: int, p: Placement) -> list[str]:
    """The child's 休学 days from class ``p`` that count in 授業日数: the grade's school days that have come
    (up to ``file.through``) on which the child was on leave from the class and the board of the school
    counted such days by its setting in force that day (ADR 0028; by default none)."""
    key = place(p["school_code"], year, p["grade"], p["class_name"])
    roll, calendar = file.rolls.get(key), file.calendars.get(f"{p['school_code']}/{year}")
    periods = roll["placements"].get(file.student_id, []) if roll else []
    if not periods or calendar is None:
        return []
    off = {c["on"] for c in calendar["closures"]
           if c["scope"] == "school" or (c["scope"] == "grade" and c["grade"] == p["grade"])}
    days = on_leave([d for d in calendar["instructional_days"] if d not in off and d <= file.through], periods)
    board = file.school(p["school_code"]).get("board_code")
    return leave_days_counted(file.boards.get(board) if board else None, days) if days else []


def class_closures(file: StudentFile, year: int, p: Placement) -> set[str]:
    """The days the child's class ``p`` was closed (学級閉鎖)."""
    calendar = file.calendars[f"{p['school_code']}/{year}"]
    return {c["on"] for c in calendar["closures"]
            if c["scope"] == "class" and c["grade"] == p["grade"] and c["class_name"] == p["class_name"]}


def figures(file: StudentFile, year: int, school_code: str | None = None, first: str = "0000-00-00",
            last: str = "9999-99-99") -> dict[str, Any]:
    """The tally (and the 備考 it implies) for the child's days on the roll between two ISO dates."""
    marks = file.attendance.get(year)
    codes: dict[str, str] = marks["codes"] if marks else {}
    facilities: dict[str, str] = marks["facilities"] if marks else {}
    total: dict[str, int] = dict.fromkeys(Tally().as_dict(), 0)
    notes: Counter[str | None] = Counter()
    seen: set[str] = set()
    for p, days in days_on_roll(file, year, school_code):
        closed = class_closures(file, year, p)
        leave = leave_days(file, year, p)
        for k, v in tallies(sorted([*days, *leave]), codes, closed, [(first, last)], leave)[0].as_dict().items():
            total[k] += v
        span = [d for d in days if first <= d <= last and d not in closed]
        notes.update(map(codes.get, span))
        if facilities:
            seen |= {facilities[d] for d in span if d in facilities}
    return {**total, "remarks": remarks(total, {c: notes[c] for c in MARK_LABELS}, sorted(seen))}


def remarks(total: dict[str, int], notes: dict[str, int], facilities: list[str]) -> str:
    """備考: deemed-present days and where, excused days by kind, late and left early (the usual notes)."""
    parts = []
    if total["deemed_present"]:
        parts.append(f"出席扱い{total['deemed_present']}日({'、'.join(facilities)})")
    for code in ("suspended", "mourning", "online_special", "other_excused"):
        if notes.get(code):
            parts.append(f"{MARK_LABELS[code]}{notes[code]}日")
    if total["class_closed"]:
        parts.append(f"学級閉鎖{total['class_closed']}日")
    if total["on_leave"]:
        parts.append(f"休学{total['on_leave']}日")  # counted in 授業日数 by the board's setting (ADR 0028)
    for code in ("late", "left_early"):
        if total[code]:
            parts.append(f"{MARK_LABELS[code]}{total[code]}回")
    if total["unrecorded"]:
        parts.append(f"未記入{total['unrecorded']}日")
    return "、".join(parts)
