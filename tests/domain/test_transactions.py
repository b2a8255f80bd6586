"""Where each transaction of the log begins and ends (domain/transactions.py, ADR 0021), on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from api.idempotency import Keys
from domain.backend import Backend
from domain.ledger import Ledger
from domain.storage.log_transactions import micros
from tests import builders as b
from tests.conftest import Clock


def _rows(ledger: Ledger) -> list[tuple[int, int, int]]:
    return ledger.storage.query("SELECT first_position, last_position, known_at_us FROM {log_transactions} "
                                "ORDER BY last_position")  # type: ignore[return-value]


def test_every_save_records_where_its_transaction_begins_and_ends(ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    children = b.class_with_students(ledger, count=3)
    before = ledger.position()
    roll = ledger.record_roll(b.ELEMENTARY, b.YEAR, 1, "1", on=b.SCHOOL_DAYS[1], recorded_by=b.STAFF,
                              marks=[(c, {"code": "present"}) for c in children])
    assert roll.position == before + 3
    rows = _rows(ledger)
    # one row per transaction, covering the log: the school's three, each admission's three events
    # (the admission, the class roll, the school's admission index of ADR 0023), the roll
    assert [(first, last) for first, last, _ in rows] == [(1, 1), (2, 2), (3, 3), (4, 4), (5, 7), (8, 10), (11, 13),
                                                          (14, 16)]
    assert before == 13
    first, last, known = rows[-1]
    assert (first, last) == (before + 1, before + 3)
    assert known == micros(max(e.recorded_at for e in _events_after(ledger, before)))
    assert ledger.boundaries.around(before + 2) == (before + 1, before + 3)
    assert [ledger.settled(p) for p in (before, before + 1, before + 2, before + 3)] == [before, before, before,
                                                                                          before + 3]
    assert ledger.transaction_end(before + 1) == before + 3


def _events_after(ledger: Ledger, position: int) -> list[Any]:
    return [ledger.decode(n) for n in ledger.recorder.select_notifications(start=position, limit=1000,
                                                                            inclusive_of_start=False)]


def test_writes_that_share_a_transaction_each_answer_with_its_last_position(backend: Backend, ledger: Ledger) -> None:
    """Three registrations queued behind a save in progress go in one transaction: each receipt
    names the transaction's last position, so that as of it the write is wholly there."""
    receipts: dict[int, Any] = {}

    def register(n: int) -> None:
        receipts[n] = ledger.register_school(f"B13122{n:07d}", f"学校{n}", b.BOARD, recorded_by="admin")

    calls = b.saved_together(ledger, lambda: register(0), [lambda n=n: register(n) for n in (1, 2, 3)])
    assert calls == [1, 3]
    assert receipts[0].position == 1
    assert {receipts[n].position for n in (1, 2, 3)} == {4}
    own = {n: ledger.events_in_streams([receipts[n].stream_id])[0][0] for n in (1, 2, 3)}
    assert sorted(own.values()) == [2, 3, 4]
    assert [(first, last) for first, last, _ in _rows(ledger)] == [(1, 1), (2, 4)]
    assert {ledger.settled(own[n]) for n in (1, 2, 3) if own[n] < 4} == {1}


def test_a_retried_write_of_a_shared_transaction_answers_with_the_same_position(backend: Backend,
                                                                               ledger: Ledger) -> None:
    """The receipt an idempotency key keeps (written in the events' transaction) names the same
    position as the write's own answer: the last of the transaction it shared."""
    keys = Keys(ledger)
    receipts: dict[int, Any] = {}

    def register(n: int) -> None:
        assert keys.claim("admin", f"key-{n}", "digest") is None
        with keys.completing("admin", f"key-{n}", 201):
            receipts[n] = ledger.register_school(f"B13122{n:07d}", f"学校{n}", b.BOARD, recorded_by="admin")

    calls = b.saved_together(ledger, lambda: register(0), [lambda n=n: register(n) for n in (1, 2)])
    assert calls == [1, 2]
    for n in (0, 1, 2):
        status, stored = keys.claim("admin", f"key-{n}", "digest")  # type: ignore[misc]
        assert (status, stored["position"]) == (201, receipts[n].position)
    assert [receipts[n].position for n in (0, 1, 2)] == [1, 3, 3]


def test_when_a_transaction_can_first_be_known_never_goes_back_along_the_log(ledger: Ledger, clock: Clock) -> None:
    """A write whose clock read earlier than the one before it (another process, a clock set back)
    is known no earlier than the transaction committed before it."""
    b.school_with_calendar(ledger)
    late = ledger.position()
    t_late = clock.current
    clock.current = t_late - timedelta(hours=1)
    ledger.register_school(b.OTHER_ELEMENTARY, "学校", b.BOARD, recorded_by="admin")
    early_recorded = _events_after(ledger, late)[0].recorded_at
    assert early_recorded < t_late
    assert _rows(ledger)[-1][2] == micros(t_late)
    assert ledger.known_at(early_recorded) == 0  # nothing was known then: not even the school
    assert ledger.known_at(t_late) == late + 1
    assert ledger.known_at(t_late - timedelta(microseconds=1)) == late - 1


def test_events_saved_without_a_transaction_row_each_count_alone(ledger: Ledger) -> None:
    """As the events of a ledger recorded before boundaries were kept (a raw insert says no time)."""
    b.school_with_calendar(ledger)
    ledger.recorder.insert_events([ledger.mapper.to_stored_event(e) for e in _raw(ledger)])
    assert [(first, last) for first, last, _ in _rows(ledger)] == [(1, 1), (2, 2), (3, 3)]
    assert ledger.position() == 5
    assert [ledger.settled(p) for p in (4, 5)] == [4, 5]
    assert ledger.boundaries.around(4) is None
    assert ledger.transaction_end(4) == 4


def _raw(ledger: Ledger) -> list[Any]:
    """Two events of a new school's stream, saved in one insert that records no transaction row."""
    from domain import school, streams

    at, stream = datetime(2026, 4, 7, tzinfo=UTC), streams.school(b.OTHER_ELEMENTARY)
    stamp = {"originator_id": stream, "recorded_at": at, "recorded_by": "admin", "effective_on": at.date()}
    return [school.SchoolRegistered(**stamp, originator_version=1, school_code=b.OTHER_ELEMENTARY, name="学校",
                                    kind="elementary", board_code=b.BOARD),
            school.SchoolDetailsChanged(**stamp, originator_version=2, name="学校二", board_code=b.BOARD)]


def test_a_log_without_transaction_rows_knows_no_time_bound(ledger: Ledger) -> None:
    assert ledger.known_at(datetime(2030, 1, 1, tzinfo=UTC)) is None
