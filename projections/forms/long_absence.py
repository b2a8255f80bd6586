"""Long absence (長期欠席) and the 7-day notice: facts a principal and a board must act on.

- 長期欠席: 30 or more days absent in the school year (欠席日数 of the 出欠 arithmetic, at every
  school of the child's year, not only the listing school's), continuously or not
  (reference/domain-japan.md §3.3).
- The 7-day notice (学校教育法施行令 §20): a child absent seven school days in a row (days off
  school do not break a run; days the child had no duty to attend do) obliges the principal to
  notify the board unless the guardian has good reason. Illness is the usual good reason, so a
  run made only of 欠席(病気) days is shown but not flagged; a run with any other absence is
  flagged for the principal to judge. Days not yet marked break no run and make none. §20 also
  covers "その他出席状況が良好でない場合": a 長期欠席 with any absence other than illness is flagged
  too, so the count to notify agrees with the rows listed.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.attendance import ABSENT
from domain.board import LONG_ABSENCE_DAYS, NOTICE_RUN_DAYS
from projections.base import Form
from projections.enrollment_record import Placement
from projections.forms.attendance_record import days_on_roll, figures
from projections.forms.student_file import StudentFile

NOTICE_RUN = NOTICE_RUN_DAYS  # the law's numbers (domain/board.py: a board's alerts may watch earlier)


def absence_runs(days: list[str], codes: dict[str, str], closed: set[str]) -> list[Form]:
    """Runs of consecutive school days absent, each with its first and last day and kinds of absence
    (``codes``: the mark code of each marked day)."""
    runs: list[list[str]] = []
    current: list[str] = []
    for d in days:
        code = codes.get(d)
        if code in ABSENT and d not in closed:
            current.append(d)
        elif code is not None or d in closed:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    return [{"from": r[0], "to": r[-1], "days": len(r),
             "illness_only": all(codes[d] == "absent_illness" for d in r)} for r in runs]


@dataclass
class AbsenceDays:
    """A child's school days of a year at every school they were at, as the runs and counts read them."""

    days: list[str]  # the days on a roll, in order
    span: list[str]  # the school days from the first day on a roll to the last
    codes: dict[str, str]  # the mark code of each marked day
    closed: set[str]  # the child's class closed (学級閉鎖): no absence, and a run is neither broken nor extended
    breaks: set[str]  # days that break a run: closed, or a school day off the roll (休学)
    placements: dict[str, Placement]  # the class the child was on the roll of, by day

    def runs(self) -> list[Form]:
        return absence_runs(self.span, self.codes, self.breaks)

    def absent(self) -> list[str]:
        """The days counted as 欠席, in order."""
        return [d for d in self.days if self.codes.get(d) in ABSENT and d not in self.closed]


def absence_days(file: StudentFile, year: int) -> AbsenceDays:
    """The child's days of a year (up to ``file.through``) with their marks, closures and breaks."""
    marks = file.attendance.get(year)
    codes: dict[str, str] = marks["codes"] if marks else {}
    days: list[str] = []
    closed: set[str] = set()
    school_days: set[str] = set()
    placements: dict[str, Placement] = {}
    for p, on_roll in days_on_roll(file, year):
        days += on_roll
        placements.update(dict.fromkeys(on_roll, p))
        calendar = file.calendars[f"{p['school_code']}/{year}"]
        # a closure of this class, on the days the child was on its roll (not once they were in another class)
        closed |= {c["on"] for c in calendar["closures"]
                   if c["scope"] == "class" and c["grade"] == p["grade"] and c["class_name"] == p["class_name"]
                   } & set(on_roll)
        shut = {c["on"] for c in calendar["closures"]
                if c["scope"] == "school" or (c["scope"] == "grade" and c["grade"] == p["grade"])}
        # a closed school is like a weekend; a day not yet come is in no run
        school_days |= {d for d in calendar["instructional_days"] if d <= file.through} - shut
    on_roll_days = set(days)
    days = sorted(on_roll_days)
    # Between the first and last day on the roll, a school day off it (休学) breaks a run like a
    # closed day: the child had no duty to attend.
    span = sorted(d for d in school_days if days and days[0] <= d <= days[-1])
    off_roll = {d for d in span if d not in on_roll_days}
    return AbsenceDays(days, span, codes, closed, closed | off_roll, placements)


def student_figures(file: StudentFile, year: int, school_code: str) -> Form:
    """One child's absence in a year at every school they were at (listed by ``school_code``), and
    whether either threshold is met."""
    found = absence_days(file, year)
    codes, days, closed = found.codes, found.days, found.closed
    by_reason = {code: sum(1 for d in days if codes.get(d) == code and d not in closed) for code in sorted(ABSENT)}
    runs = [r for r in found.runs() if r["days"] >= NOTICE_RUN]
    total = figures(file, year)  # every school of the year (§3.3: the child's year, not one school's)
    who = file.student["identity"]
    # The class the child was last in at this school (a child who moved on that year has a later one elsewhere).
    here = [p for p in file.places(year) if p["school_code"] == school_code] or file.places(year)
    return {"student_id": file.student_id, "name": f"{who['family_name']} {who['given_name']}",
            "grade": here[-1]["grade"], "class_name": here[-1]["class_name"],
            "absent": total["absent"], "absent_by_reason": by_reason, "deemed_present": total["deemed_present"],
            "long_absence": total["absent"] >= LONG_ABSENCE_DAYS, "runs_of_seven": runs,
            "notice_due": any(not r["illness_only"] for r in runs)
            or (total["absent"] >= LONG_ABSENCE_DAYS and by_reason["absent_other"] > 0)}


def compose(school_code: str, year: int, files: list[StudentFile]) -> Form:
    """A school's year: every child meeting a threshold, and the counts a board reports."""
    rows = [f for f in (student_figures(file, year, school_code) for file in files)
            if f["long_absence"] or f["runs_of_seven"]]
    rows.sort(key=lambda r: (r["grade"], r["class_name"], r["name"], r["student_id"]))
    return {"school_code": school_code, "year": year, "thresholds": {"long_absence_days": LONG_ABSENCE_DAYS,
                                                                     "consecutive_days": NOTICE_RUN},
            "students": rows, "long_absence_count": sum(1 for r in rows if r["long_absence"]),
            "notice_due_count": sum(1 for r in rows if r["notice_due"]),
            "labels": {"title": "長期欠席・連続欠席の状況", "absent": "欠席日数", "long_absence": "長期欠席(30日以上)",
                       "runs_of_seven": "連続7日以上の欠席", "notice_due": "教育委員会への通知"}}
