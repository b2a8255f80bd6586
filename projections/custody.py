"""Who holds which part of a child's record after hand-overs, and as what (PRODUCT.md §3.4).

A school reads its own periods as the originals. It reads the periods of the schools before it
as it received them: the full copy (写し) after a transfer (転学), the abstract (抄本) after an
advancement (進学) — and a copy of a copy stays a copy, while anything before an advancement stays
an abstract. It does not read what happened after the child left it. An auditor reads everything.
The attendance register is never part of what a school receives.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain import school_year as school_years
from projections.base import Document

ORIGINAL, COPY, ABSTRACT = "original", "copy", "abstract"


@dataclass(frozen=True)
class View:
    """How one reader sees each period of the child's record (None: the whole record, as originals)."""

    modes: tuple[str | None, ...] | None  # per period of custody: original, copy, abstract or None (hidden)
    periods: tuple[Document, ...]

    def mode(self, school_code: str, year: int) -> str | None:
        """How a school year's records kept at a school are seen (None: not at all)."""
        first, last = school_years.bounds(year)
        found = None
        for i, p in enumerate(self.periods):
            if p["school_code"] == school_code and p["began_on"] <= last and p.get("ended_on", "9999") >= first:
                found = ORIGINAL if self.modes is None else self.modes[i]
        return found

    def sees_first_period(self) -> bool:
        return self.modes is None or (bool(self.modes) and self.modes[0] is not None)


def periods_of(student: Document, *, leaving: bool = True) -> list[Document]:
    """The child's periods of custody in order; a move out of the ledger ends with the outside school."""
    periods = [dict(e) for e in student["enrollments"]]
    for move in student.get("moves", []):
        if move["external"] and leaving:
            periods.append({"school_code": move["to_school"], "began_on": move["accepted_on"],
                            "came_by": move["kind"], "external": True})
    return periods


def view_for(student: Document, school: str | None) -> View:
    """The view of a reader at ``school`` (None: an auditor's whole record)."""
    periods = periods_of(student)
    if school is None:
        return View(None, tuple(periods))
    mine = [i for i, p in enumerate(periods) if p["school_code"] == school]
    if not mine:
        return View(tuple(None for _ in periods), tuple(periods))
    modes: list[str | None] = []
    for i, p in enumerate(periods):
        if p["school_code"] == school:
            modes.append(ORIGINAL)
        elif i > mine[-1]:
            modes.append(None)
        else:
            arrival = min(j for j in mine if j > i)
            advanced = any(periods[j].get("came_by") == "advancement" for j in range(i + 1, arrival + 1))
            modes.append(ABSTRACT if advanced else COPY)
    return View(tuple(modes), tuple(periods))
