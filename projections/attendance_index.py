"""The marks in brief: each class-month's mark codes per child, the 出欠 arithmetic's input.

Documents: ``codes/<school>/<year>/<grade>/<class>/<YYYY-MM>``, about 2 KB for a class of 30:

- ``month``: the YYYY-MM;
- ``days``: per child, one letter per day of the month (31, the first for the 1st): the current
  code of that day's mark (``LETTERS``), a space where there is none, ``?`` for a code this
  version has no letter for (its code is then in ``others``);
- ``facilities``: per child, the facility of each deemed-present day (only when there is one);
- ``others``: per child, the codes shown as ``?`` (only when there is one).

That is what the 指導要録, the report card and the long-absence figures use of a mark, and what the
出席簿 counts its month, term and year totals from. The register's own month, with the full
entries (reason, authority, who recorded it, the correction trail), is read from its class-month
document in projections/attendance_register.py; nothing reads a year of every child's full
entries (about 70 KB a class-month). A child's year is read from the class-months of the classes
they were in (a per-child copy rewrote each child's growing year on every page of a rebuild: ADR
0013), and a past point replays them from the child's own student-day streams.

The keys of a school year's documents also say who has marks at the school that year (the
long-absence list): ``keys_with_prefix(school_prefix(...))``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any, Literal, NotRequired, TypedDict

from domain.attendance import ABSENT, EXCUSED, PRESENT, AttendanceCorrected, AttendanceMarked
from domain.event import Event
from projections.base import day_text, id_text


class MonthCodes(TypedDict):
    """``codes/<school>/<year>/<grade>/<class>/<YYYY-MM>``."""

    month: str
    days: dict[str, str]  # per child, 31 letters
    facilities: NotRequired[dict[str, dict[str, str]]]  # per child, by ISO day
    others: NotRequired[dict[str, dict[str, str]]]  # per child, by ISO day: codes without a letter

LETTERS = {"present": "P", "late": "L", "left_early": "E", "deemed_present": "D", "absent_illness": "I",
           "absent_other": "A", "suspended": "S", "mourning": "M", "online_special": "O", "other_excused": "X"}
CODES = {letter: code for code, letter in LETTERS.items()}
UNKNOWN, NONE, MONTH = "?", " ", 31
BLANK = NONE * MONTH
assert set(LETTERS) >= PRESENT | ABSENT | EXCUSED, "every code the arithmetic counts has a letter"
_SUFFIX = [f"-{d:02d}" for d in range(1, MONTH + 1)]


def class_month(event: AttendanceMarked | AttendanceCorrected) -> str:
    """The tail of the keys of a mark's class-month here and in the register:
    ``<school>/<year>/<grade>/<class>/<YYYY-MM>`` (``codes_key``, inline: it runs for every mark)."""
    return f"{event.school_code}/{event.year}/{event.grade}/{event.class_name}/{day_text(event.effective_on)[:7]}"


def codes_key(school: str, year: int, grade: int, class_name: str, day: date) -> str:
    return f"codes/{school}/{year}/{grade}/{class_name}/{day.isoformat()[:7]}"


def school_prefix(school: str, year: int) -> str:
    """The prefix of every key of one school's year."""
    return f"codes/{school}/{year}/"


_MARKS = (AttendanceMarked, AttendanceCorrected)


