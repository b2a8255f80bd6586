"""Stream ids are fixed forever: the fast derivation must give exactly uuid5's ids."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID, uuid5

from hypothesis import given
from hypothesis import strategies as st

from domain import streams

KNOWN = UUID("0b6f1f9e-0000-4000-8000-000000000001")


def test_stream_ids_are_uuid5_of_their_paths_in_the_fixed_namespace() -> None:
    day = date(2026, 4, 7)
    assert streams.school("B131220000013") == uuid5(streams.NAMESPACE, "/schools/B131220000013")
    assert streams.school_year("B131220000013", 2026) == uuid5(streams.NAMESPACE, "/schools/B131220000013/years/2026")
    assert streams.school_class("B131220000013", 2026, 1, "1") == uuid5(
        streams.NAMESPACE, "/schools/B131220000013/years/2026/classes/1/1")
    assert streams.attendance(KNOWN, day) == uuid5(streams.NAMESPACE, f"/students/{KNOWN}/attendance/2026-04-07")
    assert streams.assessments(KNOWN, 2026) == uuid5(streams.NAMESPACE, f"/students/{KNOWN}/years/2026/assessments")


def test_a_stored_id_of_the_demo_still_derives_the_same() -> None:
    """A literal, so that a change of NAMESPACE or of the derivation cannot pass unnoticed."""
    assert str(streams.school("B131220000013")) == "2e5bd9ee-ac3a-5736-ad85-a676b9855009"


@given(st.uuids(), st.lists(st.integers(min_value=0, max_value=3650), max_size=40),
       st.text(min_size=1, max_size=30))
def test_many_student_days_at_once_equal_one_by_one_and_uuid5(student: UUID, offsets: list[int], code: str) -> None:
    days = [date(2020, 4, 1) + timedelta(days=n) for n in offsets]
    expected = [uuid5(streams.NAMESPACE, f"/students/{student}/attendance/{d.isoformat()}") for d in days]
    assert streams.attendance_days(student, days) == expected
    assert streams.attendance_days(student, [d.isoformat() for d in days]) == expected
    assert [streams.attendance(student, d) for d in days] == expected
    assert streams.school(code) == uuid5(streams.NAMESPACE, f"/schools/{code}")
