"""The dashboards at four levels, composed on read like the forms (ADR 0043).

- child: from the child's file (projections/student_file.py), with the 出欠 arithmetic of the
  指導要録 (``attendance_record.figures``) by month and for the year, and the runs of absence of the
  long-absence list (``long_absence.absence_days`` and ``absence_runs``);
- class: from the class's roster, calendar and class-month mark codes (what the 出席簿 reads);
- school and board: from the school-year summaries (projections/dashboards/summary.py) and the
  calendars; the school's named list of 長期欠席 and §20 candidates is judged child by child on
  their files, exactly as the long-absence list (``long_absence.student_figures``).

"Today" is the last day a read counts (``Forms.through``: the JST date, or the request's ``on`` /
``as_of``; ADR 0024). An attendance rate is 出席日数 / (出席日数 + 欠席日数): the days a child had to
attend and was marked (unrecorded days and 出席停止・忌引等 count in neither).
"""

from __future__ import annotations

import bisect
import functools
import operator
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from domain import curriculum, streams
from domain import school_year as school_years
from domain.attendance import ABSENT, EXCUSED, MARK_CODES
from domain.attendance import PRESENT as PRESENT_CODES
from projections.alerts import NAME as ALERTS
from projections.alerts import alerts_key, alerts_of
from projections.attendance_index import CODES, LETTERS, MonthCodes, codes_key, letters_on, plan
from projections.attendance_register import calendar_key
from projections.base import NOW, Cutoff, Form
from projections.dashboards.summary import (
    NONE,
    SID,
    BoardFigures,
    ClassTally,
    FiguresClass,
    SchoolClassFigures,
    SchoolFigures,
    SchoolSummary,
    board_key,
    day_index,
    entries,
    figures_key,
    members,
    placed,
    summary_key,
)
from projections.enrollment_record import school_key
from projections.forms import Forms
from projections.forms.attendance_arithmetic import on_roll
from projections.forms.attendance_record import class_closures, days_on_roll, figures
from projections.forms.long_absence import LONG_ABSENCE_DAYS, NOTICE_RUN, absence_days, absence_runs, student_figures
from projections.forms.student_file import StudentFile, read

STREAK = 3  # a teacher's alert: absent three school days running
WINDOW = 30  # the calendar days of the "last 30 days" ratio
HEALTH_DEADLINE = "06-30"  # 学校保健安全法施行規則 §5: the examination by 30 June
RULES = {"absence-run": "連続欠席", "notice-run": "7日連続欠席(施行令第20条)", "long-absence": "長期欠席(30日)",
         "health-exam-overdue": "健康診断未実施(6月30日)"}
LABELS = {"alerts": "アラート", "alerts_open": "未対応", "alerts_acknowledged": "対応済み", "rules": RULES,
          "attendance_rate": "出席率", "absent": "欠席日数", "late": "遅刻", "left_early": "早退",
          "deemed_present": "出席扱い", "streak": "連続欠席", "unrecorded": "未記入", "health": "健康診断",
          "follow_up": "事後措置が必要", "assessments": "評価の入力", "roll_today": "本日の出欠",
          "long_absence": "長期欠席(30日以上)", "notice_due": "7日連続欠席(施行令第20条)の候補",
          "absence_ratio_30": "直近30日の欠席率", "rolls_not_taken": "本日未入力の学級"}
HEALTH_STATUS = {"done": "実施済(6月30日まで)", "done_late": "実施済(6月30日より後)", "not_yet": "未実施",
                 "overdue": "未実施(6月30日を過ぎた)"}


def rate(present: int, absent: int) -> float | None:
    """出席日数 / (出席日数 + 欠席日数), to four places; None when no day counts."""
    return round(present / (present + absent), 4) if present + absent else None


def health_status(on: str | None, year: int, today: str) -> str:
    deadline = f"{year}-{HEALTH_DEADLINE}"
    if on is not None:
        return "done" if on <= deadline else "done_late"
    return "overdue" if today > deadline else "not_yet"


def current_run(span: list[str], codes: dict[str, str], breaks: set[str]) -> Form | None:
    """The run of absence the child is in today: the last run, when no day after it was marked or
    broke it (``absence_runs``: unmarked days neither make nor break a run)."""
    runs = absence_runs(span, codes, breaks)
    if not runs:
        return None
    last = runs[-1]
    if any(d > last["to"] and (d in codes or d in breaks) for d in span):
        return None
    return last


def split(alerts: Sequence[Mapping[str, Any]], names: dict[str, str | None] | None = None) -> Form:
    """Alerts (projections/alerts.py, in the order raised) as open (nothing done yet) and acknowledged
    (what was done, by whom, when), each with the child's name when ``names`` has it."""
    rows = [{**a, "name": names.get(a["student_id"])} if names is not None else dict(a) for a in alerts]
    return {"open": [a for a in rows if not a["acknowledgements"]],
            "acknowledged": [a for a in rows if a["acknowledgements"]]}


def alert_counts(alerts: Sequence[Mapping[str, Any]]) -> Form:
    """Open and acknowledged alerts by rule: what a board sees of a school's alerts (no child, no id)."""
    by_rule: dict[str, dict[str, int]] = {}
    for a in alerts:
        counts = by_rule.setdefault(a["rule"], {"open": 0, "acknowledged": 0})
        counts["acknowledged" if a["acknowledgements"] else "open"] += 1
    return {"open": sum(c["open"] for c in by_rule.values()),
            "acknowledged": sum(c["acknowledged"] for c in by_rule.values()), "by_rule": dict(sorted(by_rule.items()))}


def _months(year: int) -> list[str]:
    return [f.isoformat()[:7] for f in school_years.month_firsts(year)]


# ------------------------------------------------------------------------------------------- child

