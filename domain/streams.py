"""Stream ids: every stream but a student's is named by what it is about (uuid5).

Deterministic ids mean a roll, an assessment or a calendar can be written without first
looking up where it lives, and a second "first" event for the same thing is refused by the
store's uniqueness on (stream, version).
"""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid5

# Fixed forever: changing it would orphan every stream in every ledger.
NAMESPACE = UUID("6f0c2d8e-5b7a-4c1e-9a43-2f1d0b7e8c55")


def _id(path: str) -> UUID:
    return uuid5(NAMESPACE, path)


def school(code: str) -> UUID:
    return _id(f"/schools/{code}")


def school_year(code: str, year: int) -> UUID:
    return _id(f"/schools/{code}/years/{year}")


def school_class(code: str, year: int, grade: int, name: str) -> UUID:
    return _id(f"/schools/{code}/years/{year}/classes/{grade}/{name}")


def attendance(student_id: UUID, day: date) -> UUID:
    return _id(f"/students/{student_id}/attendance/{day.isoformat()}")


def assessments(student_id: UUID, year: int) -> UUID:
    return _id(f"/students/{student_id}/years/{year}/assessments")


def year_record(student_id: UUID, year: int) -> UUID:
    return _id(f"/students/{student_id}/years/{year}/year-record")


def health(student_id: UUID, year: int) -> UUID:
    return _id(f"/students/{student_id}/years/{year}/health")


def received(issuer: str, packet_id: str) -> UUID:
    """The student admitted from another ledger's packet: one id per packet, so a re-import finds it."""
    return _id(f"/packets/{issuer}/{packet_id}")
