"""Reading the forms: from today's read models, or replayed from the log as known at a position."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from domain import streams
from projections.attendance_register import DEFAULT_EXCUSED_LABEL, calendar_key, compose, month_key
from projections.base import Document
from projections.roster import roster
from projections.runner import Runner


class Forms:
    def __init__(self, runner: Runner, excused_labels: dict[str, str] | None = None) -> None:
        self.runner = runner
        self.excused_labels = excused_labels or {}  # by board code: the 2021 MEXT renaming

    def _getter(self, as_of: int | None) -> Callable[[str, str], Document | None]:
        if as_of is None:
            return self.runner.store.get
        return lambda name, key: self.runner.replay(name, key, as_of)

    def roster(self, school: str, year: int, grade: int, class_name: str, on: date | None = None) -> Document | None:
        return roster(self.runner.store, school, year, grade, class_name, on)

    def attendance_register(self, school: str, year: int, grade: int, class_name: str, month: str, *,
                            board: str | None = None, as_of: int | None = None) -> Document | None:
        """出席簿 of a class for a month (YYYY-MM), with term and year totals."""
        get = self._getter(as_of)
        klass = get("roster", f"class/{streams.school_class(school, year, grade, class_name)}")
        calendar = get("attendance_register", calendar_key(school, year))
        if klass is None or calendar is None:
            return None
        students = {f"student/{sid}": doc for sid in klass["placements"]
                    if (doc := get("roster", f"student/{sid}")) is not None}
        months = {}
        for m in range(12):
            first = date(year + (m + 3) // 12, (m + 3) % 12 + 1, 1)
            doc = get("attendance_register", month_key(school, year, grade, class_name, first))
            if doc is not None:
                months[first.isoformat()[:7]] = doc
        label = self.excused_labels.get(board or "", DEFAULT_EXCUSED_LABEL)
        return compose(klass, students, calendar, months, month, excused_label=label)