def child(file: StudentFile, year: int, today: str) -> Form:
    """One child's year: attendance by day and by month with the rate, the current run of absence,
    遅刻・早退, 出席扱い days, the health examination, and assessments recorded per term."""
    marks = file.attendance.get(year)
    codes: dict[str, str] = marks["codes"] if marks else {}
    facilities: dict[str, str] = marks["facilities"] if marks else {}
    days: list[dict[str, Any]] = []
    for p, on in days_on_roll(file, year):
        closed = class_closures(file, year, p)
        days += [{"day": d, "school_code": p["school_code"],
                  "code": "class_closed" if d in closed else codes.get(d)} for d in on]
    days.sort(key=lambda d: d["day"])
    months = []
    for m in _months(year):
        t = figures(file, year, first=f"{m}-01", last=f"{m}-31")
        if t["school_days"]:
            months.append({"month": m, **t, "attendance_rate": rate(t["present"], t["absent"])})
    total = figures(file, year)
    found = absence_days(file, year)
    run = current_run(found.span, found.codes, found.breaks)
    health = file.health.get(year)
    exam = health.get("health") if health else None
    assessments = file.assessments.get(year)
    terms: dict[str, list[str]] = {}
    for key in sorted(assessments["results"]) if assessments else []:
        term, _, subject = key.partition("/")
        terms.setdefault(term, []).append(subject)
    places = file.places(year)
    here = places[-1] if places else None
    who = file.student["identity"]
    return {"level": "child", "student_id": file.student_id, "year": year, "today": today,
            "name": f"{who['family_name']} {who['given_name']}",
            "school_code": here["school_code"] if here else None, "grade": here["grade"] if here else None,
            "class_name": here["class_name"] if here else None,
            "days": days, "months": months, "year_total": {**total, "attendance_rate": rate(total["present"],
                                                                                              total["absent"])},
            "streak": {"days": run["days"], "from": run["from"], "to": run["to"],
                       "illness_only": run["illness_only"]} if run else {"days": 0},
            "deemed_present_days": [{"day": d, "facility": facilities.get(d)} for d in sorted(codes)
                                    if codes[d] == "deemed_present"],
            "health": {"examined_on": exam["examined_on"] if exam else None,
                       "status": health_status(exam["examined_on"] if exam else None, year, today),
                       "follow_up": bool(exam and str(exam["values"].get("follow_up") or "").strip())},
            "assessments": [{"term": t, "subjects": s, "count": len(s)} for t, s in sorted(terms.items())],
            "labels": {**LABELS, "title": "児童生徒のダッシュボード", "health_status": HEALTH_STATUS}}


# ------------------------------------------------------------------------------------------- class

NOT_PRESENT = re.compile(r"[^PLED]")  # a letter of the code index that is not 出席 (or no mark: a space)


def klass(roster: dict[str, Any], students: dict[str, Any], calendar: dict[str, Any],
          index: list[MonthCodes | None], today: str) -> Form:
    """A class's year up to today: today's roll, the daily rate, who is absent three days running, the
    absence ratio of the last 30 days, the days no roll was taken.

    Each child's year is one string of the code index's letters over the class's days (``letters_on``,
    as the 出席簿 reads them), ``C`` on the days the class was closed; the counts are the string's."""
    grade, name, year = roster["grade"], roster["class_name"], roster["year"]
    shut = {c["on"] for c in calendar["closures"]
            if c["scope"] == "school" or (c["scope"] == "grade" and c["grade"] == grade)}
    closed = {c["on"] for c in calendar["closures"]
              if c["scope"] == "class" and c["grade"] == grade and c["class_name"] == name}
    days = [d for d in calendar["instructional_days"] if d not in shut and d <= today]
    n = len(days)
    shut_at = [i for i, d in enumerate(days) if d in closed]
    months = {doc["month"]: doc for doc in index if doc is not None}
    picked = plan(days)
    since = bisect.bisect_left(days, (date.fromisoformat(today) - timedelta(days=WINDOW - 1)).isoformat())
    on_roll_count, unmarked, absent, excused = [0] * n, [0] * n, [0] * n, [0] * n
    rows, streaks, away = [], [], []
    for sid, periods in roster["placements"].items():
        letters = list(letters_on(months, sid, picked))
        for i in shut_at:
            letters[i] = "C"
        mine = on_roll(days, periods)
        if len(mine) != n:  # on the roll part of the year: the other days are not the child's
            on = set(mine)
            for i, d in enumerate(days):
                if d not in on:
                    letters[i] = "-"
        year_letters = "".join(letters)
        for m in NOT_PRESENT.finditer(year_letters):
            i, letter = m.start(), m.group()
            if letter in "IA":
                absent[i] += 1
            elif letter in "SMOX":
                excused[i] += 1
            elif letter in " ?":
                unmarked[i] += 1
        for i, letter in enumerate(letters):
            if letter not in "-C":
                on_roll_count[i] += 1
        count = Counter(year_letters)
        who = students.get(f"student/{sid}") or {}
        person = {"student_id": sid, "name": who.get("name"), "number": periods[-1]["number"]}
        run = _current(days, year_letters)
        if run and run["days"] >= STREAK:
            streaks.append({**person, "days": run["days"], "from": run["from"], "to": run["to"],
                            "illness_only": run["illness_only"]})
        if days and days[-1] == today and year_letters[-1] in "IASMOX":
            code = CODES[year_letters[-1]]
            away.append({**person, "code": code, "label": MARK_CODES[code]})
        p, a = sum(count[x] for x in "PLED"), count["I"] + count["A"]
        rows.append({**person, "present": p, "absent": a, "late": count["L"], "left_early": count["E"],
                     "deemed_present": count["D"], "attendance_rate": rate(p, a),
                     "unrecorded": count[" "] + count["?"], "streak": run["days"] if run else 0})
    rows.sort(key=lambda r: (r["number"], r["student_id"]))
    streaks.sort(key=lambda r: (r["number"], r["student_id"]))
    away.sort(key=lambda r: (r["number"], r["student_id"]))
    open_at = [i for i in range(n) if days[i] not in closed]
    marked = [on_roll_count[i] - unmarked[i] for i in range(n)]
    present = [marked[i] - absent[i] - excused[i] for i in range(n)]
    window = [i for i in open_at if i >= since]
    p30, a30 = sum(present[i] for i in window), sum(absent[i] for i in window)
    taken = bool(days) and days[-1] == today and marked[-1] > 0
    return {"level": "class", "school_code": roster["school_code"], "year": year, "grade": grade,
            "class_name": name, "today": today,
            "homeroom_teacher": roster["homeroom_teacher"]["name"],
            "roll_today": {"school_day": bool(days) and days[-1] == today, "class_closed": today in closed,
                           "taken": taken, "absent": away},
            "daily": [{"day": days[i], "present": present[i], "absent": absent[i], "marked": marked[i],
                       "attendance_rate": rate(present[i], absent[i])} for i in open_at],
            "streaks": streaks, "absence_ratio_30": round(a30 / (p30 + a30), 4) if p30 + a30 else None,
            "unrecorded_days": [days[i] for i in open_at if not marked[i]],
            "students": rows, "labels": {**LABELS, "title": "学級のダッシュボード"}}


