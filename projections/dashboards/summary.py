"""The dashboards' read model: one small document per school year, and one per board (ADR 0043).

``school/<school>/<year>`` (``SchoolSummary``) holds what the school and board dashboards count,
kept event by event so that a board reads one document per school instead of every child's year:

- ``classes``: per class (``<grade>/<class>``) the marks recorded on each day of the school year
  (``marked``: one character per day from 1 April, ``chr(48 + n)``: ``"0"`` no roll taken) and the
  marks by code as they stand (a correction moves one mark from its old code to its new one);
- ``marks``: per child, every mark that is not ``present`` (a 欠席, 遅刻, 出席停止 …), as one string of
  four characters a mark in day order: the day's position from 1 April (three digits) and the code's
  letter of the code index (projections/attendance_index.py ``LETTERS``). The old code of a corrected
  day is found here (a day not here was ``present``). A board reads a school's children's marks as a few
  hundred short strings, and counts a child's 欠席 with ``str.count``;
- ``children``: per class, every child placed in it that year (admitted, placed, a member when the
  class was formed, or marked), their ids one after another (36 characters each) in one string: a child is
  in the class of the latest of those. A board counts them by the strings' lengths;
- ``health``: per child the day of the year's 一般 health examination, followed by ``!`` when it asked
  for a follow-up (事後措置; as first recorded: a correction names no school, it shows on the child's own
  dashboard, which reads the health record);
- ``assessed``: entries per term (``"1"``, ``"2"``, ``"3"``, ``"year"``) and subject;
- ``arrivals``: the children who moved in from another school of the ledger that year (転学), and from where;
- ``departures``: the children who moved out to another school of the ledger that year (転学), and where to;
- ``calendar``: the school year's instructional days and closures (``SchoolCalendarSet``, as the 出席簿's
  calendar), or None before one is set.

``figures/<school>/<year>`` (``BoardFigures``, ADR 0045): what a board's row of the school counts, derived
from the school's summary each time it is saved (``companion``: the runner saves it beside the summary,
on every page of a catch-up and at every save of a rebuild) and read by the board instead of the summary.
It names no child but those who moved between two schools of the ledger that year (``movers``: a board
sums their 欠席 over its schools).

``board/<board>`` (``BoardSchools``): the stream ids of the schools ever registered under the board
(the board dashboard reads each school's current record and keeps those still of the board).

A correction recorded before corrections named their class (``school_code`` empty) touches no
document: it cannot say which school's counts it moves.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, TypedDict

from domain.assessment import AssessmentRecorded
from domain.attendance import AttendanceCorrected, AttendanceMarked
from domain.event import Event
from domain.health import HealthExaminationRecorded
from domain.school import ClassFormed, SchoolCalendarSet, SchoolDetailsChanged, SchoolRegistered
from domain.student import StudentAdmitted, StudentHandedOver, StudentPlacedInClass
from projections.attendance_index import CODES, LETTERS, UNKNOWN
from projections.base import id_text

DAYS = 366  # characters of ``marked``: every day of a school year from 1 April
NONE = "0"
PRESENT = "present"


class ClassTally(TypedDict):
    grade: int
    class_name: str
    marked: str  # one character per day from 1 April: chr(48 + marks recorded that day)
    counts: dict[str, int]  # marks by code, as they stand


class SchoolSummary(TypedDict):
    school_code: str
    year: int
    classes: dict[str, ClassTally]  # by "<grade>/<class>"
    children: dict[str, str]  # "<grade>/<class>" -> the ids of its children, 36 characters each
    marks: dict[str, str]  # student id -> "DDDL" per mark but present, in day order (``entries``)
    health: dict[str, str]  # student id -> the ISO day of the year's 一般 examination, "!" after it: a follow-up
    assessed: dict[str, dict[str, int]]  # term ("1".."3", "year") -> subject -> entries
    arrivals: dict[str, str]  # student id -> the school of the ledger they moved from that year (転学)
    departures: dict[str, str]  # student id -> the school of the ledger they moved to that year (転学)
    calendar: SummaryCalendar | None  # the year's calendar (SchoolCalendarSet), None before one is set


class SummaryClosure(TypedDict):
    on: str
    scope: str
    grade: int | None
    class_name: str | None


class SummaryCalendar(TypedDict):
    instructional_days: list[str]
    closures: list[SummaryClosure]


class FiguresClass(TypedDict):
    grade: int
    rolled: str  # hex: bit n set, a roll was taken on day n from 1 April
    closed: str  # hex: bit n set, the class was closed on day n (学級閉鎖)
    built: bool  # a child placed in it was absent three days or more (its runs were judged day by day)


class SchoolClassFigures(TypedDict):
    grade: int
    class_name: str
    present: int
    absent: int
    children: int
    streaks: int  # its children in a run of three or more going on (as of any day from the horizon)
    rolled: str  # hex, as ``FiguresClass``
    closed: str
    marked: str  # as ``ClassTally`` ("" when no roll was taken)
    recent: list[list[int]]  # [day from 1 April, 欠席, 出席停止・忌引等] of its children's marks, days with either


class SchoolFigures(TypedDict):
    """A school year as its own dashboard counts it (projections/dashboards/views.py ``derived_figures``)."""

    calendar: bool
    horizon: int
    children: int
    present: int
    absent: int
    streaks: int
    examined: int
    by_deadline: int
    follow_up: int
    assessed: dict[str, dict[str, int]]
    days: dict[str, str]
    classes: list[SchoolClassFigures]  # in grade and class order
    candidates: list[str]  # children with a run of seven here or 30 days here: judged on their files
    arrived: dict[str, list[str | int]]  # a child who moved in, absent here -> [the school they came from, days]


class BoardFigures(TypedDict):
    """A school year as a board's row counts it (projections/dashboards/views.py ``board_figures``)."""

    calendar: bool  # whether the year has a calendar (without one, a board counts nothing of the school)
    horizon: int  # the last day (from 1 April) the counts below depend on: a read of an earlier day judges again
    children: int
    classes: int
    present: int
    absent: int
    streaks: int  # children in a run of three or more going on (as of any day from ``horizon``)
    notice: int  # §20 candidates by the school's own days
    long_absence: int  # children with 30 days absent here who did not move between schools of the ledger
    movers: dict[str, list[int]]  # a child who moved in or out -> [days absent here, the day of their last mark]
    examined: int
    by_deadline: int
    follow_up: int
    assessed: dict[str, int]  # term -> entries
    days: dict[str, str]  # grade -> hex of its school days (instructional, not closed for the school or grade)
    plain: dict[str, int]  # grade -> classes without a roll or a closure (counted together)
    others: list[FiguresClass]  # the other classes


