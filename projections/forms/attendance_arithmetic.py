"""出欠の記録: the arithmetic of the attendance register and the 指導要録 (PRODUCT.md §3.3).

- 授業日数: instructional days of the child's grade while the child was on this class's roll
  (a whole-school or whole-grade closure is not an instructional day at all);
- 出席停止・忌引等: 出席停止, 忌引, days the principal excused, online special lessons, the
  days the child's own class was closed (学級閉鎖: the grade still had school), and 休学 days where
  the board counts them in 授業日数 (ADR 0028; by default they are off the roll and counted nowhere);
- 出席しなければならない日数 = 授業日数 − 出席停止・忌引等;
- 欠席日数: absent for illness or another reason;
- 出席日数 = 出席しなければならない日数 − 欠席日数 − days with no mark yet (shown as unrecorded);
- 遅刻 and 早退 count as present and are tallied; 出席扱い counts as present and is noted (備考).
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from domain.attendance import ABSENT, EXCUSED, PRESENT

D = TypeVar("D", date, str)  # a day, as a date or as its ISO text (the same either way)

__all__ = ["ABSENT", "EXCUSED", "PRESENT", "Tally", "figures_of", "leave_spans", "on_leave", "on_roll", "spans_of",
           "tallies", "tally"]


@dataclass(frozen=True)
class Tally:
    school_days: int = 0  # 授業日数
    excused: int = 0  # 出席停止・忌引等の日数
    required: int = 0  # 出席しなければならない日数
    absent: int = 0  # 欠席日数
    present: int = 0  # 出席日数
    late: int = 0  # 遅刻
    left_early: int = 0  # 早退
    deemed_present: int = 0  # 出席扱い (備考)
    class_closed: int = 0  # of the excused days, those of a 学級閉鎖
    unrecorded: int = 0  # instructional days on the roll without a mark
    on_leave: int = 0  # of the excused days, 休学 days the board counts in 授業日数 (ADR 0028)

    def as_dict(self) -> dict[str, int]:
        return {f: getattr(self, f) for f in FIELDS}


FIELDS = ("school_days", "excused", "required", "absent", "present", "late", "left_early", "deemed_present",
          "class_closed", "unrecorded", "on_leave")


def tally(days: Iterable[D], marks: Mapping[D, str], closed_days: Iterable[D] = (),
          leave_days: Iterable[D] = ()) -> Tally:
    """The figures for one child over ``days`` (the instructional days they were on the roll, and the
    休学 days the board counts).

    ``marks`` maps a day to its current mark code (corrections already applied); ``closed_days``
    are the days the child's class was closed; ``leave_days`` the 休学 days among ``days`` (excused).
    """
    closed, leave = set(closed_days), set(leave_days)
    counts = dict.fromkeys(("school_days", "excused", "absent", "present", "late", "left_early",
                            "deemed_present", "class_closed", "unrecorded", "on_leave"), 0)
    for day in days:
        counts["school_days"] += 1
        if day in leave:
            counts["excused"] += 1
            counts["on_leave"] += 1
            continue
        if day in closed:
            counts["excused"] += 1
            counts["class_closed"] += 1
            continue
        code = marks.get(day)
        if code is None:
            counts["unrecorded"] += 1
        elif code in EXCUSED:
            counts["excused"] += 1
        elif code in ABSENT:
            counts["absent"] += 1
        elif code in PRESENT:
            counts["present"] += 1
            if code in ("late", "left_early", "deemed_present"):
                counts[code] += 1
        else:  # a code this version does not know is shown, not guessed
            counts["unrecorded"] += 1
    required = counts["school_days"] - counts["excused"]
    return Tally(required=required, **counts)


def leave_spans(periods: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """The 休学 spans of a child's roll periods in one class (first day, first day after; ISO): from the
    day a period ended with a leave to the day the child came back (the next period), or left the
    class while on leave (``leave_until``), or open while the leave goes on."""
    spans = []
    for i, p in enumerate(periods):
        if p.get("left_because") == "leave" or "leave_until" in p:
            after = periods[i + 1]["joined_on"] if i + 1 < len(periods) else p.get("leave_until", "9999")
            spans.append((p["left_on"], after))
    return spans


def on_leave(days: Iterable[str], periods: Sequence[Mapping[str, Any]]) -> list[str]:
    """The days (ISO, in the order given) the child was on 休学 from the class (``leave_spans``)."""
    spans = leave_spans(periods)
    return [d for d in days if any(first <= d < after for first, after in spans)] if spans else []


def on_roll(days: Iterable[str], periods: Sequence[Mapping[str, Any]]) -> list[str]:
    """The days (ISO dates, in the order given) within one of a class's roll periods: from the day the
    child joined, up to the day they left (exclusive); a period not yet ended has no ``left_on``."""
    spans = [(p["joined_on"], p.get("left_on", "9999")) for p in periods]
    if len(spans) == 1:
        ((joined, left),) = spans
        return [d for d in days if joined <= d < left]
    return [d for d in days if any(joined <= d < left for joined, left in spans)]


def figures_of(school_days: int, class_closed: int, counts: Mapping[Any, int], on_leave: int = 0) -> dict[str, int]:
    """The figures (``Tally.as_dict()``) of ``school_days`` days counted, ``class_closed`` of them
    closed and ``on_leave`` of them 休学 days the board counts, from the number of the other days with
    each mark code (keys that are not a code this version knows, as an unmarked day, count as unrecorded)."""
    excused = class_closed + on_leave + sum(n for c, n in counts.items() if c in EXCUSED)
    absent = sum(n for c, n in counts.items() if c in ABSENT)
    present = sum(n for c, n in counts.items() if c in PRESENT)
    return {"school_days": school_days, "excused": excused, "required": school_days - excused, "absent": absent,
            "present": present, "late": counts.get("late", 0), "left_early": counts.get("left_early", 0),
            "deemed_present": counts.get("deemed_present", 0), "class_closed": class_closed,
            "unrecorded": school_days - excused - absent - present, "on_leave": on_leave}


_CLOSED = object()  # stands for a closed day among the codes counted
_LEAVE = object()  # and for a 休学 day the board counts


def spans_of(ordered: Sequence[D], spans: Sequence[tuple[D, D]]) -> list[tuple[int, int]]:
    """Each span (first and last day inclusive) as the slice of the sorted ``ordered`` days it holds."""
    out = []
    for first, last in spans:
        start = bisect.bisect_left(ordered, first)
        out.append((start, max(start, bisect.bisect_right(ordered, last))))  # a span ending before it begins: none
    return out


def tallies(days: Iterable[D], marks: Mapping[D, str], closed_days: Iterable[D],
            spans: Sequence[tuple[D, D]], leave_days: Iterable[D] = ()) -> list[Tally]:
    """``tally`` over the days of each span (first and last day inclusive), all at once.

    The same figures as ``[tally([d for d in days if first <= d <= last], marks, closed_days) for first,
    last in spans]``: each span's codes are counted once (a register asks for a month, every term and
    the year of 30 children) instead of being judged day by day. ``leave_days``: the 休学 days among
    ``days`` the board counts (excused, whatever mark the day may hold from before the leave was recorded).
    """
    ordered = sorted(days)
    codes: list[object] = list(map(marks.get, ordered))
    for day in set(closed_days):
        for i in range(bisect.bisect_left(ordered, day), bisect.bisect_right(ordered, day)):
            codes[i] = _CLOSED
    for day in set(leave_days):
        for i in range(bisect.bisect_left(ordered, day), bisect.bisect_right(ordered, day)):
            codes[i] = _LEAVE
    out = []
    for start, stop in spans_of(ordered, spans):
        counts = Counter(codes[start:stop])
        closed, leave = counts.pop(_CLOSED, 0), counts.pop(_LEAVE, 0)
        out.append(Tally(**figures_of(stop - start, closed, counts, leave)))
    return out
