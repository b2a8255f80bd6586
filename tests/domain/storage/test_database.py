"""One storage for both backends (domain/storage/database.py, ADR 0029): a statement is written once,
a moment comes back as it went in, a transaction that fails leaves nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain import streams
from domain.backend import Backend
from domain.ledger import Ledger
from domain.storage import access_log, events, idempotency_keys
from tests import builders as b


def test_a_statement_written_once_is_spelt_for_each_backend(backend: Backend, ledger: Ledger) -> None:
    spelt = ledger.storage.sql("SELECT at FROM {access_log} WHERE staff_id = ? AND id > ?")
    table = "access_log" if backend.kind == "sqlite" else f'"{backend.schema}".access_log'
    mark = "?" if backend.kind == "sqlite" else "%s"
    assert spelt == f"SELECT at FROM {table} WHERE staff_id = {mark} AND id > {mark}"
    assert ledger.storage.sql("SELECT 1 FROM {events}") == ("SELECT 1 FROM stored_events" if backend.kind == "sqlite"
                                                           else f'SELECT 1 FROM "{backend.schema}".gakuseki_events')


def test_a_moment_recorded_in_the_ledgers_own_tables_reads_back_as_the_same_moment(ledger: Ledger) -> None:
    at = datetime(2026, 12, 7, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=9)))
    access_log.append(ledger.storage, at, "P-0001", "principal", "read", "history", None, "allowed", 200)
    [row] = access_log.entries(ledger.storage, staff_id="P-0001")
    assert row[1] == at
    assert row[1].astimezone(UTC) == datetime(2026, 12, 7, 0, 30, 15, 123456, tzinfo=UTC)


def test_a_transaction_that_raises_writes_nothing(ledger: Ledger) -> None:
    storage = ledger.storage

    def claim_then_fail() -> None:
        with storage.writing() as tx:
            assert idempotency_keys.claim(tx, "T-0001", "k", "digest", storage.now())
            raise RuntimeError("the request failed before commit")

    with pytest.raises(RuntimeError):
        claim_then_fail()
    with storage.reading() as tx:
        assert idempotency_keys.count(tx) == 0
        assert idempotency_keys.find(tx, "T-0001", "k") is None


def test_a_second_claim_of_a_key_is_refused_and_finds_the_first(ledger: Ledger) -> None:
    storage, at = ledger.storage, datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
    with storage.writing() as tx:
        assert idempotency_keys.claim(tx, "T-0001", "k", "first", at)
        assert not idempotency_keys.claim(tx, "T-0001", "k", "second", at)
        found = idempotency_keys.find(tx, "T-0001", "k")
    assert found is not None
    assert (found.request_hash, found.state, found.claimed_at) == ("first", "in_flight", at)


def test_the_events_of_streams_are_read_with_their_log_positions_and_the_log_is_counted(ledger: Ledger) -> None:
    b.school_with_calendar(ledger)
    wanted = [streams.school(b.ELEMENTARY), streams.school_year(b.ELEMENTARY, b.YEAR)]
    log = ledger.recorder.select_notifications(start=0, limit=10_000)
    expected = sorted((n.id, n.originator_id, n.originator_version, n.topic, bytes(n.state)) for n in log
                      if n.originator_id in wanted)
    assert len(expected) >= 2
    assert sorted(events.in_streams(ledger.storage, wanted)) == expected
    assert events.count(ledger.storage) == len(log)