def _current(days: list[str], letters: str) -> Form | None:
    """The run of absence a child is in today, judged by the long-absence list's ``absence_runs`` over the
    days since the last day that broke one (a mark other than 欠席, the class closed, off the roll)."""
    last = max(letters.rfind(x) for x in "PLEDSMOXC-?")
    tail = range(last + 1, len(days))
    codes = {days[i]: CODES[letters[i]] for i in tail if letters[i] in "IA"}
    if not codes:
        return None
    runs = absence_runs([days[i] for i in tail], codes, set())
    return runs[-1] if runs else None


# --------------------------------------------------------------------------- school and board (summaries)

ABSENT_LETTERS = tuple(LETTERS[c] for c in sorted(ABSENT))
assert ABSENT_LETTERS == ("I", "A"), "absences() counts these two letters"
EXCUSED_LETTERS = frozenset(LETTERS[c] for c in EXCUSED)


def absences(marks: str) -> int:
    """A child's 欠席 in a summary's marks."""
    return marks.count("I") + marks.count("A")


class _ClassYear:
    """A class's school days up to today, from the summary: the days it had school (its grade's instructional
    days, not its own closures) with the marks recorded on each, and the days that judge a run of absence."""

    def __init__(self, tally: ClassTally, days: list[str], positions: list[int], closed: dict[str, int],
                 today: str) -> None:
        if closed:
            kept = [(d, i) for d, i in zip(days, positions, strict=True) if d not in closed]
            days, positions = [d for d, _ in kept], [i for _, i in kept]
        self.days, self.positions, self.closed = days, positions, closed
        marked = tally["marked"]
        # a character per school day: the marks recorded that day
        self.picked = "".join(operator.itemgetter(*positions)(marked)) if len(positions) > 1 else "".join(
            marked[i] for i in positions)
        self.unrecorded = self.picked.count("0")
        self.school_day_today = bool(days) and days[-1] == today
        self.taken_today = self.school_day_today and self.picked[-1] != "0"
        self._sequence: tuple[list[int], dict[int, int]] | None = None

    def marks_since(self, since: str) -> int:
        start = bisect.bisect_left(self.days, since)
        window = self.picked[start:].encode()
        return sum(window) - 48 * len(window)

    def sequence(self) -> tuple[list[int], dict[int, int]]:
        """The days (positions from 1 April) that judge a run: a roll was taken or the class was closed
        (学級閉鎖); other days neither make nor break one. In order, and each with its place in it."""
        if self._sequence is None:
            days = sorted([i for i, c in zip(self.positions, self.picked, strict=True) if c != "0"]
                          + list(self.closed.values()))
            self._sequence = days, {d: n for n, d in enumerate(days)}
        return self._sequence

    def absent_today(self, marks: str) -> bool:
        """Whether the child's last day of absence is the class's last day that judges a run (a run may
        be going on today)."""
        order, _ = self.sequence()
        last = max((int(marks[i:i + 3]) for i in range(0, len(marks), 4) if marks[i + 3] in ABSENT_LETTERS),
                   default=None)
        return last is not None and bool(order) and order[-1] == last

    def runs(self, marks: str, first: date) -> tuple[list[Form], Form | None]:
        """A child's runs of absence in the class and the one they are in today, judged by the long-absence
        list's ``absence_runs`` over the absent days and, between two of them, the first day that broke
        the run (a day the child was marked otherwise, ``present`` unless the summary says, or closed)."""
        order, seq = self.sequence()
        found = entries(marks)
        absent = [d for d, letter in found.items() if letter in ABSENT_LETTERS and d in seq]
        absent.sort()
        picked: list[int] = []
        for n, d in enumerate(absent):
            if n and seq[d] - seq[absent[n - 1]] > 1:
                picked.append(order[seq[absent[n - 1]] + 1])
            picked.append(d)
        closed = set(self.closed.values())
        iso = {d: (first + timedelta(days=d)).isoformat() for d in picked}
        codes = {iso[d]: CODES.get(found.get(d, "P"), "present") for d in picked if d not in closed}
        runs = absence_runs([iso[d] for d in picked], codes, {iso[d] for d in picked if d in closed})
        now = runs[-1] if runs and seq[absent[-1]] == len(seq) - 1 else None
        return runs, now


@functools.lru_cache(maxsize=8)
def _positions(year: int) -> dict[str, int]:
    """Each ISO day of a school year by its position from 1 April."""
    first = date(year, 4, 1)
    return {(first + timedelta(days=i)).isoformat(): i for i in range(366)}


class _Classes:
    """A school's classes' days up to today (``_ClassYear``), each built when first asked for: a board reads
    a school's counts without building a class whose children's marks it does not judge."""

    def __init__(self, summary: SchoolSummary, calendar: dict[str, Any], today: str) -> None:
        self.summary, self.calendar, self.today = summary, calendar, today
        self.at = _positions(summary["year"])
        days = calendar["instructional_days"]
        self.days = days[:bisect.bisect_right(days, today)]  # the calendar's days are in order
        self.shut = {c["on"] for c in calendar["closures"] if c["scope"] == "school" and c["on"] <= today}
        self._grades: dict[int, tuple[list[str], list[int], set[str]]] = {}
        self._built: dict[str, _ClassYear] = {}

    def __contains__(self, key: object) -> bool:
        return key in self.summary["classes"]

    def grade(self, g: int) -> tuple[list[str], list[int], set[str]]:
        """The grade's school days up to today, their positions, and the days off (school, grade closures)."""
        if g not in self._grades:
            off = self.shut | {c["on"] for c in self.calendar["closures"]
                               if c["scope"] == "grade" and c["grade"] == g and c["on"] <= self.today}
            mine = [d for d in self.days if d not in off] if off else self.days
            self._grades[g] = (mine, [self.at[d] for d in mine], off)
        return self._grades[g]

    def closed(self, t: ClassTally) -> dict[str, int]:
        return {c["on"]: self.at[c["on"]] for c in self.calendar["closures"]
                if c["scope"] == "class" and c["grade"] == t["grade"] and c["class_name"] == t["class_name"]
                and c["on"] <= self.today}

    def __getitem__(self, key: str) -> _ClassYear:
        if key not in self._built:
            t = self.summary["classes"][key]
            days, positions, _ = self.grade(t["grade"])
            self._built[key] = _ClassYear(t, days, positions, self.closed(t), self.today)
        return self._built[key]

    def counts(self, key: str) -> tuple[bool, bool, int]:
        """Whether today is a school day of the class, whether its roll was taken, and its school days
        without a roll, counted on the class's string of marks (a roll is taken only on a school day)."""
        t = self.summary["classes"][key]
        if key in self._built:
            cy = self._built[key]
            return cy.school_day_today, cy.taken_today, cy.unrecorded
        days = self.grade(t["grade"])[0]
        if not days:
            return False, False, 0
        closed = self.closed(t)
        today_at = self.at[self.today] if self.today in self.at else self.at[days[-1]]
        prefix = t["marked"][:today_at + 1]
        taken = len(prefix) - prefix.count("0")
        school_day = days[-1] == self.today and self.today not in closed
        return school_day, school_day and t["marked"][today_at] != "0", max(0, len(days) - len(closed) - taken)