class BoardSchools(TypedDict):
    board_code: str
    schools: list[str]  # school stream ids, in the order first registered under the board


def summary_key(school: str, year: int) -> str:
    return f"school/{school}/{year}"


def figures_key(school: str, year: int) -> str:
    return f"figures/{school}/{year}"


def board_key(board: str) -> str:
    return f"board/{board}"


def day_index(year: int, day: str) -> int:
    """The position of an ISO day in ``marked`` (1 April is 0)."""
    return (date.fromisoformat(day) - date(year, 4, 1)).days


def class_of(grade: int, class_name: str) -> str:
    return f"{grade}/{class_name}"


class DashboardSummary:
    """Per school year: rolls taken per class-day, marks by code, every child's other-than-present marks,
    health examinations and assessment entries; per board: its schools."""

    name: str = "dashboards"
    version: int = 2  # raise it when what the documents hold changes (Runner.upgrade); 2: figures, calendar
    topics: tuple[str, ...] = ("AttendanceMarked", "AttendanceCorrected", "HealthExaminationRecorded",
                               "AssessmentRecorded", "ClassFormed", "StudentAdmitted", "StudentPlacedInClass",
                               "StudentHandedOver", "SchoolRegistered", "SchoolDetailsChanged", "SchoolCalendarSet")

    def keys(self, event: Event) -> Iterable[str]:
        if type(event) is AttendanceMarked:  # the most of the log: tested first
            return (f"school/{event.school_code}/{event.year}",)
        if isinstance(event, HealthExaminationRecorded | AssessmentRecorded | ClassFormed
                      | StudentAdmitted | StudentPlacedInClass | SchoolCalendarSet):
            return (f"school/{event.school_code}/{event.year}",)
        if isinstance(event, StudentHandedOver):
            return (f"school/{event.to_school}/{event.year}", f"school/{event.from_school}/{event.year}") \
                if event.kind == "transfer" and not event.external and event.from_school != event.to_school else ()
        if isinstance(event, AttendanceCorrected):
            return (f"school/{event.school_code}/{event.year}",) if event.school_code else ()
        if isinstance(event, SchoolRegistered | SchoolDetailsChanged):
            return (f"board/{event.board_code}",)
        return ()

    def companion_of(self, key: str) -> str | None:
        """The summary a document saved beside one is derived from (None: a document of its own)."""
        kind, _, rest = key.partition("/")
        return f"school/{rest}" if kind in ("figures", "classes") else None

    def companions(self, key: str, document: SchoolSummary | BoardSchools) -> list[tuple[str, Any]]:
        """The documents saved beside a school's summary, derived from it: its figures for a board's row and
        for the school's own dashboard (none beside a board's list)."""
        if not key.startswith("school/"):
            return []
        from projections.dashboards.views import derived_figures
        board, school = derived_figures(document)  # type: ignore[arg-type]
        at = key.removeprefix("school/")
        return [("figures/" + at, board), ("classes/" + at, school)]

    def apply(self, document: SchoolSummary | BoardSchools | None,
              event: Event) -> SchoolSummary | BoardSchools:
        if type(event) is AttendanceMarked and document is not None:  # the most of the log
            _mark(document, event)  # type: ignore[arg-type]
            return document
        if isinstance(event, SchoolRegistered | SchoolDetailsChanged):
            board: BoardSchools = document or BoardSchools(board_code=event.board_code, schools=[])  # type: ignore[assignment]
            if str(event.originator_id) not in board["schools"]:
                board["schools"].append(str(event.originator_id))
            return board
        code = event.to_school if isinstance(event, StudentHandedOver) else event.school_code  # type: ignore[attr-defined]
        doc: SchoolSummary = document or SchoolSummary(  # type: ignore[assignment]
            school_code=code, year=event.year, classes={}, children={}, marks={}, health={},  # type: ignore[attr-defined]
            assessed={}, arrivals={}, departures={}, calendar=None)
        if isinstance(event, AttendanceMarked | AttendanceCorrected):
            _mark(doc, event)
        elif isinstance(event, HealthExaminationRecorded):
            follow_up = "!" if event.examination.follow_up.strip() else ""
            doc["health"][str(event.student_id)] = event.effective_on.isoformat() + follow_up
        elif isinstance(event, AssessmentRecorded):
            subjects = doc["assessed"].setdefault("year" if event.term is None else str(event.term), {})
            subjects[event.subject] = subjects.get(event.subject, 0) + 1
        elif isinstance(event, ClassFormed):
            key = class_of(event.grade, event.class_name)
            _class(doc, event.grade, event.class_name)
            for m in event.members:
                _place(doc, str(m.student_id), key)
        elif isinstance(event, StudentHandedOver):
            if doc["school_code"] == event.to_school:
                doc["arrivals"][str(event.originator_id)] = event.from_school
            else:
                doc["departures"][str(event.originator_id)] = event.to_school
        elif isinstance(event, SchoolCalendarSet):
            doc["calendar"] = SummaryCalendar(
                instructional_days=[d.isoformat() for d in event.instructional_days],
                closures=[SummaryClosure(on=c.on.isoformat(), scope=c.scope, grade=c.grade, class_name=c.class_name)
                          for c in event.closures])
        elif isinstance(event, StudentAdmitted | StudentPlacedInClass):
            _class(doc, event.grade, event.class_name)
            _place(doc, str(event.originator_id), class_of(event.grade, event.class_name))
        else:
            raise ValueError(f"the dashboards do not read {type(event).__name__}")
        return doc


