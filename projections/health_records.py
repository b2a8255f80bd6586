"""健康診断票 (一般 and 歯・口腔): a student-year's examinations, current values with their trail.

One document per ``streams.health(student, year)`` stream, keyed ``health/<stream id>``; the
stream holds both examinations of the year, so the document holds both::

    {"student_id", "school_code", "year", "grade",
     "health": {"values", "examined_on", "recorded_by", "recorded_at", "version", "trail"},
     "dental": {...the same...},
     "versions": {"1": "health", "2": "dental", "3": "health"}}

``health``/``dental`` are absent until recorded. ``values`` is the examination as JSON (every
field, Decimal as text such as "120.5"); ``recorded_*`` and ``version`` name the event that set
the current values, ``examined_on`` the day of the examination itself (a correction is dated the
day it is made, so it keeps the examination's day). A correction pushes the values it replaces
onto ``trail`` with who replaced them, when, why and who approved, so a card prints the current
value with the original beside it (訂正は原文が読めるように).

Only event data goes in (no clock, no set order), so built incrementally, rebuilt or replayed,
the document is the same bytes. The cards are composed from these documents by
projections/forms/health_cards.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, NotRequired, TypedDict, cast
from uuid import UUID

import msgspec

from domain.event import Event
from domain.health import (
    DentalExamination,
    DentalExaminationCorrected,
    DentalExaminationRecorded,
    HealthExamination,
    HealthExaminationCorrected,
    HealthExaminationRecorded,
)


class SetBy(TypedDict):
    """Values of an examination, as JSON, with the event that set them."""

    values: dict[str, Any]
    recorded_by: str
    recorded_at: str
    version: int


class ExaminationCorrection(SetBy):
    """Values a correction replaced (and who had set them), who replaced them, when, why, who approved."""

    corrected_by: str
    corrected_at: str
    why: str
    approved_by: str | None


class Examination(SetBy):
    examined_on: str
    trail: list[ExaminationCorrection]


class HealthYear(TypedDict):
    """``health/<stream id>``: a student-year's health and dental examinations."""

    student_id: str
    school_code: str
    year: int
    grade: int
    versions: dict[str, str]  # event version -> "health" or "dental"
    health: NotRequired[Examination]
    dental: NotRequired[Examination]


def key_of(stream_id: UUID) -> str:
    return f"health/{stream_id}"


class HealthRecords:
    name: str = "health_records"
    # raise it when what the documents hold changes (Runner.upgrade); 2: every examination's values
    # hold 尿 その他の検査 and 備考
    version: int = 2
    topics: tuple[str, ...] = ("HealthExaminationRecorded", "HealthExaminationCorrected",
                               "DentalExaminationRecorded", "DentalExaminationCorrected")

    def keys(self, event: Event) -> Iterable[str]:
        return (key_of(event.originator_id),)

    def sources(self, key: str) -> list[UUID]:
        """The one stream whose events make the document (a replay reads it alone)."""
        return [UUID(key.split("/", 1)[1])]

    def apply(self, document: HealthYear | None, event: Event) -> HealthYear:
        match event:
            case HealthExaminationRecorded() | DentalExaminationRecorded():
                exam: Literal["health", "dental"] = (
                    "health" if isinstance(event, HealthExaminationRecorded) else "dental")
                doc = document or HealthYear(student_id=str(event.student_id), school_code=event.school_code,
                                             year=event.year, grade=event.grade, versions={})
                recorded: HealthYear = {**doc, "versions": {**doc["versions"], str(event.originator_version): exam}}
                recorded[exam] = {**_set_by(event, event.examination), "examined_on": event.effective_on.isoformat(),
                                  "trail": []}
                return recorded
            case HealthExaminationCorrected() | DentalExaminationCorrected():
                if document is None:
                    raise ValueError("an examination correction before any examination of its stream")
                found = document["versions"].get(str(event.corrects_version))
                expected = "health" if isinstance(event, HealthExaminationCorrected) else "dental"
                if found != expected:  # the domain refuses this; a mismatch means a corrupt stream
                    raise ValueError(f"version {event.corrects_version} is not a {expected} examination")
                exam = cast(Literal["health", "dental"], found)
                before = document[exam]
                trail = [*before["trail"], ExaminationCorrection(
                    values=before["values"], version=before["version"],
                    recorded_by=before["recorded_by"], recorded_at=before["recorded_at"],
                    corrected_by=event.recorded_by, corrected_at=event.recorded_at.isoformat(),
                    why=event.reason, approved_by=event.approved_by)]
                corrected: HealthYear = {**document,
                                         "versions": {**document["versions"], str(event.originator_version): exam}}
                corrected[exam] = {**_set_by(event, event.examination), "examined_on": before["examined_on"],
                                   "trail": trail}
                return corrected
        raise ValueError(f"health_records does not read {type(event).__name__}")


def _set_by(event: Event, exam: HealthExamination | DentalExamination) -> SetBy:
    return {"values": plain(exam), "recorded_by": event.recorded_by,
            "recorded_at": event.recorded_at.isoformat(), "version": event.originator_version}


def plain(value: Any) -> Any:
    """JSON values with every field present (the Structs omit defaults when encoded, a card must not)."""
    if isinstance(value, msgspec.Struct):
        return {f: plain(getattr(value, f)) for f in value.__struct_fields__}
    return msgspec.to_builtins(value)