def absent_days(summary: SchoolSummary) -> dict[str, int]:
    """Each child's days absent (欠席) at the school that year, by its summary (those with any)."""
    return {sid: n for sid, m in summary["marks"].items() if (n := absences(m))}


def school_runs(summary: SchoolSummary, classes: _Classes, least: int = STREAK,
                absent: dict[str, int] | None = None) -> dict[str, tuple[list[Form], Form | None]]:
    """The runs of absence of every child absent ``least`` days or more who may be in a run today or may
    have a run of seven (the others' runs decide nothing on a dashboard)."""
    first = date(summary["year"], 4, 1)
    runs: dict[str, tuple[list[Form], Form | None]] = {}
    absent = {sid: n for sid, n in (absent if absent is not None else absent_days(summary)).items() if n >= least}
    where = placed(summary) if absent else {}
    for sid, n in absent.items():
        key = where.get(sid)
        if key is None or key not in classes:
            continue
        marks = summary["marks"][sid]
        # below seven days only the run going on today counts (a streak): none unless absent on the last day
        if n >= NOTICE_RUN or classes[key].absent_today(marks):
            runs[sid] = classes[key].runs(marks, first)
    return runs


def notice_due(runs: list[Form], absent: int, marks: str) -> bool:
    """As the long-absence list judges it: a run of seven with an absence other than illness, or 30 days
    with one (``long_absence.student_figures``)."""
    return any(r["days"] >= NOTICE_RUN and not r["illness_only"] for r in runs) or (
        absent >= LONG_ABSENCE_DAYS and LETTERS["absent_other"] in marks)


def school_figures(summary: SchoolSummary | None, calendar: dict[str, Any] | None, today: str,
                   long_absent: set[str] | None = None, *, detail: bool = True,
                   absent: dict[str, int] | None = None) -> Form:
    """A school's figures from its summary: the counts the board sees, and (``detail``) by class.
    ``long_absent``: the children the board counts as 長期欠席 at this school (their days at every school
    of the board); by default those with 30 days at this school."""
    if summary is None or calendar is None:
        return {"classes": [], "children": 0, "present": 0, "absent": 0, "attendance_rate": None,
                "rolls_not_taken_today": [], "long_absence": 0, "notice_candidates": 0, "streaks": 0,
                "health": {"examined": 0, "by_deadline": 0, "late": 0, "not_done": 0, "overdue": 0, "follow_up": 0,
                           "completion": None},
                "assessments": {}, "unrecorded_days": 0}
    year = summary["year"]
    first = date(year, 4, 1)
    years = _Classes(summary, calendar, today)
    absent = absent if absent is not None else absent_days(summary)
    runs = school_runs(summary, years, absent=absent)
    streaking = {sid for sid, (_, now) in runs.items() if now and now["days"] >= STREAK}
    present_total = absent_total = 0
    classes: list[Form] = []
    kids = {key: members(ids) for key, ids in summary["children"].items()} if detail else {}
    since = (date.fromisoformat(today) - timedelta(days=WINDOW - 1)).isoformat()
    since_at, today_at = day_index(year, since), day_index(year, today)
    for key, t in sorted(summary["classes"].items(), key=lambda kv: (kv[1]["grade"], kv[1]["class_name"])):
        counts = t["counts"]
        p, a = sum(counts.get(c, 0) for c in PRESENT_CODES), sum(counts.get(c, 0) for c in ABSENT)
        present_total, absent_total = present_total + p, absent_total + a
        school_day, taken, unrecorded = years.counts(key) if not detail else (
            years[key].school_day_today, years[key].taken_today, years[key].unrecorded)
        row = {"grade": t["grade"], "class_name": t["class_name"], "present": p, "absent": a,
               "attendance_rate": rate(p, a), "taken_today": taken, "school_day_today": school_day,
               "unrecorded_days": unrecorded}
        if detail:
            cy = years[key]
            mine = kids.get(key, [])
            recent = [letter for sid in mine for d, letter in entries(summary["marks"].get(sid, "")).items()
                      if since_at <= d <= today_at]
            a30 = sum(1 for x in recent if x in ABSENT_LETTERS)
            m30 = cy.marks_since(since) - sum(1 for x in recent if x in EXCUSED_LETTERS)
            row.update(children=len(mine), absence_ratio_30=round(a30 / m30, 4) if m30 > 0 else None,
                       streaks=sum(1 for sid in mine if sid in streaking))
        classes.append(row)
    if long_absent is None:
        long_absent = {sid for sid, n in absent.items() if n >= LONG_ABSENCE_DAYS}
    notice = sum(1 for sid, (found, _) in runs.items() if notice_due(found, absent[sid], summary["marks"][sid]))
    children = sum(len(ids) for ids in summary["children"].values()) // SID
    deadline = f"{year}-{HEALTH_DEADLINE}"
    exams = list(summary["health"].values())
    examined = len(exams)
    on_time = sum(1 for e in exams if e[:10] <= deadline)
    del first
    return {"classes": classes, "children": children, "present": present_total, "absent": absent_total,
            "attendance_rate": rate(present_total, absent_total),
            "rolls_not_taken_today": [{"grade": c["grade"], "class_name": c["class_name"]} for c in classes
                                      if c["school_day_today"] and not c["taken_today"]],
            "long_absence": len(long_absent), "notice_candidates": notice, "streaks": len(streaking),
            "unrecorded_days": sum(c["unrecorded_days"] for c in classes),
            "health": {"examined": examined, "by_deadline": on_time, "late": examined - on_time,
                       "not_done": max(0, children - examined),
                       "overdue": max(0, children - examined) if today > deadline else 0,
                       "follow_up": sum(1 for e in exams if e.endswith("!")),
                       "completion": round(examined / children, 4) if children else None},
            "assessments": {term: {subject: {"entries": n, "completion": round(n / children, 4) if children else None}
                                   for subject, n in sorted(subjects.items())}
                            for term, subjects in sorted(summary["assessed"].items())}}


