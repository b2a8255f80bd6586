"""A point in time stands on whole transactions (ADR 0021): a form read as of a position inside a
transaction, or as of a recorded time inside a group commit, shows the state before it, never part
of it; the read models never stand inside one either. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.backend import Backend
from domain.ledger import Ledger
from projections import runner_for
from projections.base import Cutoff, canonical
from projections.forms import Forms
from projections.store import DocumentStore
from tests import builders as b

DAY = date(2026, 4, 7)



def _forms(backend: Backend, ledger: Ledger, *, reuse: bool = True) -> Forms:
    runner = runner_for(ledger, backend)
    runner.reuse_read_models = reuse
    runner.catch_up()
    return Forms(runner)


def _day(form: dict[str, Any] | None) -> list[Any]:
    assert form is not None
    return [s["days"][DAY.isoformat()] for s in form["students"]]


@pytest.mark.parametrize("reuse", [True, False], ids=["reusing-read-models", "replaying"])
def test_as_of_a_position_inside_a_roll_shows_the_state_before_the_roll(backend: Backend, ledger: Ledger,
                                                                         reuse: bool) -> None:
    b.school_with_calendar(ledger)
    children = b.class_with_students(ledger, count=30)
    before = ledger.position()
    roll = ledger.record_roll(b.ELEMENTARY, b.YEAR, 1, "1", on=DAY, recorded_by=b.STAFF,
                              marks=[(c, {"code": "present"}) for c in children])
    forms = _forms(backend, ledger, reuse=reuse)

    def register(position: int) -> dict[str, Any] | None:
        return forms.attendance_register(b.ELEMENTARY, b.YEAR, 1, "1", "2026-04", as_of=Cutoff(position=position))

    assert roll.position == before + 30
    for inside in (before + 1, before + 15, before + 29):
        assert _day(register(inside)) == [None] * 30
        assert canonical(register(inside)) == canonical(register(before))  # type: ignore[arg-type]
    assert [d["code"] for d in _day(register(roll.position))] == ["present"] * 30
    first = forms.report_card(children[0], b.YEAR, 1, as_of=Cutoff(position=before + 15))
    assert first is not None
    assert first["attendance"]["present"] == 0


def _grouped_admissions(ledger: Ledger) -> tuple[Any, list[Any]]:
    """A child admitted alone, then two admitted by writers that queued meanwhile (each to a class of
    its own, so they do not conflict): those two are saved in one transaction, each with its own
    recorded time."""
    receipts: dict[int, Any] = {}

    def admit(n: int) -> None:
        receipts[n] = ledger.admit_student(b.ELEMENTARY, b.YEAR, 1, str(n), 1, b.identity(n),
                                           admitted_on=date(2026, 4, 6), admission_kind="entrance",
                                           recorded_by="registrar")

    calls = b.saved_together(ledger, lambda: admit(1), [lambda: admit(2), lambda: admit(3)])
    assert calls == [3, 6]  # three events per admission: the one alone, then the two together
    return receipts[1], [receipts[2], receipts[3]]


def test_as_of_a_time_inside_a_group_commit_shows_none_of_its_writes(backend: Backend, ledger: Ledger) -> None:
    """The earlier of the two grouped writes was recorded before the later one, but nobody could read
    it before the transaction holding both committed, after the later one was recorded."""
    b.school_with_calendar(ledger)
    for n in (1, 2, 3):
        ledger.form_class(b.ELEMENTARY, b.YEAR, 1, str(n), homeroom_teacher_id=f"T-000{n}",
                          homeroom_teacher_name="山田 花子", on=date(2026, 4, 6), recorded_by="admin")
    alone, grouped = _grouped_admissions(ledger)
    forms = _forms(backend, ledger)
    times = sorted(e.recorded_at for r in grouped for _, e in ledger.events_in_streams([r.stream_id]))
    assert times[0] < times[-1]

    def listed(cutoff: Cutoff) -> set[str]:
        rosters = [forms.roster(b.ELEMENTARY, b.YEAR, 1, str(n), as_of=cutoff) for n in (1, 2, 3)]
        return {s["student_id"] for form in rosters if form is not None for s in form["students"]}

    everyone = {str(alone.stream_id), *(str(r.stream_id) for r in grouped)}
    assert listed(Cutoff(at=times[0])) == {str(alone.stream_id)}
    assert listed(Cutoff(at=times[-1])) == everyone
    # each write's receipt names the transaction's last position: as of it, both are there
    assert {r.position for r in grouped} == {ledger.position()}
    for r in grouped:
        assert listed(Cutoff(position=r.position)) == everyone
    own = min(p for r in grouped for p, _ in ledger.events_in_streams([r.stream_id]))
    assert listed(Cutoff(position=own)) == {str(alone.stream_id)}


def test_the_read_models_never_stand_inside_a_transaction(backend: Backend, ledger: Ledger,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of seven events over 30-mark rolls: each page ends before a roll it would cut, or takes
    the whole roll when the roll is all of it."""
    b.school_with_calendar(ledger)
    children = b.class_with_students(ledger, count=30)
    for day in (DAY, date(2026, 4, 8)):
        ledger.record_roll(b.ELEMENTARY, b.YEAR, 1, "1", on=day, recorded_by=b.STAFF,
                           marks=[(c, {"code": "present"}) for c in children])
    saved: list[int] = []
    original = DocumentStore.save_many

    def save_many(self: DocumentStore, updates: Any, position: int, since: int) -> None:
        saved.append(position)
        original(self, updates, position, since)

    monkeypatch.setattr(DocumentStore, "save_many", save_many)
    runner = runner_for(ledger, backend)
    runner.catch_up(batch=7)
    assert saved
    assert saved[-1] == ledger.position()
    assert all(ledger.settled(p) == p for p in saved), saved
    head = ledger.position()
    assert {head - 30, head} <= set(saved)  # each roll applied in one page of its own
