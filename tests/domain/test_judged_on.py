"""A write decided on a school year that changes before the write is saved records nothing.

The race of a roll (or an assessment) and the principal's year seal: the write reads the year
unsealed, the seal commits, then the write is saved. Without a check it would land in a sealed
year without the principal's approval; with it the write is refused (409) and a retry meets the
seal (422)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from domain import errors
from domain.backend import Backend
from domain.ledger import Ledger
from tests import builders as b


def _sealed_after_reading(ledger: Ledger, other: Ledger) -> list[int]:
    """Make the next read of the school year return what it read, then have another ledger seal it."""
    real, sealed = ledger.school_year, []

    def read_then_seal(code: str, year: int) -> Any:
        state = real(code, year)
        if not sealed:
            sealed.append(other.seal_year(code, year, recorded_by=b.PRINCIPAL).position)
        return state

    ledger.school_year = read_then_seal  # type: ignore[method-assign]
    return sealed


def test_a_roll_decided_before_the_seal_committed_is_refused_and_records_nothing(
        backend: Backend, ledger: Ledger, open_ledger: Callable[[Backend], Ledger]) -> None:
    b.school_with_calendar(ledger)
    ids = b.class_with_students(ledger, count=3)
    other = open_ledger(backend)
    sealed = _sealed_after_reading(ledger, other)
    with pytest.raises(errors.JudgedOnChanged) as refused:
        ledger.record_roll(b.ELEMENTARY, b.YEAR, 1, "1", on=date(2026, 4, 8),
                           marks=[(sid, {"code": "present"}) for sid in ids], recorded_by=b.STAFF)
    assert refused.value.field == "year"
    assert ledger.position() == sealed[0]  # the seal is the last thing recorded
    with pytest.raises(errors.YearIsSealed):  # sent again, the roll meets the seal
        ledger.record_roll(b.ELEMENTARY, b.YEAR, 1, "1", on=date(2026, 4, 8),
                           marks=[(sid, {"code": "present"}) for sid in ids], recorded_by=b.STAFF)


def test_an_assessment_decided_before_the_seal_committed_is_refused(
        backend: Backend, ledger: Ledger, open_ledger: Callable[[Backend], Ledger]) -> None:
    b.school_with_calendar(ledger)
    [sid] = b.class_with_students(ledger, count=1)
    sealed = _sealed_after_reading(ledger, open_ledger(backend))
    with pytest.raises(errors.JudgedOnChanged):
        ledger.record_assessment(sid, b.YEAR, subject="japanese", term=1, on=date(2026, 7, 15),
                                 viewpoints={"knowledge": "A", "thinking": "B", "attitude": "B"},
                                 recorded_by=b.STAFF)
    assert ledger.position() == sealed[0]


def test_a_write_whose_year_did_not_change_is_saved(backend: Backend, ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    ids = b.class_with_students(ledger, count=2)
    receipt = ledger.record_roll(b.ELEMENTARY, b.YEAR, 1, "1", on=date(2026, 4, 8),
                                 marks=[(sid, {"code": "present"}) for sid in ids], recorded_by=b.STAFF)
    assert receipt.events == 2
    other_marks = ledger.record_roll(b.ELEMENTARY, b.YEAR, 1, "1", on=date(2026, 4, 9),
                                     marks=[(sid, {"code": "present"}) for sid in ids], recorded_by=b.STAFF)
    assert other_marks.position > receipt.position
