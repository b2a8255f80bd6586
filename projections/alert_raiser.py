"""The alert process (ADR 0042): follows the log like the projections and raises ``AlertRaised`` events.

It runs in the projections' poller (``Runner.poll``: the server's thread on the embedded default,
`gakuseki projections run` beside a PostgreSQL server), never in a write's path: a roll is saved
and answered without waiting for it. It keeps its own tracking position (``alert_raiser`` in
projection_tracking, shown on /health like a read model's) and reads the log only up to where every
read model stands, because it judges each child from the forms' documents (the same runs and the
same 出欠 arithmetic as the long-absence list: projections/forms/long_absence.py).

What makes a child worth judging again is an absence: a mark or a correction to 欠席 (a present mark
crosses no rule), or a change of the school year's calendar (its closures). For each such child and
school year it looks at the year as it stands:

- ``absence-run``: school days absent in a row, ``alert_absence_run_days`` of the board (3);
- ``notice-run``: school days absent in a row not all for illness, ``alert_notice_run_days`` (施行令 §20: 7);
- ``long-absence``: days absent in the year at every school of it, ``alert_long_absence_days`` (30);

each threshold the one in force, by the board of the school, on the day that reached it; the alert
belongs to the school and class that held the child that day. A run is one crossing, named by its
first day: a fourth day of a three-day run raises nothing, a later run raises again, and a run that a
correction lengthens backwards to overlap one already raised is that one. Thirty days cross once a year.

The health examination (学校保健安全法施行規則 §5: by 30 June) is judged by the passage of time, not by an
event: on each round, once the day in Japan is 1 July or later, every child on a class roll of a school
on 30 June with no examination dated on or before it gets a ``health-exam-overdue`` alert (effective
1 July). The years swept are kept in a document of the process's own, so a sweep runs once per year.

Exactly once: every crossing is a stream of its own (``streams.alert``), so a second raise of it (a
second process, a restart after a crash, the process reading the log again from the start) is refused
by the store and records nothing.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from datetime import date
from typing import Any
from uuid import UUID

from domain import alerts as rules
from domain import school_year as school_years
from domain.attendance import ABSENT, AttendanceCorrected, AttendanceMarked
from domain.board import DEFAULTS
from domain.event import TOPIC_PREFIX
from domain.school import ClassFormed, SchoolCalendarSet
from projections.alerts import NAME as ALERTS
from projections.alerts import alerts_key
from projections.attendance_index import school_prefix
from projections.base import NOW
from projections.board_settings import board_key, setting_on
from projections.enrollment_record import class_key
from projections.forms import Forms
from projections.forms.long_absence import AbsenceDays, absence_days
from projections.forms.student_file import StudentFile, health_key
from projections.runner import Runner
from projections.store import StaleUpdate

log = logging.getLogger("gakuseki.alerts")

NAME = "alert_raiser"  # its row in projection_tracking
VERSION = 1
PAGE = 2000
SWEEPS = "health-exam-sweeps"  # its document: the school years whose 30 June has been swept
TOPICS = ("AttendanceMarked", "AttendanceCorrected", "SchoolCalendarSet")
HEALTH_DUE = (6, 30)  # 施行規則 §5: the examinations of a school year by 30 June


def health_due(year: int) -> date:
    return date(year, *HEALTH_DUE)


class AlertRaiser:
    """Raises the alerts of one ledger from its log and its read models (kept by ``runner``)."""

    name = NAME
    version = VERSION

    def __init__(self, runner: Runner, page: int = PAGE) -> None:
        self.runner, self.ledger, self.store, self.page = runner, runner.ledger, runner.store, page
        self.forms = Forms(runner, clock=runner.ledger.now)
        self._cache: dict[tuple[str, str], Any] | None = None  # documents read while a page is judged
        # year -> its classes and the one a sweep left off at, to go on from (``sweep_year``)
        self._swept: dict[int, tuple[list[tuple[str, int, str]], int]] = {}

    def _documents(self, projection: str, keys: list[str]) -> dict[str, Any]:
        """Documents of a read model, each read once while a page is judged (and every time otherwise)."""
        if self._cache is None:
            return self.store.get_many(projection, keys)
        cache = self._cache
        if missing := [k for k in keys if (projection, k) not in cache]:
            found = self.store.get_many(projection, missing)
            cache.update({(projection, k): found.get(k) for k in missing})
        return {k: doc for k in keys if (doc := cache[(projection, k)]) is not None}

    def position(self) -> int:
        return self.store.position(NAME)

    def catch_up(self, deadline: float | None = None, stop: threading.Event | None = None) -> int:
        """Judge what the log holds up to where the read models stand, then sweep the health examinations
        due; returns events read. With ``deadline`` (a ``time.monotonic()``) or ``stop`` (the poller's),
        it ends after the page during which the deadline passed or the stop was set (at least one page is
        judged), leaving the rest to the next call; so does the sweep, after the class during which it
        passed (the first sweep after 30 June raises an alert for every child without an examination: a
        prefecture's tens of thousands, which held the read models up for minutes)."""
        head = self.ledger.position()
        total = 0
        while read := self.advance():
            total += read
            if (deadline is not None and time.monotonic() >= deadline) or (stop is not None and stop.is_set()):
                return total
        if self._read_models_at() >= head:  # judged from the whole log: an examination not yet applied is no absence
            self.sweep(deadline, stop)
        return total

    def _read_models_at(self) -> int:
        """The position every read model has applied."""
        return min(self.store.positions(list(self.runner.projections)).values(), default=0)

    def advance(self) -> int:
        """One page of the log after the process's position (up to where every read model stands);
        returns events read (0: nothing new)."""
        start = self.position()
        head = self._read_models_at()
        if start >= head:
            return 0
        page = self.ledger.notifications(start, self.page, stop=head, topics=[TOPIC_PREFIX + t for t in TOPICS])
        end = self.ledger.transaction_end(page[-1].id) if page else head
        children: dict[tuple[str, int], None] = {}
        for n in page:
            event = self.ledger.decode(n)
            if isinstance(event, AttendanceMarked | AttendanceCorrected) and event.mark.code in ABSENT:
                year = getattr(event, "year", 0) or school_years.year_of(event.effective_on)
                children[(str(event.student_id), year)] = None
            elif isinstance(event, SchoolCalendarSet):
                children.update(dict.fromkeys((sid, event.year) for sid in self._marked(event.school_code, event.year)))
        # The board settings and the alerts documents are read once a page, not once a child (the alerts
        # read model does not move while a page is judged: the raises of this page are not in it yet).
        self._cache = {}
        try:
            for sid, year in children:
                self.judge(sid, year)
        finally:
            self._cache = None
        # another process judged this page first: its raises stand, ours were no-ops
        with contextlib.suppress(StaleUpdate):
            self.store.save_many({NAME: ({}, {})}, end, start)
        return max(1, len(page))

    def _marked(self, school: str, year: int) -> list[str]:
        """The children with marks at a school in a year (the class-months' codes)."""
        keys = self.store.keys_with_prefix("attendance_index", school_prefix(school, year))
        docs = self.store.get_many("attendance_index", keys) if keys else {}
        return sorted({sid for doc in docs.values() for sid in doc["days"]})

    # ------------------------------------------------------------ the absence rules

    def judge(self, student_id: str, year: int) -> list[UUID]:
        """Raise the absence alerts a child's year crosses now; returns the alerts this call recorded."""
        file = self.forms.file(student_id, None, NOW)
        if file is None:
            return []
        found = absence_days(file, year)
        if not found.days:
            return []
        settings = self._settings(file, found)
        raised = self._raised(file, year)
        recorded: list[UUID] = []
        for run in found.runs():
            days = [d for d in found.span if run["from"] <= d <= run["to"] and found.codes.get(d) in ABSENT
                    and d not in found.breaks]
            for rule, field in ((rules.ABSENCE_RUN, "alert_absence_run_days"),
                                (rules.NOTICE_RUN, "alert_notice_run_days")):
                # §20 asks about a run without good reason: one of illness alone is not flagged
                reasons = [found.codes[d] for d in days] if rule == rules.NOTICE_RUN else None
                crossed = _crossing(days, field, settings, reasons)
                if crossed is None or any(a["rule"] == rule and a["first_day"] <= run["to"]
                                          and run["from"] <= a["last_day"] for a in raised):
                    continue  # not crossed, or this run was raised already (by its first day, or before a correction)
                recorded += self._raise(file, found, year, rule, days, crossed, settings(days[crossed - 1], field))
        absent = found.absent()
        crossed = _crossing(absent, "alert_long_absence_days", settings, None)
        if crossed is not None:
            recorded += self._raise(file, found, year, rules.LONG_ABSENCE, absent, crossed,
                                    settings(absent[crossed - 1], "alert_long_absence_days"))
        return recorded

    def _raise(self, file: StudentFile, found: AbsenceDays, year: int, rule: str, days: list[str], crossed: int,
               threshold: int) -> list[UUID]:
        last = days[crossed - 1]
        p = found.placements[last]
        receipt = self.ledger.raise_alert(
            student_id=UUID(file.student_id), rule=rule, school_code=p["school_code"], year=year, grade=p["grade"],
            class_name=p["class_name"], first_day=date.fromisoformat(days[0]), last_day=date.fromisoformat(last),
            days=crossed, threshold=threshold, on=date.fromisoformat(last))
        if receipt is None:
            return []
        log.info("alert %s raised for %s (%s, %d days to %s)", rule, file.student_id, p["school_code"], crossed, last)
        return [receipt.stream_id]

    def _settings(self, file: StudentFile, found: AbsenceDays) -> Any:
        """The threshold in force on a day, by the board of the school that held the child that day."""
        boards = {p["school_code"]: file.school(p["school_code"]).get("board_code") for p in found.placements.values()}
        docs = self._documents("board_settings", sorted({board_key(b) for b in boards.values() if b}))

        def setting(day: str, name: str) -> int:
            board = boards.get(found.placements[day]["school_code"])
            doc = docs.get(board_key(board)) if board else None
            return int(setting_on(doc, name, day)) if doc else int(getattr(DEFAULTS, name))
        return setting

    def _raised(self, file: StudentFile, year: int) -> list[dict[str, Any]]:
        """The alerts already raised for the child in the year (at any of its schools)."""
        keys = [alerts_key(code, year) for code in sorted({p["school_code"] for p in file.places(year)})]
        docs = self._documents(ALERTS, keys)
        return [a for doc in docs.values() for a in doc["alerts"] if a["student_id"] == file.student_id]

    # ------------------------------------------------------------ the health examination (by the passage of time)

    def sweep(self, deadline: float | None = None, stop: threading.Event | None = None) -> list[UUID]:
        """Once the day in Japan is past a school year's 30 June, raise ``health-exam-overdue`` for every
        child on a class roll on that day without an examination dated by it; once per year. With
        ``deadline`` or ``stop`` it may end after a class, and the next call goes on from the next class;
        the year counts as swept once its last class is."""
        today = self.ledger.today()
        year = school_years.year_of(today)
        if today <= health_due(year):
            return []
        swept = self.store.get(NAME, SWEEPS) or {"years": []}
        if year in swept["years"]:
            return []
        recorded, done = self.sweep_year(year, deadline, stop)
        if done:
            self.store.put(NAME, {SWEEPS: {"years": sorted({*swept["years"], year})}})
        return recorded

    def sweep_year(self, year: int, deadline: float | None = None,
                   stop: threading.Event | None = None) -> tuple[list[UUID], bool]:
        """Every class of the year (the classes formed, from the log), the children on its roll on 30 June,
        their examinations of the year; the alerts recorded, and whether every class was swept (False: it
        ended after a class once ``deadline`` passed or ``stop`` was set, and goes on from the next one at
        the next call; a process started again begins the year again, raising nothing twice)."""
        due = health_due(year).isoformat()
        recorded: list[UUID] = []
        classes, start = self._swept.get(year) or (self._classes(year), 0)
        for i, (school, grade, name) in enumerate(classes[start:], start):
            if i > start and ((deadline is not None and time.monotonic() >= deadline)
                              or (stop is not None and stop.is_set())):
                self._swept[year] = (classes, i)
                return recorded, False
            roll = self.store.get("roster", class_key(school, year, grade, name))
            if roll is None:
                continue
            on_roll = [sid for sid, periods in roll["placements"].items()
                       if any(p["joined_on"] <= due < p.get("left_on", "9999") for p in periods)]
            exams = self.store.get_many("health_records", [health_key(sid, year) for sid in on_roll])
            for sid in on_roll:
                exam = exams.get(health_key(sid, year), {}).get("health")
                if exam is not None and exam["examined_on"] <= due:
                    continue
                receipt = self.ledger.raise_alert(
                    student_id=UUID(sid), rule=rules.HEALTH_EXAM_OVERDUE, school_code=school, year=year,
                    grade=grade, class_name=name, first_day=date.fromisoformat(due),
                    last_day=date.fromisoformat(due), days=0, threshold=0,
                    on=date.fromisoformat(due).replace(day=1, month=7))
                if receipt is not None:
                    recorded.append(receipt.stream_id)
        self._swept.pop(year, None)
        return recorded, True

    def _classes(self, year: int) -> list[tuple[str, int, str]]:
        """The classes formed for a school year (a scan of the log's ClassFormed events, once a year)."""
        found: set[tuple[str, int, str]] = set()
        position = 0
        while True:
            page = self.ledger.recorder.select_notifications(start=position, limit=1000,
                                                             topics=[TOPIC_PREFIX + "ClassFormed"],
                                                             inclusive_of_start=False)
            for n in page:
                event = self.ledger.decode(n)
                if isinstance(event, ClassFormed) and event.year == year:
                    found.add((event.school_code, event.grade, event.class_name))
            if len(page) < 1000:
                return sorted(found)
            position = page[-1].id


def _crossing(days: list[str], field: str, settings: Any, reasons: list[str] | None) -> int | None:
    """The number of days (1-based) at which ``days`` first reach the threshold ``field`` in force on the
    day that reaches it (with ``reasons``, the mark codes of those days: once one of them is not
    illness); None if they never do."""
    for k, day in enumerate(days, start=1):
        if k >= settings(day, field) and (reasons is None or any(r != "absent_illness" for r in reasons[:k])):
            return k
    return None
