"""Reads of the event table that the library's recorders do not offer. The table itself is the
library's (``stored_events`` on SQLite, ``gakuseki_events`` on PostgreSQL; migration 0001), and
the library alone writes to it (domain/storage/recorders.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from psycopg.rows import tuple_row

from domain.storage.database import Storage, Tx

Row = tuple[int, UUID, int, str, bytes]  # position, stream, version, topic, stored state


def in_streams(storage: Storage, stream_ids: Sequence[UUID]) -> Iterable[Row]:
    """Every event of the given streams, in no order (the caller sorts): one indexed query on
    PostgreSQL (the ids as an array, ``= ANY``), IN lists of 500 on SQLite. No ORDER BY in SQL: with
    it PostgreSQL may walk the whole log in position order instead of the stream index (seen: 440 ms
    for 200 events of a 1.25M-event log)."""
    if storage.sqlite:
        for i in range(0, len(stream_ids), 500):
            chunk = stream_ids[i:i + 500]
            yield from _rows(storage.query("SELECT rowid, originator_id, originator_version, topic, state FROM "
                                           f"{{events}} WHERE originator_id IN ({storage.marks(len(chunk))})",
                                           [s.hex for s in chunk]))
    elif stream_ids:
        yield from _rows(storage.query("SELECT notification_id, originator_id, originator_version, topic, state "
                                       "FROM {events} WHERE originator_id = ANY(?::uuid[])", (list(stream_ids),),
                                       prepare=True))


def in_streams_after(storage: Storage, after: Sequence[tuple[UUID, int]]) -> Iterable[Row]:
    """The events of each given stream after the version given with it (0: all), in no order: what a
    reader that holds a stream's first versions still needs (domain/stream_cache.py, ADR 0062). One
    query on PostgreSQL (the streams and versions as arrays, joined on the stream index); on SQLite
    one per 250 streams."""
    if storage.sqlite:
        for i in range(0, len(after), 250):
            chunk = after[i:i + 250]
            where = " OR ".join(["(originator_id = ? AND originator_version > ?)"] * len(chunk))
            yield from _rows(storage.query("SELECT rowid, originator_id, originator_version, topic, state FROM "
                                           f"{{events}} WHERE {where}", [p for s, v in chunk for p in (s.hex, v)]))
    elif after:
        yield from _rows(storage.query(
            "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state FROM {events} e "
            "JOIN unnest(?::uuid[], ?::bigint[]) AS k(id, after) ON e.originator_id = k.id "
            "AND e.originator_version > k.after", ([s for s, _ in after], [v for _, v in after]), prepare=True))


def digests_in_streams(storage: Storage, stream_ids: Sequence[UUID]) -> list[Row]:
    """``in_streams``, with the SHA-256 of each stored state in place of the state: all a Merkle leaf
    needs (a packet's proof: ADR 0053). PostgreSQL hashes the stored bytes itself, as it does for the
    Merkle projection (``digests_after``), and sends 32 bytes a row in its binary format."""
    if storage.sqlite:
        return [(*row[:4], hashlib.sha256(row[4]).digest()) for row in in_streams(storage, stream_ids)]
    if not stream_ids:
        return []
    with storage.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row, binary=True) as c:
        c.execute(storage.sql("SELECT notification_id, originator_id, originator_version, topic, sha256(state) "
                              "FROM {events} WHERE originator_id = ANY(?::uuid[])"), (list(stream_ids),),
                  prepare=True)
        return c.fetchall()


def after(storage: Storage, position: int, limit: int, stop: int | None = None,
          topics: Sequence[str] = ()) -> list[Row]:
    """Up to ``limit`` events after log ``position`` (up to ``stop``; only of ``topics`` when given),
    in log order, as stored: the Merkle log's page and a rebuild's. Tuples straight from the driver
    (the library's notifications are dicts made into objects: a third of the time of a page at
    200,000 events), in PostgreSQL's binary format (the text format's hex of the state bytes and
    text of the ids took twice the time of the page)."""
    return _after(storage, position, limit, stop, topics)


def _after(storage: Storage, position: int, limit: int, stop: int | None, topics: Sequence[str]) -> list[Row]:
    stop = (1 << 63) - 1 if stop is None else stop
    if storage.sqlite:
        among = f" AND topic IN ({storage.marks(len(topics))})" if topics else ""
        rows = storage.query("SELECT rowid, originator_id, originator_version, topic, state FROM {events} "
                             f"WHERE rowid > ? AND rowid <= ?{among} ORDER BY rowid LIMIT ?",
                             (position, stop, *topics, limit))
        return list(_rows(rows))
    among, params = (" AND topic = ANY(?)", (position, stop, list(topics), limit)) if topics else \
        ("", (position, stop, limit))
    with storage.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row, binary=True) as c:
        c.execute(storage.sql("SELECT notification_id, originator_id, originator_version, topic, state "
                              f"FROM {{events}} WHERE notification_id > ? AND notification_id <= ?{among} "
                              "ORDER BY notification_id LIMIT ?"), params, prepare=True)
        return c.fetchall()


def digests_after(storage: Storage, position: int, limit: int, stop: int | None = None) -> list[Row]:
    """``after``, with the SHA-256 of each stored state in place of the state: all a Merkle leaf needs
    (ADR 0030). PostgreSQL hashes the stored bytes itself (``sha256(bytea)``) and sends 32 bytes a
    row instead of the state; on SQLite they are hashed here."""
    if storage.sqlite:
        return [(p, s, v, t, hashlib.sha256(st).digest()) for p, s, v, t, st in after(storage, position, limit, stop)]
    stop = (1 << 63) - 1 if stop is None else stop
    with storage.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as c:
        c.execute(storage.sql("SELECT notification_id, originator_id, originator_version, topic, sha256(state) "
                              "FROM {events} WHERE notification_id > ? AND notification_id <= ? "
                              "ORDER BY notification_id LIMIT ?"), (position, stop, limit), prepare=True)
        return c.fetchall()


def _rows(rows: list[tuple[Any, ...]]) -> Iterable[Row]:
    for position, originator_id, version, topic, state in rows:
        stream = originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
        yield int(position), stream, int(version), topic, bytes(state)


def count(storage: Storage) -> int:
    """How many events the log holds (positions can have gaps)."""
    rows = storage.query("SELECT count(*) FROM {events}")
    return int(rows[0][0])


def changed_since(tx: Tx, stream: UUID, version: int) -> bool:
    """Whether a stream has an event after ``version`` (SQLite, in the writer's transaction)."""
    return tx.execute("SELECT 1 FROM {events} WHERE originator_id = ? AND originator_version > ? LIMIT 1",
                      (stream.hex, version)).one() is not None


def require_unchanged(tx: Tx, judged: Sequence[tuple[UUID, int]]) -> None:
    """Raise in the database (PostgreSQL; migration 0005's function) if one of the streams has an
    event after the version given with it, which rolls the transaction back."""
    tx.execute("SELECT {gakuseki_require_unchanged}(?::uuid[], ?::integer[])",
               ([s for s, _ in judged], [v for _, v in judged]))
