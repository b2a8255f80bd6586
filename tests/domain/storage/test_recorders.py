"""The recorders' dependence on the library's private methods (domain/storage/recorders.py, ADR 0029):
what to check first when eventsourcing is upgraded."""

from __future__ import annotations

import inspect

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