def _class(doc: SchoolSummary, grade: int, class_name: str) -> ClassTally:
    key = class_of(grade, class_name)
    found = doc["classes"].get(key)
    if found is None:
        found = doc["classes"][key] = ClassTally(grade=grade, class_name=class_name, marked=NONE * DAYS, counts={})
    return found


SID = 36  # the length of a student id in ``children``


def _at(ids: str, sid: str) -> int:
    """Where ``sid`` is in a class's ids (-1: not there)."""
    at = ids.find(sid)
    while at >= 0 and at % SID:
        at = ids.find(sid, at + 1)
    return at


def _place(doc: SchoolSummary, sid: str, key: str) -> None:
    """The child is in class ``key`` (and no longer in another class of the school)."""
    children = doc["children"]
    if _at(children.get(key, ""), sid) >= 0:
        return
    for other, ids in children.items():
        if (at := _at(ids, sid)) >= 0:
            children[other] = ids[:at] + ids[at + SID:]
            break
    children[key] = children.get(key, "") + sid


def members(ids: str) -> list[str]:
    """The student ids of a class's ``children`` string."""
    return [ids[i:i + SID] for i in range(0, len(ids), SID)]


def placed(summary: SchoolSummary) -> dict[str, str]:
    """Every child's class key."""
    return {sid: key for key, ids in summary["children"].items() for sid in members(ids)}


