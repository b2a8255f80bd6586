"""出席簿: the attendance register of a class, per month, with month, term and year totals.

Composed when read from the read models' documents (projections/attendance_register.py: the month's
marks and the school's calendar): the month's days from its marks document, the month, term and year
totals by the pure arithmetic of attendance_arithmetic.py over the roster's days on the roll and the
mark codes of projections/attendance_index.py (a request reads one marks document, not the twelve of
the year: the totals need only the codes). Printed by attendance_register.html and
attendance_register.typ beside this module.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping

from domain.board import EXCUSED_LABEL
from projections.attendance_index import CODES, MonthCodes, child_codes, has_others, letters_on, plan
from projections.attendance_register import Calendar, MonthMarks
from projections.base import Form
from projections.board_settings import BoardDocument, leave_days_counted
from projections.forms.attendance_arithmetic import figures_of, on_leave, on_roll, spans_of, tallies
from projections.roster import RosterClass, RosterStudent

DEFAULT_EXCUSED_LABEL = EXCUSED_LABEL  # a board names the column otherwise by its settings (ADR 0038)
SHUT = "#"  # a closed day among a child's letters
AWAY = "~"  # a 休学 day the board counts in 授業日数, among a child's letters (ADR 0028)


def _grade_days(calendar: Calendar, grade: int) -> list[str]:
    off = {c["on"] for c in calendar["closures"]
           if c["scope"] == "school" or (c["scope"] == "grade" and c["grade"] == grade)}
    return [d for d in calendar["instructional_days"] if d not in off]


def compose(roster_class: RosterClass, roster_students: Mapping[str, RosterStudent], calendar: Calendar,
            marks: MonthMarks | None, codes: Mapping[str, MonthCodes], month: str, *,
            excused_label: str = DEFAULT_EXCUSED_LABEL, through: str = "9999-12-31",
            board: BoardDocument | None = None) -> Form:
    """The register of one class for ``month`` (YYYY-MM), with term and year totals per student.

    ``marks`` is the class's marks document of the month (None: no marks); ``codes`` the class's
    documents of projections/attendance_index.py by YYYY-MM (missing months have no marks), from
    which the totals are counted. The totals count the days up to ``through`` (ISO): a day not yet
    come is in the month's grid but in no total (ADR 0024). ``board``: the settings of the school's
    board, by which a child's 休学 days count in 授業日数 or not (ADR 0028); such a day is in the grid as
    ``on_leave``.
    """
    grade, class_name = roster_class["grade"], roster_class["class_name"]
    days = _grade_days(calendar, grade)
    ordered = sorted(d for d in days if d <= through)
    closed = {c["on"] for c in calendar["closures"]
              if c["scope"] == "class" and c["grade"] == grade and c["class_name"] == class_name}
    month_days = [d for d in days if d.startswith(month)]
    terms = calendar["terms"]
    spans = [(f"{month}-01", f"{month}-31"), *((t["starts_on"], t["ends_on"]) for t in terms),
             ("0000-00-00", "9999-99-99")]
    in_marks = marks["marks"] if marks else {}
    counting: dict[tuple[tuple[str, str, str], ...], Counting] = {}  # most children share one roll period
    students = []
    for sid, periods in roster_class["placements"].items():
        leave = leave_days_counted(board, on_leave(days, periods))  # 休学 days in 授業日数 (ADR 0028)
        in_month = sorted([*on_roll(month_days, periods), *(d for d in leave if d.startswith(month))])
        mine = in_marks.get(sid, {})
        if not in_month and not mine:
            continue
        period = tuple((p["joined_on"], p.get("left_on", "9999"), p.get("leave_until", "")) for p in periods)
        if period not in counting:
            counting[period] = Counting(on_roll(ordered, periods), closed, spans, [d for d in leave if d <= through])
        figures = counting[period].figures(codes, sid)
        students.append({
            "student_id": sid,
            "number": periods[-1]["number"],
            **{k: v for k, v in roster_students.get(f"student/{sid}", {}).items() if k in ("name", "name_kana")},
            "days": {d: ("on_leave" if d in leave else "closed" if d in closed else mine.get(d)) for d in in_month},
            "month": figures[0],
            "terms": {str(t["number"]): f for t, f in zip(terms, figures[1:-1], strict=True)},
            "year": figures[-1],
            # One class's months hold distinct days: every facility is the child's current one.
            "deemed_present_at": sorted({f for doc in codes.values()
                                         for f in doc.get("facilities", {}).get(sid, {}).values()}),
        })
    students.sort(key=lambda s: (s["number"], s["student_id"]))
    return {
        "school_code": roster_class["school_code"], "year": roster_class["year"], "grade": grade,
        "class_name": class_name, "month": month, "homeroom_teacher": roster_class["homeroom_teacher"],
        "instructional_days": month_days, "class_closures": sorted(d for d in closed if d.startswith(month)),
        "labels": {"excused": excused_label},
        "students": students,
    }


class Counting:
    """The figures of the spans over one roll period's days (sorted), for each child who has it:
    the child's letters on those days, counted a span at a time (``tallies``, without a dict of
    the child's days). ``leave``: the 休学 days the board counts, which join the days counted."""

    def __init__(self, rolled: list[str], closed: set[str], spans: list[tuple[str, str]],
                 leave: list[str] | None = None) -> None:
        self.leave = leave or []
        rolled = sorted([*rolled, *self.leave]) if self.leave else rolled
        self.rolled, self.spans = rolled, spans
        self.plan = plan(rolled)
        self.slices = spans_of(rolled, spans)
        self.closed = sorted(i for d in closed for i in range(bisect.bisect_left(rolled, d),
                                                               bisect.bisect_right(rolled, d)))
        self.away = sorted(i for d in self.leave for i in range(bisect.bisect_left(rolled, d),
                                                                  bisect.bisect_right(rolled, d)))

    def figures(self, codes: Mapping[str, MonthCodes], sid: str) -> list[dict[str, int]]:
        if has_others(codes.values(), sid):  # a code with no letter: counted from the codes themselves
            child, _ = child_codes(codes.values(), sid)
            return [t.as_dict() for t in tallies(self.rolled, child, [self.rolled[i] for i in self.closed],
                                                 self.spans, self.leave)]
        letters = letters_on(codes, sid, self.plan)
        if self.closed or self.away:
            chars = list(letters)
            for i in self.closed:
                chars[i] = SHUT
            for i in self.away:  # a 休学 day counts as excused, whatever mark it held before the leave was recorded
                chars[i] = AWAY
            letters = "".join(chars)
        out = []
        for start, stop in self.slices:
            span = letters[start:stop]
            out.append(figures_of(stop - start, span.count(SHUT),
                                  {code: n for letter, code in CODES.items() if (n := span.count(letter))},
                                  span.count(AWAY)))
        return out
