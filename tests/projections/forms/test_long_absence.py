"""長期欠席 and the 施行令 §20 notice over a child's whole year (reference §3.3), on SQLite and PostgreSQL.

Every expected figure is counted by hand from the calendar of tests/builders.py (the weekdays of
the three terms from Monday 6 April 2026).
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

YEAR = b.YEAR
A, B = b.ELEMENTARY, b.OTHER_ELEMENTARY
PRESENT, OTHER = {"code": "present"}, {"code": "absent_other", "reason": "登校しぶり"}


def forms(backend: Backend, ledger: Ledger) -> Forms:
    runner = runner_for(ledger, backend)
    runner.catch_up()
    return Forms(runner)


def roll(ledger: Ledger, code: str, day: date, marks: dict[UUID, dict[str, Any]]) -> None:
    ledger.record_roll(code, YEAR, 3, "1", on=day, marks=list(marks.items()), recorded_by=b.STAFF)


def three_of_four(days: list[date]) -> list[dict[str, Any]]:
    """Absent (事故) three school days, present the fourth, over and over: never seven in a row."""
    return [OTHER if i % 4 != 3 else PRESENT for i in range(len(days))]


def test_forty_days_absent_without_good_reason_are_listed_and_counted_to_notify(backend: Backend,
                                                                                 ledger: Ledger) -> None:
    """§3.3 / 施行令 §20 (出席状況が良好でない): the first 53 school days, absent (事故) on every day but
    each fourth (days 4, 8, …, 52: 13 present) → 53 − 13 = 40 absent, never more than 3 in a row.
    Listed as 長期欠席, and counted among the children to notify: 1 and 1."""
    b.school_with_calendar(ledger)
    a, c = b.class_with_students(ledger, grade=3, count=2)
    days = b.SCHOOL_DAYS[:53]
    for day, mark in zip(days, three_of_four(days), strict=True):
        roll(ledger, A, day, {a: mark, c: PRESENT})
    report = forms(backend, ledger).long_absence(A, YEAR)
    (row,) = report["students"]
    assert (row["absent"], row["long_absence"], row["runs_of_seven"], row["notice_due"]) == (40, True, [], True)
    assert (report["long_absence_count"], report["notice_due_count"]) == (1, 1)
    assert report["notice_due_count"] == sum(1 for r in report["students"] if r["notice_due"])


def test_a_childs_absences_at_every_school_of_the_year_count_toward_long_absence(backend: Backend,
                                                                                  ledger: Ledger) -> None:
    """§3.3: 30 days in the school year, wherever. At A the first 20 school days (6 April – 1 May:
    19 weekdays of April from the 6th, and Friday 1 May), absent three of each four: 15. Left A on
    1 May, accepted at B on Monday 4 May; there the next 20 school days, the same way: 15. The year:
    15 + 15 = 30 → 長期欠席 on B's list, with 30 欠席(事故). A, which the child left, reads the child
    as they stood when custody passed (ADR 0019): its 15 days alone, on no list."""
    b.school_with_calendar(ledger)
    b.school_with_calendar(ledger, B, name="鳥取市立あおば小学校")
    a, c = b.class_with_students(ledger, grade=3, count=2)
    ledger.form_class(B, YEAR, 3, "1", homeroom_teacher_id="T-0009", homeroom_teacher_name="森 一",
                      on=date(2026, 4, 6), recorded_by="admin")
    at_a, at_b = b.SCHOOL_DAYS[:20], b.SCHOOL_DAYS[20:40]
    assert (at_a[-1], at_b[0]) == (date(2026, 5, 1), date(2026, 5, 4))
    for day, mark in zip(at_a, three_of_four(at_a), strict=True):
        roll(ledger, A, day, {a: mark, c: PRESENT})
    ledger.hand_over(a, kind="transfer", to_school=B, left_on=at_a[-1], accepted_on=at_b[0], year=YEAR, grade=3,
                     reason="転居", class_name="1", number=1, recorded_by="registrar")
    for day, mark in zip(at_b, three_of_four(at_b), strict=True):
        roll(ledger, B, day, {a: mark})
    f = forms(backend, ledger)
    report = f.long_absence(B, YEAR)
    (row,) = report["students"]
    assert (row["absent"], row["absent_by_reason"], row["long_absence"]) == (
        30, {"absent_illness": 0, "absent_other": 30}, True)
    assert (report["long_absence_count"], report["notice_due_count"]) == (1, 1)
    left = f.long_absence(A, YEAR)
    assert (left["students"], left["long_absence_count"], left["notice_due_count"]) == ([], 0, 0)