def entries(marks: str) -> dict[int, str]:
    """A child's marks of the summary (``"DDDL"`` each) by day position from 1 April."""
    return {int(marks[i:i + 3]): marks[i + 3] for i in range(0, len(marks), 4)}


def joined(found: dict[int, str]) -> str:
    return "".join(f"{day:03d}{letter}" for day, letter in sorted(found.items()))


_APRIL: dict[int, int] = {}  # year -> the ordinal of its 1 April


def _april(year: int) -> int:
    found = _APRIL.get(year)
    if found is None:
        found = _APRIL[year] = date(year, 4, 1).toordinal()
    return found


# A day's three digits in a child's marks, made once (``f"{i:03d}"`` for every mark of a rebuild).
_DAY = [f"{i:03d}" for i in range(DAYS)]


def _day_at(marks: str, day: str) -> int:
    """Where the mark of day ``day`` (three digits) is in a child's marks (-1: not there)."""
    at = marks.find(day)
    while at >= 0 and at % 4:
        at = marks.find(day, at + 1)
    return at


def _mark(doc: SchoolSummary, event: AttendanceMarked | AttendanceCorrected) -> None:
    # The log's commonest event: the helpers above are inlined for their first, usual step (a child
    # found at the start of an id, a day at the start of a mark), and a child with no mark but present
    # so far is done after the tally.
    sid, code = id_text(event.student_id), event.mark.code
    i = event.effective_on.toordinal() - (_APRIL.get(event.year) or _april(event.year))
    key = f"{event.grade}/{event.class_name}"
    tally = doc["classes"].get(key) or _class(doc, event.grade, event.class_name)
    marks = doc["marks"]
    mine = marks.get(sid, "")
    counts = tally["counts"]
    day = _DAY[i] if 0 <= i < DAYS else f"{i:03d}"
    if mine:
        at = mine.find(day)
        if at > 0 and at % 4:
            at = _day_at(mine, day)
    else:
        at = -1
    if type(event) is AttendanceCorrected:
        old = CODES.get(mine[at + 3], PRESENT) if at >= 0 else PRESENT
        counts[old] = counts.get(old, 0) - 1
        if not counts[old]:
            del counts[old]
    else:
        marked = tally["marked"]
        tally["marked"] = marked[:i] + chr(ord(marked[i]) + 1) + marked[i + 1:]
        ids = doc["children"].get(key, "")
        found = ids.find(sid)
        if found < 0 or (found % SID and _at(ids, sid) < 0):
            _place(doc, sid, key)
    counts[code] = counts.get(code, 0) + 1
    if code != PRESENT:
        entry = day + LETTERS.get(code, UNKNOWN)
        if at >= 0:
            mine = mine[:at] + entry + mine[at + 4:]
        else:  # in day order
            after = next((n for n in range(0, len(mine), 4) if mine[n:n + 3] > day), len(mine))
            mine = mine[:after] + entry + mine[after:]
        marks[sid] = mine
    elif at >= 0:
        mine = mine[:at] + mine[at + 4:]
        if mine:
            marks[sid] = mine
        else:
            del marks[sid]