class AttendanceIndex:
    """Per class-month, each child's mark code by day (and a deemed-present day's facility)."""

    name: str = "attendance_index"
    version: int = 1  # raise it when what the documents hold changes (Runner.upgrade)
    topics: tuple[str, ...] = ("AttendanceMarked", "AttendanceCorrected")

    def keys(self, event: Event) -> Iterable[str]:
        if isinstance(event, _MARKS):
            return ("codes/" + class_month(event),)
        return ()

    def apply(self, document: MonthCodes | None, event: Event) -> MonthCodes:
        if not isinstance(event, _MARKS):
            raise ValueError(f"the attendance index does not read {type(event).__name__}")
        on, mark, sid = event.effective_on, event.mark, id_text(event.student_id)
        day = day_text(on)
        doc = document or MonthCodes(month=day[:7], days={})  # updated in place (projections/base.py)
        days = doc["days"]
        letters = days.get(sid, BLANK)
        letter = LETTERS.get(mark.code, UNKNOWN)
        days[sid] = letters[:on.day - 1] + letter + letters[on.day:]
        if letter == UNKNOWN or "others" in doc:
            _keep(doc, "others", sid, day, mark.code if letter == UNKNOWN else None)
        if mark.facility or "facilities" in doc:
            _keep(doc, "facilities", sid, day, mark.facility)
        return doc


    # In a rebuild of both, each document is taken from the register's document of the same class-month
    # when it is saved (``derive``) instead of applying every mark a second time (ADR 0039).
    derives_from: str = "attendance_register"

    def derive(self, key: str, document: Mapping[str, Any]) -> tuple[str, MonthCodes] | None:
        """This projection's document of the class-month of a register document (key and document of
        projections/attendance_register.py; None for its calendars): the same document, byte for byte,
        that ``apply`` builds from the marks the register document was built from. Every mark sets
        the day's current entry there (its code and facility) as it sets the day's letter here."""
        if not key.startswith("marks/"):
            return None
        days: dict[str, str] = {}
        others: dict[str, dict[str, str]] = {}
        facilities: dict[str, dict[str, str]] = {}
        for sid, entries in document["marks"].items():
            letters = list(BLANK)
            for day, entry in entries.items():
                code = entry["code"]
                letter = letters[int(day[8:]) - 1] = LETTERS.get(code, UNKNOWN)
                if letter == UNKNOWN and code:  # as ``_keep`` keeps no empty value
                    others.setdefault(sid, {})[day] = code
                if facility := entry.get("facility"):
                    facilities.setdefault(sid, {})[day] = facility
            days[sid] = "".join(letters)
        doc = MonthCodes(month=key[-7:], days=days)
        if facilities:
            doc["facilities"] = facilities
        if others:
            doc["others"] = others
        return "codes/" + key[len("marks/"):], doc


def _keep(doc: MonthCodes, part: Literal["others", "facilities"], sid: str, day: str, value: str | None) -> None:
    """Set (or, with no value, remove) ``doc[part][sid][day]``; an emptied part goes altogether."""
    if value:
        doc.setdefault(part, {}).setdefault(sid, {})[day] = value
    elif part in doc and day in doc[part].get(sid, ()):  # corrected away
        del doc[part][sid][day]
        if not doc[part][sid]:
            del doc[part][sid]
        if not doc[part]:
            del doc[part]


def child_codes(documents: Iterable[MonthCodes | None], student_id: str) -> tuple[dict[str, str], dict[str, str]]:
    """One child's mark codes and deemed-present facilities by day (ISO dates), from class-month
    documents; a later document's day replaces an earlier one's, facility and all."""
    codes: dict[str, str] = {}
    facilities: dict[str, str] = {}
    for doc in documents:
        if doc is None or (letters := doc["days"].get(student_id)) is None:
            continue
        month = doc["month"]
        mine = {month + _SUFFIX[i]: CODES.get(c, c) for i, c in enumerate(letters) if c != NONE}
        if UNKNOWN in letters:
            mine.update(doc.get("others", {}).get(student_id, {}))
        if facilities:
            for day in mine:
                facilities.pop(day, None)
        codes.update(mine)
        facilities.update(doc.get("facilities", {}).get(student_id, {}))
    return codes, facilities


def has_others(documents: Iterable[MonthCodes], student_id: str) -> bool:
    """Whether the child has a code this version has no letter for in any of the documents."""
    return any(student_id in doc.get("others", {}) for doc in documents)


Plan = list[tuple[str, Callable[[str], Any], int]]


def plan(days: Sequence[str]) -> Plan:
    """How to pick ``days`` (ISO dates) out of the documents' letters: per run of days of one month,
    the month, a getter of their letters and how many there are."""
    runs: list[tuple[str, list[int]]] = []
    for d in days:
        if not runs or runs[-1][0] != d[:7]:
            runs.append((d[:7], []))
        runs[-1][1].append(int(d[8:10]) - 1)
    return [(month, operator.itemgetter(*at), len(at)) for month, at in runs]


def letters_on(documents: Mapping[str, MonthCodes], student_id: str, picked: Plan) -> str:
    """The child's letters on the planned days, in their order (a space where there is no mark);
    ``documents`` are one class's, by YYYY-MM."""
    parts = []
    for month, pick, n in picked:
        doc = documents.get(month)
        letters = doc["days"].get(student_id) if doc is not None else None
        parts.append(NONE * n if letters is None else "".join(pick(letters)))
    return "".join(parts)