# --------------------------------------------------------------------------- the board's figures (ADR 0045)

FAR = "9999-12-31"  # a "today" after every day of a year: the runs as they stand once every day is past


def _bits(positions: Iterable[int]) -> int:
    found = 0
    for i in positions:
        found |= 1 << i
    return found


_ROLLED = {ord(str(n)): "1" for n in range(1, 10)} | {n: "1" for n in range(ord("9") + 1, 0x110000) if n < 0x250}


def _rolled(marked: str) -> int:
    """The days of a class's string of marks with a roll taken (a character other than ``NONE``), as bits."""
    if not marked.strip(NONE):
        return 0
    try:
        return int(marked.translate(_ROLLED)[::-1], 2)
    except ValueError:  # a day with more marks than the table names
        return _bits(i for i, c in enumerate(marked) if c != NONE)


def _hex(bits: int) -> str:
    return format(bits, "x")


def board_figures(summary: SchoolSummary) -> BoardFigures:
    """A school year as a board's row counts it (``derived_figures``)."""
    return derived_figures(summary, school=False)[0]


def derived_figures(summary: SchoolSummary, *, school: bool = True) -> tuple[BoardFigures, SchoolFigures]:
    """A school year as a board's row counts it and as its own dashboard does, from the school's summary
    (both saved beside it: ``DashboardSummary.companions``). Every count but those of today (the rolls
    not taken, the days without a roll, the last 30 days, the health examinations overdue) is computed
    here once; the runs of absence (streaks, §20 candidates) as they stand on any day from ``horizon``
    (the last day with a roll, a class closure or a mark), so that a read of a later day takes them as
    they are. ``school``: whether to count the school's own figures (else they are left empty)."""
    year = summary["year"]
    absent = absent_days(summary)
    movers = set(summary["arrivals"]) | set(summary.get("departures") or {})
    moved = {sid: [absent.get(sid, 0), int(m[-4:-1])] for sid, m in sorted(summary["marks"].items())
             if sid in movers and m}
    deadline = f"{year}-{HEALTH_DEADLINE}"
    exams = list(summary["health"].values())
    tallies: dict[str, tuple[int, int]] = {}
    for key, t in summary["classes"].items():
        counts = t["counts"]
        tallies[key] = (sum(counts.get(c, 0) for c in PRESENT_CODES), sum(counts.get(c, 0) for c in ABSENT))
    present_total, absent_total = sum(p for p, _ in tallies.values()), sum(a for _, a in tallies.values())
    children = sum(len(ids) for ids in summary["children"].values()) // SID
    calendar = summary.get("calendar")
    examined, on_time = len(exams), sum(1 for e in exams if e[:10] <= deadline)
    follow_up = sum(1 for e in exams if e.endswith("!"))
    board = BoardFigures(
        calendar=calendar is not None, horizon=-1, children=children, classes=len(summary["classes"]),
        present=present_total, absent=absent_total, streaks=0, notice=0,
        long_absence=sum(1 for sid, n in absent.items() if n >= LONG_ABSENCE_DAYS and sid not in movers),
        movers=moved, examined=examined, by_deadline=on_time, follow_up=follow_up,
        assessed={term: sum(subjects.values()) for term, subjects in sorted(summary["assessed"].items())},
        days={}, plain={}, others=[])
    own = SchoolFigures(calendar=calendar is not None, horizon=-1, children=children, present=present_total,
                        absent=absent_total, streaks=0, examined=examined, by_deadline=on_time, follow_up=follow_up,
                        assessed={term: dict(sorted(subjects.items()))
                                  for term, subjects in sorted(summary["assessed"].items())},
                        days={}, classes=[], candidates=[], arrived={})
    if calendar is None:
        return board, own
    at = _positions(year)
    years = _Classes(summary, calendar, FAR)  # type: ignore[arg-type]
    runs = school_runs(summary, years, absent=absent)
    streaking = {sid for sid, (_, now) in runs.items() if now and now["days"] >= STREAK}
    board["streaks"] = own["streaks"] = len(streaking)
    board["notice"] = sum(1 for sid, (r, _) in runs.items() if notice_due(r, absent[sid], summary["marks"][sid]))
    inst = _bits(at[d] for d in calendar["instructional_days"] if d in at)
    closures = calendar["closures"]
    shut = _bits(at[c["on"]] for c in closures if c["scope"] == "school" and c["on"] in at)
    horizon = max((int(m[-4:-1]) for m in summary["marks"].values() if m), default=-1)
    built = set(years._built)
    for key, t in sorted(summary["classes"].items(), key=lambda kv: (kv[1]["grade"], kv[1]["class_name"])):
        g = str(t["grade"])
        if g not in board["days"]:
            off = shut | _bits(at[c["on"]] for c in closures
                               if c["scope"] == "grade" and c["grade"] == t["grade"] and c["on"] in at)
            board["days"][g] = _hex(inst & ~off)
        rolled = _rolled(t["marked"])
        closed = _bits(at[c["on"]] for c in closures if c["scope"] == "class" and c["grade"] == t["grade"]
                       and c["class_name"] == t["class_name"] and c["on"] in at)
        horizon = max(horizon, rolled.bit_length() - 1, closed.bit_length() - 1)
        if not rolled and not closed:
            board["plain"][g] = board["plain"].get(g, 0) + 1
        else:
            board["others"].append(FiguresClass(grade=t["grade"], rolled=_hex(rolled), closed=_hex(closed),
                                                built=key in built))
        if school:
            mine = members(summary["children"].get(key, ""))
            recent: dict[int, list[int]] = {}
            for sid in mine:
                m = summary["marks"].get(sid, "")
                for i in range(0, len(m), 4):
                    letter = m[i + 3]
                    if letter in ABSENT_LETTERS or letter in EXCUSED_LETTERS:
                        day = recent.setdefault(int(m[i:i + 3]), [0, 0])
                        day[0 if letter in ABSENT_LETTERS else 1] += 1
            p, a = tallies[key]
            own["classes"].append(SchoolClassFigures(
                grade=t["grade"], class_name=t["class_name"], present=p, absent=a, children=len(mine),
                streaks=sum(1 for sid in mine if sid in streaking), rolled=_hex(rolled), closed=_hex(closed),
                marked=t["marked"] if rolled else "", recent=[[d, *n] for d, n in sorted(recent.items())]))
    board["horizon"] = own["horizon"] = horizon
    own["days"] = board["days"]
    if school:
        came = summary["arrivals"]
        own["candidates"] = sorted(
            {sid for sid, (found, _) in runs.items() if any(r["days"] >= NOTICE_RUN for r in found)}
            | {sid for sid, n in absent.items() if n >= LONG_ABSENCE_DAYS})
        own["arrived"] = {sid: [came[sid], n] for sid, n in sorted(absent.items()) if sid in came}
    return board, own


