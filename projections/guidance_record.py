"""指導に関する記録 (様式2) data: each student-year's assessments and year record, with trails.

Documents, one per stream: ``assessments/<stream id>`` (every subject's result per term and for
the year, the current value beside the trail of what it replaced) and ``year_record/<stream id>``
(道徳, 総合, 特別活動, 行動の記録, 総合所見 as now recorded, with the trail). The stream ids are
named by student and year (domain/streams.py), so a form finds them without a lookup.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NotRequired, TypedDict, cast
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


class ViewpointMarks(TypedDict):
    knowledge: str
    thinking: str
    attitude: str


class Stamp(TypedDict):
    """Who recorded the current value, when, and the event's version in its stream."""

    recorded_by: str
    recorded_at: str
    version: int


class Corrected(TypedDict):
    corrected_by: str
    corrected_at: str
    why: str
    approved_by: str | None


class ResultCorrection(Corrected):
    """What a correction replaced: the earlier viewpoints and rating."""

    viewpoints: ViewpointMarks
    rating: int | None


class Result(Stamp):
    """One subject's assessment of a term (or of the year), the current value beside its trail."""

    term: int | None
    subject: str
    school_code: str
    viewpoints: ViewpointMarks
    rating: int | None
    trail: list[ResultCorrection]


class Assessments(TypedDict):
    """``assessments/<stream id>``: a student-year's results by ``<term or year>/<subject>``."""

    student_id: str
    school_code: str
    year: int
    grade: int
    results: dict[str, Result]
    versions: dict[str, str]  # event version -> the result key it set


class Record(TypedDict):
    moral_education: str
    integrated_study: str
    special_activities: list[str]
    behaviour: list[str]
    general_remarks: str
    foreign_language_activities: NotRequired[str]  # 外国語活動 (小3–4), only when written


class RecordCorrection(Corrected):
    record: Record


class YearRecordDocument(Stamp):
    """``year_record/<stream id>``: 道徳, 総合, 特別活動, 行動の記録, 総合所見, with the trail."""

    student_id: str
    school_code: str
    year: int
    grade: int
    record: Record
    trail: list[RecordCorrection]


GuidanceDocument = Assessments | YearRecordDocument


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

    def apply(self, document: GuidanceDocument | None, event: Event) -> GuidanceDocument:
        match event:
            case AssessmentRecorded():
                doc = cast(Assessments | None, document) or Assessments(
                    student_id=str(event.student_id), school_code=event.school_code, year=event.year,
                    grade=event.grade, results={}, versions={})
                key = f"{result_key(event.term)}/{event.subject}"
                result: Result = {"term": event.term, "subject": event.subject, "school_code": event.school_code,
                                  "viewpoints": _viewpoints(event.viewpoints), "rating": event.rating,
                                  **_stamp(event), "trail": []}
                recorded: Assessments = {**doc, "results": {**doc["results"], key: result},
                                         "versions": {**doc["versions"], str(event.originator_version): key}}
                return recorded
            case AssessmentCorrected() if document is not None:
                doc = cast(Assessments, document)
                key = doc["versions"][str(event.corrects_version)]
                before = doc["results"][key]
                was: ResultCorrection = {"viewpoints": before["viewpoints"], "rating": before["rating"],
                                         **_correction(event)}
                result = {**before, "viewpoints": _viewpoints(event.viewpoints), "rating": event.rating,
                          **_stamp(event), "trail": [*before["trail"], was]}
                corrected: Assessments = {**doc, "results": {**doc["results"], key: result},
                                          "versions": {**doc["versions"], str(event.originator_version): key}}
                return corrected
            case YearRecordEntered():
                entered: YearRecordDocument = {
                    "student_id": str(event.student_id), "school_code": event.school_code, "year": event.year,
                    "grade": event.grade, "record": _record(event.record), **_stamp(event), "trail": []}
                return entered
            case YearRecordCorrected() if document is not None:
                doc_ = cast(YearRecordDocument, document)
                replaced: YearRecordDocument = {
                    **doc_, "record": _record(event.record), **_stamp(event),
                    "trail": [*doc_["trail"], {"record": doc_["record"], **_correction(event)}]}
                return replaced
        raise ValueError(f"the guidance record cannot apply {type(event).__name__} here")


def _viewpoints(viewpoints: Viewpoints) -> ViewpointMarks:
    return {"knowledge": viewpoints.knowledge, "thinking": viewpoints.thinking, "attitude": viewpoints.attitude}


def _record(record: YearRecord) -> Record:
    out: Record = {"moral_education": record.moral_education, "integrated_study": record.integrated_study,
                   "special_activities": list(record.special_activities), "behaviour": list(record.behaviour),
                   "general_remarks": record.general_remarks}
    if record.foreign_language_activities:  # only when written (小3–4): every other record keeps its shape
        out["foreign_language_activities"] = record.foreign_language_activities
    return out


def _stamp(event: Event) -> Stamp:
    return {"recorded_by": event.recorded_by, "recorded_at": event.recorded_at.isoformat(),
            "version": event.originator_version}


def _correction(event: Correction) -> Corrected:
    return {"corrected_by": event.recorded_by, "corrected_at": event.recorded_at.isoformat(), "why": event.reason,
            "approved_by": event.approved_by}
