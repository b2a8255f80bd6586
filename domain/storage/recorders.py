"""The library's recorders, extended to finish an idempotent request in the events' transaction.

The only subclasses of the library's classes that override its private methods, so a release of
eventsourcing that changes them breaks here and nowhere else (ADR 0029). Each override names the
private method it depends on; the SQL they run is in the table modules beside this one.

A write that carries an Idempotency-Key is claimed first (api/idempotency.py). When its events
are saved, the key's row is marked done with the receipt *inside the same database transaction*
as the events: once the API answers 201 the key and the events are durable together, and a crash
leaves either both or neither (PRODUCT.md §2, promise 6).

Every save also records where its transaction begins and ends (``recorded_at``: the latest recorded
time of its events; domain/transactions.py, ADR 0021), in the same transaction: one more INSERT per
transaction, whatever the number of its events.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composable, Composed

from domain import errors
from domain.storage import events, idempotency_keys, log_transactions
from domain.storage.database import Storage, Tx


@dataclass(frozen=True)
class Completion:
    """Which claimed key the events being saved complete, and the status to answer with."""

    staff_id: str
    key: str
    status: int


# Set by the API around one command; read by Ledger.record() in the same thread.
current_completion: ContextVar[Completion | None] = ContextVar("current_completion", default=None)


def receipt_json(stored_events: Sequence[StoredEvent], position: int) -> str:
    return json.dumps({"stream_id": str(stored_events[0].originator_id), "events": len(stored_events),
                       "position": position}, separators=(",", ":"))


def completed(stored_events: Sequence[StoredEvent], ids: Sequence[int],
              kwargs: dict[str, Any]) -> list[tuple[Completion, str]]:
    """The keys a save completes (``completions``: key, start, end of its write's events in the
    group commit's batch), each with the receipt of its own write's events. A receipt's position is
    the last of the transaction (ADR 0021): as of it, the write is wholly there."""
    many: Sequence[tuple[Completion, int, int]] = kwargs.get("completions", ())
    return [(c, receipt_json(stored_events[start:end], max(ids))) for c, start, end in many] if ids else []


def recorded_at(kwargs: dict[str, Any]) -> datetime | None:
    """When the events of a save were recorded (the latest); None for a raw insert, which then
    records no transaction row (its events count as transactions of their own)."""
    at: datetime | None = kwargs.get("recorded_at")
    return at


Judged = Sequence[tuple[UUID, int]]  # streams a write was decided on, with the version it read


# The library's private methods the recorders below override or call, with the parameters they
# are called with. At each release of eventsourcing, tests/domain/storage/test_recorders.py checks
# they are still there as named; ADR 0029 says what else to read in the release's changes.
PRIVATE_METHODS: tuple[tuple[type, str, tuple[str, ...]], ...] = (
    (SQLiteApplicationRecorder, "_insert_events", ("self", "c", "stored_events")),
    (PostgresApplicationRecorder, "_insert_events", ("self", "curs", "stored_events")),
    (PostgresApplicationRecorder, "_fetch_ids_after_insert_events", ("self", "curs", "stored_events")),
    (PostgresApplicationRecorder, "_lock_table", ("self", "curs")),
    (PostgresApplicationRecorder, "_notify_channel", ("self", "curs")),
    # ``insert_events`` is replaced below by its undecorated self (``__wrapped__``, without the retry).
    (PostgresApplicationRecorder.insert_events, "__wrapped__", ("self", "stored_events")),
)
log = logging.getLogger("gakuseki.storage")
SAVE_ATTEMPTS = 10  # as the library's retry: about 2 s of a database away before the write is refused
SAVE_WAIT = 0.2  # seconds between attempts


def _finish(tx: Tx, stored_events: Sequence[StoredEvent], ids: Sequence[int] | None, kwargs: dict[str, Any]) -> None:
    """After the events of a save, in its transaction: the keys it completes, and its boundaries."""
    for completion, response in completed(stored_events, ids or (), kwargs):
        idempotency_keys.complete(tx, completion.staff_id, completion.key, completion.status, response)
    if ids and (at := recorded_at(kwargs)) is not None:
        log_transactions.record(tx, ids, at)


class SQLiteRecorder(SQLiteApplicationRecorder):
    @cached_property
    def storage(self) -> Storage:
        return Storage.of(self)

    # Overrides the library's private ``SQLiteApplicationRecorder._insert_events(c, stored_events,
    # **kwargs)``: called by ``insert_events`` inside its writing transaction with the kwargs of
    # ``insert_events``; returns the rowids (notification ids) of the inserted events, in order.
    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> Sequence[int] | None:
        tx = Tx(self.storage, c)
        judged: Judged = kwargs.get("unchanged", ())
        for stream, version in judged:  # writers are serialised: nothing commits between this and the insert
            if events.changed_since(tx, stream, version):
                raise IntegrityError(f"stream {stream} changed after v{version}, which this write was judged on")
        ids = super()._insert_events(c, stored_events, **kwargs)
        _finish(tx, stored_events, ids, kwargs)
        return ids


# The connection whose transaction holds the event table's lock, in this thread (``PostgresRecorder._lock_table``).
_locked = threading.local()


def _binary_placeholders(statement: Composed) -> Composed:
    """The statement with its ``%s`` placeholders as ``%b`` (parameters in PostgreSQL's binary format)."""
    def part(p: Composable) -> Composable:
        if isinstance(p, Composed):
            return _binary_placeholders(p)
        return SQL(p.as_string(None).replace("%s", "%b")) if isinstance(p, SQL) else p
    return Composed([part(p) for p in statement])


class PostgresRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The library's INSERT of the events, its array of rows sent in PostgreSQL's binary format
        # (``%b``) instead of text: psycopg registers both dumpers of the row type and uses the text one
        # for ``%s``, whose text escapes every state's bytes as hex and then quotes the array element
        # with a regular expression; a transfer packet's admission (a 200 kB state) spent about 5 ms
        # of CPU there, and PostgreSQL parsed the hex back (ADR 0053). The same rows are stored.
        self.insert_events_statement = _binary_placeholders(self.insert_events_statement)

    @cached_property
    def storage(self) -> Storage:
        return Storage.of(self)

    # Replaces the library's ``insert_events``, whose decorator runs the whole transaction again after
    # a lost connection (up to 10 times). A connection lost while COMMIT was on its way may have
    # committed; run again, the save met its own rows, which the ledger took for another writer's
    # (seen in a drill that terminated the server's connections under load: a roll answered 422
    # "already marked" for the marks it had itself recorded, its Idempotency-Key done as 201).
    # Here, after a lost connection, the database is asked on a new one whether the events stand as
    # sent; they are then saved (the same transaction wrote the keys and boundaries), else the save
    # runs again. When the database cannot be asked, whether it committed is not known, and the
    # write is refused saying so (``SaveOutcomeUnknown``), never as refused outright.
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        insert = PostgresApplicationRecorder.insert_events.__wrapped__
        for attempt in range(1, SAVE_ATTEMPTS + 1):
            _locked.connection = None
            try:
                return insert(self, stored_events, **kwargs)
            except (InterfaceError, OperationalError) as lost:
                log.warning("a save of %d events lost its connection (attempt %d): %s", len(stored_events),
                            attempt, lost)
                saved = self._saved_as_sent(stored_events)
                if saved:
                    log.warning("the save had committed before its connection was lost: %d events at %d..%d",
                                len(saved), saved[0], saved[-1])
                    return saved
                self.storage.drop_broken_connections()
                if attempt == SAVE_ATTEMPTS:
                    raise errors.StoreUnavailable(
                        "the ledger's database cannot be reached; nothing was recorded by this request: "
                        "send it again in a moment") from lost
                time.sleep(SAVE_WAIT * (0.9 + 0.2 * random.random()))  # a jitter
            finally:
                _locked.connection = None  # the transaction has ended: its table lock with it
        return None  # not reached

    def _saved_as_sent(self, stored_events: Sequence[StoredEvent]) -> list[int]:
        """The positions of ``stored_events`` when every one is stored as sent (the save committed);
        [] when not (nothing of a transaction stands without all of it). Raises SaveOutcomeUnknown
        when the database cannot be asked."""
        if not stored_events:
            return []
        ids = [e.originator_id for e in stored_events]
        versions = [e.originator_version for e in stored_events]
        for attempt in range(1, SAVE_ATTEMPTS + 1):
            try:
                rows = self.storage.query(
                    "SELECT e.notification_id, e.topic, e.state FROM {events} e JOIN unnest(?::uuid[], ?::bigint[]) "
                    "WITH ORDINALITY AS k(id, version, n) ON e.originator_id = k.id AND e.originator_version = "
                    "k.version ORDER BY k.n", (ids, versions))
                break
            except (InterfaceError, OperationalError) as e:
                if attempt == SAVE_ATTEMPTS:
                    raise errors.SaveOutcomeUnknown(
                        "the connection to the ledger's database was lost while this write was being committed, "
                        "and the database cannot be asked whether it was: send it again with the same "
                        "Idempotency-Key (without one, read the record first)") from e
                time.sleep(SAVE_WAIT * (0.9 + 0.2 * random.random()))
        if len(rows) != len(stored_events):
            return []
        for (_, topic, state), sent in zip(rows, stored_events, strict=True):
            if topic != sent.topic or bytes(state) != sent.state:
                return []  # another writer's event at that version: this save did not commit
        return [int(r[0]) for r in rows]

    # Overrides the library's private ``PostgresApplicationRecorder._insert_events(curs,
    # stored_events, **kwargs)``: a no-op hook that ``insert_events`` calls in its pipelined
    # transaction before ``_insert_stored_events`` (which takes the table lock and inserts).
    # Uses the private ``_lock_table(curs)``.
    def _insert_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        judged: Judged = kwargs.get("unchanged", ())
        if judged:
            # Under the table lock (taken again by the insert: the same lock, already held), so no
            # other write commits between the check and this one. A change raises in the database
            # (migration 0005), which rolls the transaction back.
            self._lock_table(curs)
            # Synced at once (a nested pipeline syncs as it ends), so that a refusal raises here as what it
            # is, an integrity error: left in the library's pipeline with the INSERT queued after it, it
            # often surfaced as "pipeline aborted" (an OperationalError), which ``insert_events`` above
            # takes for a lost connection (a warning, a question, 0.2 s, and the save run again).
            with curs.connection.pipeline():
                events.require_unchanged(Tx(self.storage, curs), judged)
        super()._insert_events(curs, stored_events, **kwargs)

    # Overrides the library's private ``PostgresApplicationRecorder._lock_table(curs)``, which its
    # ``_insert_stored_events`` calls before the INSERT. A save judged on streams has taken the lock already,
    # in the same transaction on the same connection (``_insert_events`` above), and holds it until the
    # transaction ends: the second ``LOCK TABLE`` is not sent (ADR 0062). ``insert_events`` forgets the
    # connection when its transaction ends, committed or not.
    def _lock_table(self, curs: Cursor[DictRow]) -> None:
        if getattr(_locked, "connection", None) is curs.connection:
            return
        super()._lock_table(curs)
        _locked.connection = curs.connection

    # Overrides the library's private ``PostgresApplicationRecorder._notify_channel(curs)``, which the
    # library's ``_insert_stored_events`` calls in every save's transaction to send ``NOTIFY`` on the
    # ledger's channel. Nothing of Gakuseki listens (its projections poll the log, ADR 0005), and a
    # transaction that notified takes, at its commit, one lock of the whole PostgreSQL cluster held until
    # its commit is flushed: every such transaction of every database of the cluster commits after the
    # other, each with its own WAL flush (ADR 0059). No notification is sent.
    def _notify_channel(self, curs: Cursor[DictRow]) -> None:
        return None

    # Overrides the library's private ``PostgresApplicationRecorder._fetch_ids_after_insert_events(
    # curs, stored_events, **kwargs)``: called right after the INSERT, on its cursor, still in the
    # transaction and under the table lock; returns the notification ids (RETURNING), in order.
    def _fetch_ids_after_insert_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent],
                                       **kwargs: Any) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        _finish(Tx(self.storage, curs), stored_events, ids, kwargs)  # still under the table lock
        return ids
