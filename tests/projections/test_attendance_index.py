"""The marks in brief (projections/attendance_index.py): what the forms count, kept per class-month."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domain.attendance import AttendanceCorrected, AttendanceMarked, Mark
from domain.backend import Backend
from domain.ledger import Ledger
from projections import runner_for
from projections.attendance_index import LETTERS, AttendanceIndex, child_codes, codes_key
from projections.attendance_register import AttendanceRegister
from projections.base import Cutoff, canonical, uuid_text
from projections.forms import Forms
from tests import builders as b

FACILITY = "鳥取市教育支援センター"
APRIL, MAY = date(2026, 4, 7), date(2026, 5, 12)


def test_a_class_month_holds_each_childs_codes_and_a_deemed_present_days_facility(backend: Backend,
                                                                                  ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    a, c = b.class_with_students(ledger, count=2)
    for day in (APRIL, MAY):
        ledger.record_roll(b.ELEMENTARY, b.YEAR, 1, "1", on=day, recorded_by=b.STAFF, marks=[
            (a, {"code": "deemed_present", "facility": FACILITY}), (c, {"code": "absent_illness", "reason": "発熱"})])
    runner = runner_for(ledger, backend)
    runner.catch_up()
    key = codes_key(b.ELEMENTARY, b.YEAR, 1, "1", APRIL)
    assert runner.store.get("attendance_index", key) == {
        "month": "2026-04", "days": {str(a): letters({7: "D"}), str(c): letters({7: "I"})},
        "facilities": {str(a): {"2026-04-07": FACILITY}}}
    before = ledger.position()

    # Corrected to a plain present day: the facility goes with the mark it belonged to.
    ledger.correct_mark(a, on=APRIL, mark={"code": "present"}, reason="記入誤りの訂正", recorded_by=b.STAFF)
    runner.catch_up()
    assert runner.store.get("attendance_index", key) == {
        "month": "2026-04", "days": {str(a): letters({7: "P"}), str(c): letters({7: "I"})}}
    assert runner.replay("attendance_index", key, before) == {
        "month": "2026-04", "days": {str(a): letters({7: "D"}), str(c): letters({7: "I"})},
        "facilities": {str(a): {"2026-04-07": FACILITY}}}

    forms = Forms(runner)
    register = forms.attendance_register(b.ELEMENTARY, b.YEAR, 1, "1", "2026-04")
    assert register is not None
    row = next(s for s in register["students"] if s["student_id"] == str(a))
    assert row["deemed_present_at"] == [FACILITY]  # still deemed present in May
    assert (row["year"]["deemed_present"], row["month"]["deemed_present"]) == (1, 0)
    assert row["days"]["2026-04-07"]["trail"][0]["code"] == "deemed_present"  # the month's full entries
    then = forms.attendance_register(b.ELEMENTARY, b.YEAR, 1, "1", "2026-04", as_of=before)
    assert then is not None
    assert next(s for s in then["students"] if s["student_id"] == str(a))["month"]["deemed_present"] == 1
    assert canonical(forms.attendance_register(b.ELEMENTARY, b.YEAR, 1, "1", "2026-04", as_of=Cutoff(
        position=ledger.position()))) == canonical(register)


def letters(marked: dict[int, str]) -> str:
    """A month's letters: the given days of the month marked, the others blank."""
    return "".join(marked.get(day, " ") for day in range(1, 32))


def test_a_later_class_months_day_replaces_an_earlier_ones_with_its_facility() -> None:
    earlier = {"month": "2026-04", "days": {"s": letters({7: "D", 8: "D"})},
               "facilities": {"s": {"2026-04-07": "A", "2026-04-08": "A"}}}
    later = {"month": "2026-04", "days": {"s": letters({8: "P"}), "t": letters({8: "L", 9: "?"})},
             "others": {"t": {"2026-04-09": "a_code_of_a_later_version"}}}
    assert child_codes([earlier, None, later], "s") == ({"2026-04-07": "deemed_present", "2026-04-08": "present"},
                                                        {"2026-04-07": "A"})
    assert child_codes([earlier, later], "t") == ({"2026-04-08": "late", "2026-04-09": "a_code_of_a_later_version"},
                                                  {})
    assert child_codes([], "s") == ({}, {})


# ---------------------------------------------------------------- derived from the register (ADR 0039)

CHILDREN = [uuid.UUID(int=i + 1) for i in range(3)]
CODES_SEEN = [*LETTERS, "a_code_of_a_later_version", ""]  # "" and a code this version has no letter for
marks = st.lists(st.tuples(st.integers(0, 2), st.integers(1, 30), st.sampled_from(CODES_SEEN),
                           st.sampled_from([None, "", FACILITY, "フリースクール"]), st.booleans()),
                 min_size=1, max_size=40)


def as_events(steps: list[tuple[int, int, str, str | None, bool]]) -> list[AttendanceMarked | AttendanceCorrected]:
    """Marks (and corrections of an earlier day) of one class-month, as a rebuild reads them."""
    out: list[AttendanceMarked | AttendanceCorrected] = []
    versions: dict[tuple[int, int], int] = {}
    for child, day, code, facility, correct in steps:
        sid, on = CHILDREN[child], date(2026, 6, day)
        stream = uuid.uuid5(sid, on.isoformat())
        version = versions[(child, day)] = versions.get((child, day), 0) + 1
        stamp = {"originator_id": stream, "originator_version": version, "recorded_by": "T-1", "effective_on": on,
                 "recorded_at": datetime(2026, 6, 30, tzinfo=UTC)}
        mark = Mark(code=code, facility=facility)
        if correct and version > 1:
            out.append(AttendanceCorrected(**stamp, student_id=sid, mark=mark, corrects_version=version - 1,
                                           reason="訂正", school_code="S", year=2026, grade=1, class_name="1"))
        else:
            out.append(AttendanceMarked(**stamp, student_id=sid, mark=mark, school_code="S", year=2026, grade=1,
                                        class_name="1"))
    return out


@given(steps=marks)
def test_a_class_months_codes_derived_from_its_register_are_the_bytes_its_marks_build(
        steps: list[tuple[int, int, str, str | None, bool]]) -> None:
    """A rebuild takes the code index's class-month from the register's (``derive``) instead of
    applying the marks twice: for any marks and corrections (codes without a letter, facilities set
    and corrected away), the same key and the same canonical bytes as applying them here."""
    register, index = AttendanceRegister(), AttendanceIndex()
    kept: Any = None
    codes: Any = None
    for event in as_events(steps):
        (key,) = register.keys(event)
        kept = register.apply(kept, event)
        codes = index.apply(codes, event)
    found = index.derive(key, kept)
    assert found is not None
    assert found[0] == next(iter(index.keys(event)))
    assert canonical(found[1]) == canonical(codes)


def test_a_calendar_of_the_register_gives_no_codes() -> None:
    assert AttendanceIndex().derive("calendar/S/2026", {"instructional_days": [], "closures": [], "terms": []}) is None


@given(value=st.uuids(version=None) | st.builds(uuid.UUID, int=st.integers(0, 2**128 - 1)))
def test_a_uuid_is_written_as_str_writes_it(value: uuid.UUID) -> None:
    assert uuid_text(value) == str(value)
