"""The 出欠 figures the forms count from the marks in brief (projections/attendance_index.py, one
letter per day, counted a span at a time) == the same figures judged day by day from the full
marks documents of the register, over the generated histories of test_rebuild_properties.py.

The reference below is the register and the 出欠の記録 as they were composed before the brief
existed: every day of the year of every child looked up in the class-months' full entries.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings

from domain.backend import Backend
from projections.attendance_register import calendar_key, month_key
from projections.base import Cutoff, canonical
from projections.enrollment_record import class_key
from projections.forms import Forms
from projections.forms.attendance_arithmetic import FIELDS, tally
from projections.forms.attendance_record import remarks
from projections.forms.attendance_register import DEFAULT_EXCUSED_LABEL, _grade_days
from projections.forms.student_file import StudentFile, place, student_file
from projections.runner import Runner
from tests import builders as b
from tests.projections.test_rebuild_properties import (
    DAYS_2026,
    MONTHS,
    PROPERTY,
    SCHOOL,
    Step,
    World,
    batches,
    class_of,
    fresh_ledger,
    histories,
)


def _on_roll(periods: list[dict[str, Any]], day: str) -> bool:
    return any(p["joined_on"] <= day < p.get("left_on", "9999") for p in periods)


def reference_register(roster_class: dict[str, Any], roster_students: dict[str, dict[str, Any]],
                       calendar: dict[str, Any], months: dict[str, dict[str, Any]], month: str) -> dict[str, Any]:
    """The 出席簿, day by day from the twelve class-months' full marks."""
    grade, class_name = roster_class["grade"], roster_class["class_name"]
    days = _grade_days(calendar, grade)
    closed = {c["on"] for c in calendar["closures"]
              if c["scope"] == "class" and c["grade"] == grade and c["class_name"] == class_name}
    month_days = [d for d in days if d.startswith(month)]
    students = []
    for sid, periods in roster_class["placements"].items():
        on_roll = [d for d in days if _on_roll(periods, d)]
        marks = {d: m for doc in months.values() for d, m in doc["marks"].get(sid, {}).items()}
        codes = {d: m["code"] for d, m in marks.items() if d in set(on_roll)}

        def figures(first: str, last: str, on_roll: list[str] = on_roll, codes: dict[str, str] = codes) -> dict[
                str, int]:
            return tally([d for d in on_roll if first <= d <= last], codes,
                         [d for d in closed if first <= d <= last]).as_dict()

        in_month = [d for d in month_days if _on_roll(periods, d)]
        if not in_month and not any(d.startswith(month) for d in marks):
            continue
        students.append({
            "student_id": sid, "number": periods[-1]["number"],
            **{k: v for k, v in roster_students.get(f"student/{sid}", {}).items() if k in ("name", "name_kana")},
            "days": {d: ("closed" if d in closed else marks.get(d)) for d in in_month},
            "month": figures(f"{month}-01", f"{month}-31"),
            "terms": {str(t["number"]): figures(t["starts_on"], t["ends_on"]) for t in calendar["terms"]},
            "year": figures("0000-00-00", "9999-99-99"),
            "deemed_present_at": sorted({m["facility"] for m in marks.values() if m.get("facility")}),
        })
    students.sort(key=lambda s: (s["number"], s["student_id"]))
    return {"school_code": roster_class["school_code"], "year": roster_class["year"], "grade": grade,
            "class_name": class_name, "month": month, "homeroom_teacher": roster_class["homeroom_teacher"],
            "instructional_days": month_days, "class_closures": sorted(d for d in closed if d.startswith(month)),
            "labels": {"excused": DEFAULT_EXCUSED_LABEL}, "students": students}


