"""Stream ids: every stream but a student's is named by what it is about (uuid5).

Deterministic ids mean a roll, an assessment or a calendar can be written without first
looking up where it lives, and a second "first" event for the same thing is refused by the
store's uniqueness on (stream, version).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable
from datetime import date
from uuid import UUID

from domain.alerts import ONCE_A_YEAR, RULES

# Fixed forever: changing it would orphan every stream in every ledger.
NAMESPACE = UUID("6f0c2d8e-5b7a-4c1e-9a43-2f1d0b7e8c55")

# uuid5 (RFC 9562 §5.5) is SHA-1 over the namespace's bytes and the name, cut to 16 bytes with the
# version and variant set: exactly what ``uuid.uuid5(NAMESPACE, path)`` returns (a test holds them
# equal). The hash is primed once with the namespace, and for a child's attendance with the path's
# prefix, because a point-in-time replay names about 200 student-day streams per school year.
_PRIMED = hashlib.sha1(NAMESPACE.bytes)


def _id(path: str) -> UUID:
    h = _PRIMED.copy()
    h.update(path.encode())
    return UUID(bytes=h.digest()[:16], version=5)


def school(code: str) -> UUID:
    return _id(f"/schools/{code}")


def school_year(code: str, year: int) -> UUID:
    return _id(f"/schools/{code}/years/{year}")


def school_class(code: str, year: int, grade: int, name: str) -> UUID:
    return _id(f"/schools/{code}/years/{year}/classes/{grade}/{name}")


def admission_key(code: str, family_name: str, given_name: str, family_name_kana: str, given_name_kana: str,
                  birth_date: date, guardian_name: str, guardian_name_kana: str) -> UUID:
    """The stream filing a school's admissions by identity (ADR 0023): the same names, kana, birth date and
    guardian, however spaced or written in full or half width, name the same stream."""
    parts = (family_name, given_name, family_name_kana, given_name_kana, birth_date.isoformat(), guardian_name,
             guardian_name_kana)
    key = "|".join("".join(unicodedata.normalize("NFKC", p).split()) for p in parts)
    return _id(f"/schools/{code}/admissions/{hashlib.sha256(key.encode()).hexdigest()}")


def attendance(student_id: UUID, day: date) -> UUID:
    return _id(f"/students/{student_id}/attendance/{day.isoformat()}")


def attendance_days(student_id: UUID, days: Iterable[date | str]) -> list[UUID]:
    """The student-day streams of one child for many days (ISO strings or dates), in order."""
    prefix = _PRIMED.copy()
    prefix.update(f"/students/{student_id}/attendance/".encode())
    out = []
    for day in days:
        h = prefix.copy()
        h.update((day if isinstance(day, str) else day.isoformat()).encode())
        out.append(UUID(bytes=h.digest()[:16], version=5))
    return out


def assessments(student_id: UUID, year: int) -> UUID:
    return _id(f"/students/{student_id}/years/{year}/assessments")


def year_record(student_id: UUID, year: int) -> UUID:
    return _id(f"/students/{student_id}/years/{year}/year-record")


def health(student_id: UUID, year: int) -> UUID:
    return _id(f"/students/{student_id}/years/{year}/health")


def received(issuer: str, packet_id: str) -> UUID:
    """The student admitted from another ledger's packet: one id per packet, so a re-import finds it."""
    return _id(f"/packets/{issuer}/{packet_id}")


def board(code: str) -> UUID:
    """A board of education's settings (教育委員会コード)."""
    return _id(f"/boards/{code}")


def alert(student_id: UUID, rule: str, year: int, crossing: str) -> UUID:
    """One crossing of an alert rule for a child in a school year (``crossing``: the run's first day, or
    "" for a rule crossed once a year): a second raise of it is refused by the store (ADR 0042)."""
    return _id(f"/students/{student_id}/years/{year}/alerts/{rule}/{crossing}")


def alerts(student_id: UUID, year: int, days: Iterable[date]) -> list[UUID]:
    """Every stream an alert of the child's school year can be on (ADR 0042): one per run rule and day a
    run can start on (``days``: the year's days), and one per rule crossed once a year."""
    runs = [rule for rule in RULES if rule not in ONCE_A_YEAR]
    return [*(alert(student_id, rule, year, day.isoformat()) for rule in runs for day in days),
            *(alert(student_id, rule, year, "") for rule in sorted(ONCE_A_YEAR))]
