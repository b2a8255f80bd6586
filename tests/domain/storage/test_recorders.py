"""The recorders' dependence on the library's private methods (domain/storage/recorders.py, ADR 0029):
what to check first when eventsourcing is upgraded."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from domain.backend import Backend
from domain.ledger import Ledger
from domain.storage import recorders


def test_every_private_library_method_the_recorders_depend_on_is_still_there_with_the_same_parameters() -> None:
    for cls, name, parameters in recorders.PRIVATE_METHODS:
        method = getattr(cls, name, None)
        assert method is not None, f"{cls.__name__}.{name} is gone: domain/storage/recorders.py overrides it"
        found = tuple(p.name for p in inspect.signature(method).parameters.values()
                      if p.kind is not inspect.Parameter.VAR_KEYWORD)
        assert found == parameters, f"{cls.__name__}.{name}{found}: the recorders call it as {parameters}"


def test_the_ledger_saves_through_the_recorders_that_override_them(backend: Backend, ledger: Ledger) -> None:
    expected = recorders.SQLiteRecorder if backend.kind == "sqlite" else recorders.PostgresRecorder
    assert type(ledger.recorder) is expected
    if backend.kind == "postgresql":
        # With the library's database functions on, insert_events saves without calling the hooks
        # overridden here: idempotency keys and transaction boundaries would silently not be written.
        assert ledger.recorder.datastore.enable_db_functions is False  # type: ignore[attr-defined]


def test_the_events_insert_stores_every_state_byte_for_byte_and_the_digest_read_hashes_them(
        backend: Backend, ledger: Ledger) -> None:
    # PostgreSQL: the library's INSERT sends its rows in the binary format (ADR 0053), so no byte of a
    # state goes through the text format's hex escaping and quoting, and a 200 kB state is stored as it is.
    import hashlib
    import uuid

    from eventsourcing.persistence import StoredEvent

    from domain.storage import events as stored_events

    if backend.kind == "postgresql":
        assert "%b" in ledger.recorder.insert_events_statement.as_string(None)  # type: ignore[attr-defined]
    states = [bytes(range(256)) * 800, b"\x00", b'{"a":"\\\\ \\" , ( ) { }"}', b"\\x00\\\\"]
    streams = [uuid.uuid4() for _ in states]
    ledger.recorder.insert_events([StoredEvent(originator_id=s, originator_version=1, topic="bench:Filler",
                                               state=state) for s, state in zip(streams, states, strict=True)])
    rows = {row[1]: row for row in stored_events.in_streams(ledger.storage, streams)}
    digests = {row[1]: row for row in stored_events.digests_in_streams(ledger.storage, streams)}
    assert [rows[s][4] for s in streams] == states
    assert [digests[s][4] for s in streams] == [hashlib.sha256(state).digest() for state in states]
    assert [digests[s][:4] for s in streams] == [rows[s][:4] for s in streams]
    assert stored_events.digests_in_streams(ledger.storage, []) == []


def test_a_save_on_postgresql_sends_no_notification(backend: Backend, ledger: Ledger) -> None:
    # Nothing of Gakuseki listens (the projections poll the log, ADR 0005), and a transaction that sent
    # NOTIFY commits under a lock of the whole cluster (ADR 0059): the recorder sends none.
    import uuid

    import psycopg
    from eventsourcing.persistence import StoredEvent

    if backend.kind != "postgresql":
        return
    channel = ledger.recorder.channel_name  # type: ignore[attr-defined]
    with psycopg.connect(backend.psycopg_conninfo(), autocommit=True) as listener:
        listener.execute(f'LISTEN "{channel}"')
        listener.execute(f'NOTIFY "{channel}"')  # the listener hears a notification on the channel...
        heard = list(listener.notifies(timeout=2.0, stop_after=1))
        assert [n.channel for n in heard] == [channel]
        ledger.recorder.insert_events([StoredEvent(originator_id=uuid.uuid4(), originator_version=1,
                                                   topic="bench:Filler", state=b"{}")])
        assert list(listener.notifies(timeout=0.5)) == []  # ...and none from a save


def test_a_save_on_postgresql_takes_the_table_lock_once_and_every_save_takes_it(
        backend: Backend, ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    # A save judged on streams locks the table before its check (``_insert_events``); the library's insert
    # would lock it again in the same transaction: not sent (ADR 0062). The next save, after one refused
    # or one that committed, in the same thread, on the same pooled connection, takes it again.
    import uuid

    from eventsourcing.persistence import IntegrityError, StoredEvent
    from eventsourcing.postgres import PostgresApplicationRecorder

    if backend.kind != "postgresql":
        return
    locks: list[int] = []
    lock = PostgresApplicationRecorder._lock_table

    def counted(self: Any, curs: Any) -> None:
        locks.append(id(curs.connection))
        lock(self, curs)
    monkeypatch.setattr(PostgresApplicationRecorder, "_lock_table", counted)
    judged_on = uuid.uuid4()
    recorder = ledger.recorder

    def save(stream: uuid.UUID, version: int, judged: int) -> Any:
        return recorder.insert_events([StoredEvent(originator_id=stream, originator_version=version,
                                                   topic="bench:Filler", state=b"{}")], unchanged=[(judged_on, judged)])
    save(judged_on, 1, 0)  # the stream judged on, at version 1
    assert len(locks) == 1
    stream = uuid.uuid4()
    save(stream, 1, 1)
    assert len(locks) == 2
    with pytest.raises(IntegrityError):
        save(stream, 2, 0)  # judged on version 0 of a stream at 1: refused in the database
    with pytest.raises(IntegrityError):
        save(stream, 1, 1)  # a version already there
    refused = len(locks)
    assert refused == 4  # each refused at its first attempt (the check's refusal raised as itself)
    save(stream, 2, 1)  # after refusals, on the same pooled connections: the lock taken, once
    assert len(locks) == refused + 1
    recorder.insert_events([StoredEvent(originator_id=stream, originator_version=3, topic="bench:Filler",
                                        state=b"{}")])  # judged on nothing: the library's own lock
    assert len(locks) == refused + 2
    assert [e.originator_version for e in recorder.select_events(stream)] == [1, 2, 3]


def test_a_save_refused_in_the_database_is_refused_at_once_not_taken_for_a_lost_connection(
        backend: Backend, ledger: Ledger, caplog: pytest.LogCaptureFixture) -> None:
    # A write decided before the school year it was judged on changed is refused by the database
    # (migration 0005). In the library's pipelined transaction that error could surface as "pipeline
    # aborted" (an OperationalError), which the recorder took for a lost connection: a warning, a question
    # to the database, 0.2 s of sleep and the save run again before it was refused (10-15 of 40 refusals).
    import logging
    import uuid

    from eventsourcing.persistence import IntegrityError, StoredEvent

    judged_on = uuid.uuid4()
    ledger.recorder.insert_events([StoredEvent(originator_id=judged_on, originator_version=1,
                                               topic="bench:Filler", state=b"{}")])
    caplog.set_level(logging.WARNING, logger="gakuseki.storage")
    for _ in range(40):
        with pytest.raises(IntegrityError, match="judged on"):
            ledger.recorder.insert_events([StoredEvent(originator_id=uuid.uuid4(), originator_version=1,
                                                       topic="bench:Filler", state=b"{}")], unchanged=[(judged_on, 0)])
    assert [r.getMessage() for r in caplog.records if r.name == "gakuseki.storage"] == []