def reference_figures(runner: Runner, file: StudentFile, year: int, first: str = "0000-00-00",
                      last: str = "9999-99-99") -> dict[str, Any]:
    """The 出欠の記録 of a school year, day by day from the full marks of the classes the child was in."""
    marks: dict[str, dict[str, Any]] = {}
    for p in file.places(year):
        for m in range(12):
            day = date(year + (m + 3) // 12, (m + 3) % 12 + 1, 1)
            doc = runner.store.get("attendance_register", month_key(p["school_code"], year, p["grade"],
                                                                    p["class_name"], day))
            marks.update((doc or {"marks": {}})["marks"].get(file.student_id, {}))
    total = dict.fromkeys(FIELDS, 0)
    notes: dict[str, int] = {}
    facilities: set[str] = set()
    for p in file.places(year):
        roll, calendar = file.rolls.get(place(p["school_code"], year, p["grade"], p["class_name"])), \
            file.calendars.get(f"{p['school_code']}/{year}")
        if roll is None or calendar is None:
            continue
        periods = roll["placements"].get(file.student_id, [])
        days = [d for d in _grade_days(calendar, p["grade"]) if _on_roll(periods, d) and first <= d <= last]
        shut = {c["on"] for c in calendar["closures"]
                if c["scope"] == "class" and c["grade"] == p["grade"] and c["class_name"] == p["class_name"]}
        for k, v in tally(days, {d: marks[d]["code"] for d in days if d in marks}, shut).as_dict().items():
            total[k] += v
        for d in days:
            if d not in shut and d in marks:
                notes[marks[d]["code"]] = notes.get(marks[d]["code"], 0) + 1
                if marks[d].get("facility"):
                    facilities.add(marks[d]["facility"])
    return {**total, "remarks": remarks(total, notes, sorted(facilities))}


def _counted(node: Any) -> Any:
    """The register without what the forms add by name (the school's name, the staff's names beside
    their ids: projections/forms/staff.py), which the reference below does not compose."""
    if isinstance(node, list):
        return [_counted(v) for v in node]
    if not isinstance(node, dict):
        return node
    return {k: _counted(v) for k, v in node.items() if k != "school_name" and not k.endswith("_by_name")}


def check_counts(runner: Runner, world: World) -> None:
    forms = Forms(runner)
    for year, months in MONTHS.items():
        grade, name = class_of(year)
        klass = runner.store.get("roster", class_key(SCHOOL, year, grade, name))
        calendar = runner.store.get("attendance_register", calendar_key(SCHOOL, year))
        if klass is None or calendar is None:
            continue
        students = runner.store.get_many("roster", [f"student/{sid}" for sid in klass["placements"]])
        firsts = [date(year + (m + 3) // 12, (m + 3) % 12 + 1, 1) for m in range(12)]
        full = {f.isoformat()[:7]: doc for f in firsts
                if (doc := runner.store.get("attendance_register", month_key(SCHOOL, year, grade, name, f)))}
        for month in (*months, f"{year}-05"):
            assert canonical(_counted(forms.attendance_register(SCHOOL, year, grade, name, month) or {})) == \
                canonical(reference_register(klass, students, calendar, full, month)), month
    for sid in world.students:
        file = student_file(runner, sid, Cutoff())
        record = forms.cumulative_record(sid)
        if file is None or record is None:
            continue
        for row in record["form2"]:
            (figures,) = row["attendance"]
            assert {k: v for k, v in figures.items() if k not in ("school_code", "school_name")} == \
                reference_figures(runner, file, row["year"]), (sid, row["year"])
        calendar = file.calendars.get(f"{SCHOOL}/2026")
        for term in (calendar or {}).get("terms", []):
            card = forms.report_card(sid, 2026, term["number"])
            if card is not None:
                assert card["attendance"] == reference_figures(runner, file, 2026, term["starts_on"], term["ends_on"])


# A class closure and a grade closure among the generated histories' days (rolls on them are refused).
CLOSURES = [{"on": DAYS_2026[3].isoformat(), "scope": "class", "grade": 3, "class_name": "1", "reason": "学級閉鎖"},
            {"on": DAYS_2026[6].isoformat(), "scope": "grade", "grade": 3, "reason": "学年閉鎖"}]


def run(backend: Backend, history: list[Step], batch: int) -> None:
    with fresh_ledger(backend) as (ledger, runner, clock):
        b.school_with_calendar(ledger, closures=CLOSURES)
        world = World(ledger, runner, clock, b.class_with_students(ledger, grade=3, count=3))
        for step in history:
            world.run(step.command)
            clock.current += timedelta(seconds=step.advance)
            if step.sync:
                runner.catch_up(batch=batch)
        runner.catch_up(batch=batch)
        check_counts(runner, world)


@settings(PROPERTY, max_examples=20)
@given(history=histories, batch=batches)
def test_the_counted_figures_are_the_figures_judged_day_by_day(tmp_path_factory: pytest.TempPathFactory,
                                                               history: list[Step], batch: int) -> None:
    run(Backend.from_url(f"sqlite:///{tmp_path_factory.mktemp('counted')}/ledger.sqlite3"), history, batch)
