"""Custody of a child's record: one set of rules for the policy and the forms (PRODUCT.md §2 promises
4 and 5, §3.4, §3.5; ADR 0019).

A child's record is a sequence of periods of custody, in order, each its own: A→B→A within one
year is three periods. From them follow
- which school held the child on a day (``school_on``), and which school may write that day's
  records (``writer``): only the school that held the child that day, and only while it holds the
  child's record (the sending school keeps its originals read-only);
- how a reader at a school sees each period (``modes``): its own periods as the originals; the
  periods of the schools before it as it received them, the full copy (写し) after a transfer
  (転学) and the abstract (抄本) once an advancement (進学) lies between — a copy of a copy stays a
  copy, anything before an advancement stays an abstract; nothing after its own last period;
- up to which point a school that no longer holds the child reads it (``passed_at``): as it stood
  when custody passed from its last period (the hand-over event), never what the schools after
  it recorded.

The functions are pure: periods come from the domain state (``periods``) or, in the projections,
from the enrollment record documents (projections/forms/custody.py builds the same ``Period``s).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.student import Student

ORIGINAL, COPY, ABSTRACT = "original", "copy", "abstract"
_RANK = {None: 0, ABSTRACT: 1, COPY: 2, ORIGINAL: 3}


@dataclass(frozen=True)
class Period:
    """One period in one school's custody."""

    school_code: str
    began_on: date
    ended_on: date | None = None  # the last day (a transfer: the day before the receiving school accepted)
    came_by: str = ""  # how custody came to this school: "" (admission), "transfer", "advancement"
    external: bool = False  # a school outside this ledger: the child left the ledger for it
    passed_at: int | None = None  # the student-stream version of the hand-over that ended custody here

    def overlaps(self, first: date, last: date) -> bool:
        return self.began_on <= last and (self.ended_on is None or self.ended_on >= first)


def periods(student: Student) -> list[Period]:
    """The child's periods of custody in order; a move out of the ledger ends with the outside school."""
    out = [Period(e.school_code, e.began_on, e.ended_on, e.came_by, False, e.passed_at) for e in student.enrollments]
    if student.left_to is not None:
        out.append(Period(student.left_to.school_code, student.left_to.began_on, came_by=student.left_to.came_by,
                          external=True))
    return out


def holder(ps: Sequence[Period]) -> str | None:
    """The school that holds the child's record now: the last school, even after graduation or withdrawal
    (corrections, the seal); none once the child was handed over out of the ledger."""
    return ps[-1].school_code if ps and not ps[-1].external else None


def schools(ps: Sequence[Period]) -> list[str]:
    """The schools of this ledger that held the child, in the order they first did."""
    return list(dict.fromkeys(p.school_code for p in ps if not p.external))


def school_on(ps: Sequence[Period], day: date) -> str | None:
    """The school in whose custody ``day`` falls: the last period begun on or before it (the days
    between a graduation and the next school's first day stay with the school graduated from); a
    day before the first period falls to the first school (whose own rules refuse it)."""
    found = None
    for p in ps:
        if p.began_on <= day:
            found = p
    found = found or (ps[0] if ps else None)
    return found.school_code if found is not None and not found.external else None


def writer(ps: Sequence[Period], day: date | None = None) -> str | None:
    """The school that may write the records of ``day`` (None: the child's own record, e.g. identity):
    the school that held the child that day, while it holds the child's record now; else none."""
    now = holder(ps)
    if day is None:
        return now
    return now if school_on(ps, day) == now else None


def modes(ps: Sequence[Period], reader: str | None) -> tuple[str | None, ...]:
    """How a reader at school ``reader`` sees each period (None: hidden); ``reader`` None: the whole
    record, every period as the original (an auditor of the whole ledger)."""
    if reader is None:
        return tuple(ORIGINAL for _ in ps)
    mine = [i for i, p in enumerate(ps) if p.school_code == reader]  # (an outside school: what its packet carries)
    out: list[str | None] = []
    for i, _p in enumerate(ps):
        if i in mine:
            out.append(ORIGINAL)
        elif not mine or i > mine[-1]:
            out.append(None)
        else:
            arrival = min(j for j in mine if j > i)
            advanced = any(ps[j].came_by == "advancement" for j in range(i + 1, arrival + 1))
            out.append(ABSTRACT if advanced else COPY)
    return tuple(out)


def mode(ps: Sequence[Period], reader: str | None, school: str, first: date, last: date) -> str | None:
    """How a reader sees what ``school`` recorded between ``first`` and ``last`` (a school year): the
    fullest of the modes of that school's periods overlapping those days (A→B→A: B reads A's first
    period as the copy, though A's later period is hidden from it)."""
    seen = modes(ps, reader)
    best: str | None = None
    for p, m in zip(ps, seen, strict=True):
        if p.school_code == school and p.overlaps(first, last) and _RANK[m] > _RANK[best]:
            best = m
    return best


def abstract_part(ps: Sequence[Period], reader: str | None) -> tuple[str, date] | None:
    """When the reader sees the earlier periods as the abstract (抄本: a 進学 lies between; ADR 0027): the
    school the child advanced from (the last period seen as the abstract), whose own final year the
    abstract carries, and the first day after the abstract part (what is dated before it, and every copy
    received in it, is not part of what the reader sees). None: no period is seen as the abstract."""
    seen = modes(ps, reader)
    last = max((i for i, m in enumerate(seen) if m == ABSTRACT), default=None)
    if last is None or last + 1 >= len(ps):
        return None
    return ps[last].school_code, ps[last + 1].began_on


def holds_a_period(ps: Sequence[Period], reader: str | None) -> bool:
    """Whether the reader is a school of this ledger that held the child (not only a school outside it
    that a packet is composed for)."""
    return reader is None or any(p.school_code == reader and not p.external for p in ps)


def sees_first_period(ps: Sequence[Period], reader: str | None) -> bool:
    """Whether the reader sees the child's first period here (then also what the child brought with them)."""
    seen = modes(ps, reader)
    return bool(seen) and seen[0] is not None


def passed_at(ps: Sequence[Period], school: str | None) -> int | None:
    """The student-stream version of the hand-over that ended ``school``'s last period, when the child
    has left it: that school reads the record as it stood then. None: it holds the child (or ``school``
    is None, the whole record)."""
    if school is None:
        return None
    mine = [p for p in ps if p.school_code == school and not p.external]
    return mine[-1].passed_at if mine else None
