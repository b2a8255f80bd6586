"""The bench's two layouts of one dataset (bench/dataset.py): the same events, in another order.

The interleaved layout is the one a real log has (every class marked every morning, assessments
between the rolls); the rebuild figures of both are compared in docs/benchmarks.md.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

from bench.config import SCALES
from bench.dataset import Seeder, seeding_clock
from domain.attendance import AttendanceMarked
from domain.backend import Backend
from domain.event import Event
from domain.ledger import Ledger
from migrations.apply import apply

SCALE = replace(SCALES["tiny"], students=120, rolled_classes=2, roll_days=12, hot_classes=1, six_year_days=2)


def seeded(tmp_path: Path, layout: str) -> tuple[Ledger, list[Event]]:
    backend = Backend.from_url(f"sqlite:///{tmp_path}/{layout}.sqlite3")
    apply(backend)
    ledger = Ledger.open(backend, clock=seeding_clock())
    Seeder(ledger, SCALE, progress=lambda _: None, layout=layout).seed("-")
    page = ledger.recorder.select_notifications(start=0, limit=1_000_000)
    return ledger, [ledger.decode(n) for n in page]


def test_both_layouts_hold_the_same_kinds_of_events_and_the_interleaved_one_marks_every_class_each_morning(
        tmp_path: Path) -> None:
    by_class, old = seeded(tmp_path, "by_class")
    interleaved, new = seeded(tmp_path, "interleaved")
    try:
        assert Counter(type(e).__name__ for e in old) == Counter(type(e).__name__ for e in new)

        def days_in_order(events: list[Event]) -> list[tuple[date, int, str]]:
            """The (day, class) of each roll in log order, one entry per roll."""
            rolls: list[tuple[date, int, str]] = []
            for e in events:
                if isinstance(e, AttendanceMarked) and e.effective_on.year == 2026 and e.school_code.endswith(
                        "00000013"):
                    key = (e.effective_on, e.grade, e.class_name)
                    if not rolls or rolls[-1] != key:
                        rolls.append(key)
            return rolls

        old_rolls, new_rolls = days_in_order(old), days_in_order(new)
        assert sorted(old_rolls) == sorted(new_rolls)
        assert [day for day, *_ in new_rolls] == sorted(day for day, *_ in new_rolls)  # morning after morning
        assert [day for day, *_ in old_rolls] != sorted(day for day, *_ in old_rolls)  # class after class
    finally:
        by_class.close()
        interleaved.close()