def school_counts(f: SchoolFigures, year: int, today: str) -> Form:
    """A school's figures for its own dashboard from its saved figures, for a day from their ``horizon``
    on (the same as ``school_figures`` counts from the summary and the calendar, but 長期欠席 and the §20
    candidates, which the school's dashboard counts on its named list)."""
    t, in_year = _today_at(year, today)
    upto = (1 << (t + 1)) - 1 if t >= 0 else 0
    since = (date.fromisoformat(today) - timedelta(days=WINDOW - 1)).isoformat()
    since_at, today_at = day_index(year, since), day_index(year, today)
    grades = {g: int(mask, 16) & upto for g, mask in f["days"].items()}
    classes: list[Form] = []
    for c in f["classes"]:
        rolled, closed = int(c["rolled"], 16), int(c["closed"], 16) & upto
        days = grades[str(c["grade"])] & ~closed
        school_day = in_year and bool(days >> t & 1)
        a30 = e30 = 0
        for d, a, e in c["recent"]:
            if since_at <= d <= today_at:
                a30, e30 = a30 + a, e30 + e
        marked = c["marked"]
        m30 = sum(ord(marked[i]) - 48 for i in range(max(0, since_at), t + 1) if days >> i & 1) if marked else 0
        m30 -= e30
        classes.append({"grade": c["grade"], "class_name": c["class_name"], "present": c["present"],
                        "absent": c["absent"], "attendance_rate": rate(c["present"], c["absent"]),
                        "taken_today": school_day and bool(rolled >> t & 1), "school_day_today": school_day,
                        "unrecorded_days": (days & ~rolled).bit_count(), "children": c["children"],
                        "absence_ratio_30": round(a30 / m30, 4) if m30 > 0 else None, "streaks": c["streaks"]})
    children, examined, on_time = f["children"], f["examined"], f["by_deadline"]
    not_done = max(0, children - examined)
    return {"classes": classes, "children": children, "present": f["present"], "absent": f["absent"],
            "attendance_rate": rate(f["present"], f["absent"]),
            "rolls_not_taken_today": [{"grade": c["grade"], "class_name": c["class_name"]} for c in classes
                                      if c["school_day_today"] and not c["taken_today"]],
            "long_absence": 0, "notice_candidates": 0, "streaks": f["streaks"],
            "unrecorded_days": sum(c["unrecorded_days"] for c in classes),
            "health": {"examined": examined, "by_deadline": on_time, "late": examined - on_time, "not_done": not_done,
                       "overdue": not_done if today > f"{year}-{HEALTH_DEADLINE}" else 0,
                       "follow_up": f["follow_up"], "completion": round(examined / children, 4) if children else None},
            "assessments": {term: {subject: {"entries": n, "completion": round(n / children, 4) if children else None}
                                   for subject, n in subjects.items()}
                            for term, subjects in f["assessed"].items()}}


def _today_at(year: int, today: str) -> tuple[int, bool]:
    """Today's position from 1 April (365 after the year, -1 before it) and whether it is a day of the year."""
    at = _positions(year)
    if today in at:
        return at[today], True
    return (365 if today > f"{year}-04-01" else -1), False


def _zeros() -> Form:
    return {"children": 0, "classes": 0, "present": 0, "absent": 0, "attendance_rate": None,
            "rolls_not_taken_today": 0, "unrecorded_days": 0, "streaks": 0, "long_absence": 0,
            "notice_candidates": 0,
            "health": {"examined": 0, "by_deadline": 0, "late": 0, "not_done": 0, "overdue": 0, "follow_up": 0,
                       "completion": None},
            "assessments": {}}


def figures_row(f: BoardFigures, year: int, today: str, long_absence: int) -> Form:
    """A school's row of the board from its figures, for a day from their ``horizon`` on (the same row
    ``school_figures`` counts from the summary and the calendar)."""
    if not f["calendar"]:
        return _zeros()
    t, in_year = _today_at(year, today)
    upto = (1 << (t + 1)) - 1 if t >= 0 else 0
    not_taken = unrecorded = 0
    grades: dict[str, tuple[int, bool]] = {}
    for g, mask in f["days"].items():
        days = int(mask, 16) & upto
        grades[g] = (days, in_year and bool(days >> t & 1))
    for g, n in f["plain"].items():
        days, school_day = grades[g]
        unrecorded += n * days.bit_count()
        not_taken += n if school_day else 0
    for c in f["others"]:
        days, _ = grades[str(c["grade"])]
        if not days:
            continue
        rolled, closed = int(c["rolled"], 16), int(c["closed"], 16) & upto
        if c["built"]:  # counted day by day (``_ClassYear``): the class's own school days
            mine = days & ~closed
            school_day = in_year and bool(mine >> t & 1)
            unrecorded += (mine & ~rolled).bit_count()
        else:  # counted on the string of marks (``_Classes.counts``)
            at = t if in_year else days.bit_length() - 1
            school_day = in_year and bool(days >> t & 1) and not closed >> t & 1
            unrecorded += max(0, days.bit_count() - closed.bit_count() - (rolled & ((1 << (at + 1)) - 1)).bit_count())
        not_taken += int(school_day and not rolled >> t & 1)
    children, examined, on_time = f["children"], f["examined"], f["by_deadline"]
    not_done = max(0, children - examined)
    return {"children": children, "classes": f["classes"], "present": f["present"], "absent": f["absent"],
            "attendance_rate": rate(f["present"], f["absent"]), "rolls_not_taken_today": not_taken,
            "unrecorded_days": unrecorded, "streaks": f["streaks"], "long_absence": long_absence,
            "notice_candidates": f["notice"],
            "health": {"examined": examined, "by_deadline": on_time, "late": examined - on_time, "not_done": not_done,
                       "overdue": not_done if today > f"{year}-{HEALTH_DEADLINE}" else 0,
                       "follow_up": f["follow_up"], "completion": round(examined / children, 4) if children else None},
            "assessments": dict(f["assessed"])}


