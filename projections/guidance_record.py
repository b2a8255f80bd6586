"""指導に関する記録 (様式2) data: each student-year's assessments and year record, with trails.

Documents, one per stream: ``assessments/<stream id>`` (every subject's result per term and for
the year, the current value beside the trail of what it replaced) and ``year_record/<stream id>``
(道徳, 総合, 特別活動, 行動の記録, 総合所見 as now recorded, with the trail). The stream ids are
named by student and year (domain/streams.py), so a form finds them without a lookup.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from domain import streams
from domain.assessment import (
    AssessmentCorrected,
    AssessmentRecorded,
    Viewpoints,
    YearRecord,
    YearRecordCorrected,
    YearRecordEntered,
)
from domain.event import Correction, Event
from projections.base import Document


def assessments_key(student_id: UUID | str, year: int) -> str:
    return f"assessments/{streams.assessments(UUID(str(student_id)), year)}"


def year_record_key(student_id: UUID | str, year: int) -> str:
    return f"year_record/{streams.year_record(UUID(str(student_id)), year)}"


def result_key(term: int | None) -> str:
    """Results are filed by term number, or ``year`` for the year's (学年末) assessment."""
    return "year" if term is None else str(term)


class GuidanceRecord:
    name: str = "guidance_record"
    version: int = 1  # raise it when what the documents hold changes (Runner.upgrade)
    topics: tuple[str, ...] = ("AssessmentRecorded", "AssessmentCorrected", "YearRecordEntered",
                               "YearRecordCorrected")

    def keys(self, event: Event) -> Iterable[str]:
        if isinstance(event, AssessmentRecorded | AssessmentCorrected):
            return (f"assessments/{event.originator_id}",)
        return (f"year_record/{event.originator_id}",)

    def sources(self, key: str) -> list[UUID]:
        return [UUID(key.split("/", 1)[1])]

    def apply(self, document: Document | None, event: Event) -> Document:
        match event:
            case AssessmentRecorded():
                doc = document or {"student_id": str(event.student_id), "school_code": event.school_code,
                                   "year": event.year, "grade": event.grade, "results": {}, "versions": {}}
                key = f"{result_key(event.term)}/{event.subject}"
                result = {"term": event.term, "subject": event.subject, "school_code": event.school_code,
                          **_values(event.viewpoints, event.rating),
                          **_stamp(event), "trail": []}
                return {**doc, "results": {**doc["results"], key: result},
                        "versions": {**doc["versions"], str(event.originator_version): key}}
            case AssessmentCorrected() if document is not None:
                key = document["versions"][str(event.corrects_version)]
                before = document["results"][key]
                was = {k: before[k] for k in ("viewpoints", "rating")}
                result = {**before, **_values(event.viewpoints, event.rating), **_stamp(event),
                          "trail": [*before["trail"], {**was, **_correction(event)}]}
                return {**document, "results": {**document["results"], key: result},
                        "versions": {**document["versions"], str(event.originator_version): key}}
            case YearRecordEntered():
                return {"student_id": str(event.student_id), "school_code": event.school_code, "year": event.year,
                        "grade": event.grade, "record": _record(event.record), **_stamp(event), "trail": []}
            case YearRecordCorrected() if document is not None:
                return {**document, "record": _record(event.record), **_stamp(event),
                        "trail": [*document["trail"], {"record": document["record"], **_correction(event)}]}
        raise ValueError(f"the guidance record cannot apply {type(event).__name__} here")


def _values(viewpoints: Viewpoints, rating: int | None) -> dict[str, Any]:
    return {"viewpoints": {"knowledge": viewpoints.knowledge, "thinking": viewpoints.thinking,
                           "attitude": viewpoints.attitude}, "rating": rating}


def _record(record: YearRecord) -> Document:
    return {"moral_education": record.moral_education, "integrated_study": record.integrated_study,
            "special_activities": list(record.special_activities), "behaviour": list(record.behaviour),
            "general_remarks": record.general_remarks,
            # only when written (小3–4): the documents of every other year record keep their shape
            **({"foreign_language_activities": record.foreign_language_activities}
               if record.foreign_language_activities else {})}


def _stamp(event: Event) -> Document:
    return {"recorded_by": event.recorded_by, "recorded_at": event.recorded_at.isoformat(),
            "version": event.originator_version}


def _correction(event: Correction) -> Document:
    return {"corrected_by": event.recorded_by, "corrected_at": event.recorded_at.isoformat(), "why": event.reason,
            "approved_by": event.approved_by}
