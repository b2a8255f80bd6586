"""The marks in brief (projections/attendance_index.py): what the forms count, kept per class-month."""

from __future__ import annotations

from datetime import date

from domain.backend import Backend
from domain.ledger import Ledger
from projections import runner_for
from projections.attendance_index import child_codes, codes_key
from projections.base import Cutoff, canonical
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