def summary_row(summary: SchoolSummary, today: str, long_absence: int) -> Form:
    """A school's row of the board counted from its summary day by day (``school_figures``): for a day
    before its figures' horizon."""
    calendar = summary.get("calendar")
    if calendar is None:
        return _zeros()
    f = school_figures(summary, calendar, today, set(), detail=False)  # type: ignore[arg-type]
    return {"children": f["children"], "classes": len(f["classes"]), "present": f["present"], "absent": f["absent"],
            "attendance_rate": f["attendance_rate"], "rolls_not_taken_today": len(f["rolls_not_taken_today"]),
            "unrecorded_days": f["unrecorded_days"], "streaks": f["streaks"], "long_absence": long_absence,
            "notice_candidates": f["notice_candidates"], "health": f["health"],
            "assessments": {t: sum(s["entries"] for s in subjects.values())
                            for t, subjects in f["assessments"].items()}}


def board_long_absence(figures: dict[str, BoardFigures]) -> Counter[str]:
    """長期欠席 by school of the board (§3.3: a child's days at every school of the year): those who stayed at
    one school counted there; a child who moved between schools of the ledger counted once, with their
    days summed over the board's schools, at the school of their latest mark (``figures`` in code order)."""
    counted: Counter[str] = Counter({code: f["long_absence"] for code, f in figures.items()})
    total: Counter[str] = Counter()
    latest: dict[str, tuple[int, str]] = {}
    for code, f in figures.items():
        for sid, (n, last) in f["movers"].items():
            total[sid] += n
            if sid not in latest or last > latest[sid][0]:
                latest[sid] = (last, code)
    for sid, n in total.items():
        if n >= LONG_ABSENCE_DAYS:
            counted[latest[sid][1]] += 1
    return counted


def by_grade(classes: list[Form]) -> list[Form]:
    out: dict[int, Form] = {}
    for c in classes:
        g = out.setdefault(c["grade"], {"grade": c["grade"], "children": 0, "present": 0, "absent": 0,
                                        "unrecorded_days": 0, "streaks": 0, "rolls_not_taken_today": 0})
        for k in ("children", "present", "absent", "unrecorded_days", "streaks"):
            g[k] += c[k]
        g["rolls_not_taken_today"] += int(c["school_day_today"] and not c["taken_today"])
    return [{**g, "attendance_rate": rate(g["present"], g["absent"])} for _, g in sorted(out.items())]


