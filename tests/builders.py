"""Small builders for tests: a school with its calendar, a class, children with plausible identities."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from domain.ledger import Ledger

ELEMENTARY = "B131220000013"
OTHER_ELEMENTARY = "B131220000021"
JUNIOR_HIGH = "C131220000015"
BOARD = "312011"
YEAR = 2026
TERMS = [
    {"number": 1, "starts_on": "2026-04-06", "ends_on": "2026-07-20"},
    {"number": 2, "starts_on": "2026-09-01", "ends_on": "2026-12-24"},
    {"number": 3, "starts_on": "2027-01-07", "ends_on": "2027-03-24"},
]
STAFF = "T-0001"
PRINCIPAL = "P-0001"


def weekdays(start: date, end: date) -> list[date]:
    return [start + timedelta(d) for d in range((end - start).days + 1) if (start + timedelta(d)).weekday() < 5]


SCHOOL_DAYS = (
    weekdays(date(2026, 4, 6), date(2026, 7, 20))
    + weekdays(date(2026, 9, 1), date(2026, 12, 24))
    + weekdays(date(2027, 1, 7), date(2027, 3, 24))
)


def identity(n: int = 0, **overrides: Any) -> dict[str, Any]:
    base = {
        "family_name": "佐藤",
        "given_name": f"陽翔{n}" if n else "陽翔",
        "family_name_kana": "さとう",
        "given_name_kana": "はると",
        "sex": "male" if n % 2 == 0 else "female",
        "birth_date": "2019-06-01",
        "address": "鳥取県鳥取市東町1-220",
        "guardian": {"name": "佐藤 健", "name_kana": "さとう けん", "relation": "父"},
    }
    base.update(overrides)
    return base


def school_with_calendar(ledger: Ledger, code: str = ELEMENTARY, *, closures: list[dict[str, Any]] | None = None,
                         name: str = "鳥取市立みどり小学校") -> None:
    ledger.register_school(code, name, BOARD, "鳥取県鳥取市", recorded_by="admin")
    ledger.appoint_principal(code, PRINCIPAL, "田中 一郎", on=date(2026, 4, 1), recorded_by="admin")
    ledger.set_calendar(code, YEAR, terms=TERMS, instructional_days=SCHOOL_DAYS, closures=closures or [],
                        recorded_by="admin")


def class_with_students(ledger: Ledger, code: str = ELEMENTARY, grade: int = 1, name: str = "1", count: int = 30,
                        *, birth_year: int | None = None) -> list[UUID]:
    ledger.form_class(code, YEAR, grade, name, homeroom_teacher_id=STAFF, homeroom_teacher_name="山田 花子",
                      on=date(2026, 4, 6), recorded_by="admin")
    born = birth_year or (2019 - grade + 1)
    ids = []
    for n in range(1, count + 1):
        receipt = ledger.admit_student(
            code, YEAR, grade, name, n, identity(n, birth_date=f"{born}-06-01"), admitted_on=date(2026, 4, 6),
            admission_kind="entrance" if grade == 1 else "admission",
            reason="" if grade == 1 else "市外からの転居に伴う編入学", recorded_by="registrar",
            different_child=True)  # builders reuse identity(n) in every class: each is another child
        ids.append(receipt.stream_id)
    return ids


def saved_together(ledger: Ledger, first: Callable[[], object], rest: Sequence[Callable[[], object]]) -> list[int]:
    """Runs the write ``first`` and holds its save until every write of ``rest`` is queued behind it,
    so that those are saved together in the next transaction (group commit, ADR 0017). Returns the
    number of events of each save, in order."""
    original, gate, calls = ledger.recorder.insert_events, threading.Event(), []

    def insert_events(stored: Any, **kwargs: Any) -> Any:
        calls.append(len(stored))
        if len(calls) == 1:
            gate.wait(10)
        return original(stored, **kwargs)

    def until(condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 10
        while not condition():
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.005)

    ledger.recorder.insert_events = insert_events  # type: ignore[method-assign]
    try:
        leader = threading.Thread(target=first)
        leader.start()
        until(lambda: len(calls) == 1)  # the first is saving alone
        queued = [threading.Thread(target=write) for write in rest]
        for t in queued:
            t.start()
        until(lambda: len(ledger.group_commit._queue) == len(rest))
        gate.set()
        for t in [leader, *queued]:
            t.join(10)
    finally:
        ledger.recorder.insert_events = original  # type: ignore[method-assign]
    return calls
