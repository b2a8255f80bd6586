"""名簿: a class's roll as read (出席番号, name, kana, the days on the roll), from the roster read model
(projections/roster.py: the class's placements and each child's name, composed when read so a
change of name shows in every roster at once). Printed by roster.html beside this module.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain import streams
from projections.base import Form
from projections.roster import RosterClass, RosterStudent
from projections.store import DocumentStore


def roster(store: DocumentStore, school_code: str, year: int, grade: int, class_name: str,
           on: date | None = None) -> dict[str, Any] | None:
    """The class's roster from today's read model (see ``compose``)."""
    doc = store.get("roster", f"class/{streams.school_class(school_code, year, grade, class_name)}")
    if doc is None:
        return None
    return compose(doc, store.get_many("roster", [f"student/{sid}" for sid in doc["placements"]]), on)


def compose(doc: RosterClass, students: dict[str, RosterStudent], on: date | None = None) -> Form:
    """The class's roster: every student placed in it (or only those on the roll ``on`` a day)."""
    rows = []
    for sid, periods in doc["placements"].items():
        for period in periods:
            if on is not None and not (period["joined_on"] <= on.isoformat() < period.get("left_on", "9999")):
                continue
            rows.append({"student_id": sid, **period, **(students.get(f"student/{sid}") or {})})
    rows.sort(key=lambda r: (r["number"], r["joined_on"]))
    return {k: v for k, v in doc.items() if k != "placements"} | {"students": rows}