class Dashboards:
    """The four dashboards, read today or as known at a past point, beside the forms they share reads with."""

    def __init__(self, forms: Forms) -> None:
        self.forms = forms
        self.runner = forms.runner

    def child(self, student_id: UUID | str, year: int | None = None, *, school: str | None = None,
              as_of: Cutoff = NOW) -> Form | None:
        file = self.forms.file(student_id, school, as_of, health=True)
        if file is None:
            return None
        years = file.years()
        year = year if year is not None else (years[-1] if years else school_years.year_of(
            date.fromisoformat(file.through) if file.through < "9999" else date.today()))
        view = child(file, year, file.through)
        schools = dict.fromkeys(p["school_code"] for p in file.places(year))  # the school(s) of the year it reads
        mine = [a for code in schools for a in alerts_of(self.runner, code, year, as_of)["alerts"]
                if a["student_id"] == file.student_id]
        return {**view, "alerts": split(mine)}

    def klass(self, school: str, year: int, grade: int, class_name: str, *, as_of: Cutoff = NOW) -> Form | None:
        class_key = f"class/{streams.school_class(school, year, grade, class_name)}"
        cal_key = calendar_key(school, year)
        first = read(self.runner, {"roster": [class_key], "attendance_register": [cal_key]}, as_of)
        roster, calendar = first["roster"].get(class_key), first["attendance_register"].get(cal_key)
        if roster is None or calendar is None:
            return None
        firsts = school_years.month_firsts(year)
        keys = [codes_key(school, year, grade, class_name, f) for f in firsts]
        wanted = {"roster": [f"student/{sid}" for sid in roster["placements"]], "attendance_index": keys}
        if as_of.today:
            docs = read(self.runner, wanted, as_of)
        else:  # the class-months replayed from the class's children's student-day streams (as the 出席簿)
            by_month: dict[str, list[str]] = {}
            for d in calendar["instructional_days"]:
                by_month.setdefault(d[:7], []).append(d)
            known = {("attendance_index", key): [i for sid in roster["placements"] for i in streams.attendance_days(
                UUID(sid), by_month.get(key[-7:], []))] for key in keys}
            docs = self.runner.replay_documents(wanted, as_of, known)
        index = [docs["attendance_index"].get(k) for k in keys]
        today = self.forms.through(as_of)
        names = {k.removeprefix("student/"): d.get("name") for k, d in docs["roster"].items()}
        ours = [a for a in alerts_of(self.runner, school, year, as_of)["alerts"]
                if a["grade"] == grade and a["class_name"] == class_name]
        return {**klass(roster, docs["roster"], calendar, index, today),
                "school_name": self.forms._school_name(school, as_of), "alerts": split(ours, names)}

    def school(self, school: str, year: int, *, as_of: Cutoff = NOW) -> Form | None:
        today = self.forms.through(as_of)
        if as_of.today:  # the figures saved beside the summary, when they hold for today
            docs = read(self.runner, {"dashboards": [f"classes/{school}/{year}"],
                                      "enrollment_record": [school_key(school)]}, as_of)
            record = docs["enrollment_record"].get(school_key(school))
            if record is None:
                return None
            saved = docs["dashboards"].get(f"classes/{school}/{year}")
            if saved is not None and (not saved["calendar"] or _today_at(year, today)[0] >= saved["horizon"]):
                return self._school(school, year, record, saved, today, as_of)
        docs = read(self.runner, {"dashboards": [summary_key(school, year)],
                                  "attendance_register": [calendar_key(school, year)],
                                  "enrollment_record": [school_key(school)]}, as_of)
        record = docs["enrollment_record"].get(school_key(school))
        if record is None:
            return None
        summary = docs["dashboards"].get(summary_key(school, year))
        calendar = docs["attendance_register"].get(calendar_key(school, year))
        figures_ = school_figures(summary, calendar, today)
        candidates: set[str] = set()
        if summary is not None and calendar is not None:
            # Judged child by child, as the long-absence list judges them, for each child the summaries
            # show near a threshold: a run of seven here, 30 days here, or 30 with the days at the school
            # they came from that year (a 転学 in the ledger).
            absences = absent_days(summary)
            runs = school_runs(summary, _Classes(summary, calendar, today), NOTICE_RUN)
            came = summary["arrivals"]
            before = read(self.runner, {"dashboards": [summary_key(c, year) for c in sorted(set(came.values()))]},
                          as_of)["dashboards"]
            elsewhere = {sid: absent_days(before[summary_key(c, year)]).get(sid, 0) for sid, c in came.items()
                         if summary_key(c, year) in before}
            candidates = {sid for sid, (found, _) in runs.items() if any(r["days"] >= NOTICE_RUN for r in found)}
            candidates |= {sid for sid, n in absences.items() if n + elsewhere.get(sid, 0) >= LONG_ABSENCE_DAYS}
        return self._school_view(school, year, record, figures_, candidates, today, as_of)

    def _school(self, school: str, year: int, record: dict[str, Any], saved: SchoolFigures, today: str,
                as_of: Cutoff) -> Form:
        """The school's dashboard from the figures saved beside its summary (a day from their horizon on)."""
        if not saved["calendar"]:
            return self._school_view(school, year, record, school_figures(None, None, today), set(), today, as_of)
        candidates = set(saved["candidates"])
        arrived = {sid: (str(c), int(n)) for sid, (c, n) in saved["arrived"].items()}
        if arrived:  # their days at the school they came from, from its figures (a mover's days are there)
            codes = sorted({c for c, _ in arrived.values()})
            before = read(self.runner, {"dashboards": [f"figures/{c}/{year}" for c in codes]}, as_of)["dashboards"]
            for sid, (c, n) in arrived.items():
                moved = before.get(f"figures/{c}/{year}", {}).get("movers", {}).get(sid)
                if n + (moved[0] if moved else 0) >= LONG_ABSENCE_DAYS:
                    candidates.add(sid)
        return self._school_view(school, year, record, school_counts(saved, year, today), candidates, today, as_of)

    def _school_view(self, school: str, year: int, record: dict[str, Any], figures_: Form, candidates: set[str],
                     today: str, as_of: Cutoff) -> Form:
        named = []
        for sid in sorted(candidates):
            file = self.forms.file(sid, school, as_of)
            if file is not None:
                row = student_figures(file, year, school)
                if row["long_absence"] or row["runs_of_seven"]:
                    named.append(row)
        named.sort(key=lambda r: (r["grade"], r["class_name"], r["name"], r["student_id"]))
        subjects = {code: label for kind in curriculum.SUBJECTS.values() for code, (label, _) in kind.items()}
        alerts = alerts_of(self.runner, school, year, as_of)["alerts"]
        sids = dict.fromkeys(a["student_id"] for a in alerts)
        who = read(self.runner, {"roster": [f"student/{sid}" for sid in sids]}, as_of)["roster"]
        names = {k.removeprefix("student/"): d.get("name") for k, d in who.items()}
        return {"level": "school", "alerts": {**split(alerts, names), "counts": alert_counts(alerts)},
                "school_code": school, "school_name": record["name"], "year": year,
                "today": today, **figures_, "grades": by_grade(figures_["classes"]),
                "long_absence_list": named,
                "long_absence": sum(1 for r in named if r["long_absence"]),
                "notice_candidates": sum(1 for r in named if r["notice_due"]),
                "subject_labels": subjects, "labels": {**LABELS, "title": "学校のダッシュボード",
                                                       "health_status": HEALTH_STATUS}}

    def board(self, board: str, year: int, *, as_of: Cutoff = NOW) -> Form | None:
        """Per school of the board only aggregates: no child is named, no student id given. None: no
        school was ever registered under the board."""
        listed = read(self.runner, {"dashboards": [board_key(board)]}, as_of)["dashboards"].get(board_key(board))
        if listed is None:
            return None
        ids = listed["schools"]
        records = read(self.runner, {"enrollment_record": [f"school/{i}" for i in ids]}, as_of)["enrollment_record"]
        codes = sorted(r["school_code"] for r in records.values() if r["board_code"] == board)
        names = {r["school_code"]: r["name"] for r in records.values()}
        # the alerts read model's documents themselves (``alerts_of`` would also read each health-exam alert's
        # examination: a board sees counts only, and needs none of them)
        alerts = [alerts_key(c, year) for c in codes]
        today = self.forms.through(as_of)
        if as_of.today:  # the figures saved beside the summaries
            docs = read(self.runner, {"dashboards": [figures_key(c, year) for c in codes], ALERTS: alerts}, as_of)
            figures = {c: docs["dashboards"][figures_key(c, year)] for c in codes
                       if figures_key(c, year) in docs["dashboards"]}
            summaries: dict[str, SchoolSummary] = {}
        else:  # as known then: the summaries replayed, their figures derived as they would have been saved
            docs = read(self.runner, {"dashboards": [summary_key(c, year) for c in codes], ALERTS: alerts}, as_of)
            summaries = {c: docs["dashboards"][summary_key(c, year)] for c in codes
                         if summary_key(c, year) in docs["dashboards"]}
            figures = {c: board_figures(s) for c, s in summaries.items()}
        counted = board_long_absence(figures)
        t, _ = _today_at(year, today)
        early = [c for c, f in figures.items() if f["calendar"] and t < f["horizon"]]
        if early and not summaries:  # a day before the last counted: the runs as they stood that day
            summaries = read(self.runner, {"dashboards": [summary_key(c, year) for c in early]}, as_of)["dashboards"]
            summaries = {c: summaries[summary_key(c, year)] for c in early}
        schools = []
        for code in codes:
            f = figures.get(code)
            row = _zeros() if f is None else summary_row(summaries[code], today, counted[code]) if code in early \
                else figures_row(f, year, today, counted[code])
            schools.append({"school_code": code, "school_name": names[code], **row,
                            "alerts": alert_counts(docs[ALERTS].get(alerts_key(code, year), {}).get("alerts", []))})
        p, a = sum(s["present"] for s in schools), sum(s["absent"] for s in schools)
        return {"level": "board", "board_code": board, "year": year, "today": today, "schools": schools,
                "attendance_rate": rate(p, a), "children": sum(s["children"] for s in schools),
                "long_absence": sum(s["long_absence"] for s in schools),
                "notice_candidates": sum(s["notice_candidates"] for s in schools),
                "rolls_not_taken_today": sum(s["rolls_not_taken_today"] for s in schools),
                "alerts": {"open": sum(s["alerts"]["open"] for s in schools),
                           "acknowledged": sum(s["alerts"]["acknowledged"] for s in schools)},
                "labels": {**LABELS, "title": "教育委員会のダッシュボード"}}
