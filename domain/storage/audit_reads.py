"""What the offline auditor (`gakuseki verify`, `gakuseki export-log`) reads, on a connection of its own
that cannot write (ADR 0029: the SQL is here; the checks are domain/transparency/audit*.py).

The auditor does not trust the database, so it opens it read-only where the backend allows (SQLite:
``mode=ro``; PostgreSQL: a READ ONLY, REPEATABLE READ transaction: every read sees one snapshot,
even while the ledger writes) and reads the event rows raw, as stored: on SQLite the stream id and
the topic as their bytes (``CAST(... AS BLOB)``), so that a byte the ledger would never write is
seen rather than normalised away by a decoder. The Merkle log's tables are read with
``merkle_log``'s functions where they fit, and in one ordered pass each here where they do not.
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from domain.backend import Backend
from domain.storage import merkle_log
from domain.storage.database import Storage
from domain.transparency.audit_rows import PAGE, CopyPage, LeafPage, row_pages

__all__ = ["AuditDatabase"]

_PAGE = 20_000
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


class _OneConnection:
    """The little of the library's datastore that ``Storage`` uses, over one connection the auditor
    opened: every statement runs in the same (read) transaction, and nothing is ever committed."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    @contextmanager
    def transaction(self, commit: bool) -> Iterator[Any]:
        if commit:
            raise PermissionError("the auditor's connection does not write")
        cursor = self.connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    @contextmanager
    def get_connection(self) -> Iterator[Any]:
        yield self.connection


class AuditDatabase:
    """A ledger's database as the auditor reads it. ``open`` it read-only from a URL, or ``on`` a
    connection already open (a test that altered rows in its own transaction shows them to it)."""

    def __init__(self, connection: Any, *, sqlite: bool, schema: str = "public", owned: bool = False) -> None:
        self.connection = connection
        self.storage = Storage(_OneConnection(connection), sqlite=sqlite, schema=schema)
        self.sqlite = sqlite
        self._owned = owned

    @classmethod
    def open(cls, backend: Backend) -> AuditDatabase:
        if backend.kind == "sqlite":
            assert backend.sqlite_path is not None
            if not backend.sqlite_path.exists():
                raise ValueError(f"no SQLite database at {backend.sqlite_path}")
            conn = sqlite3.connect(f"file:{backend.sqlite_path}?mode=ro", uri=True, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("BEGIN")  # one read transaction: one snapshot of the log for the whole audit
            return cls(conn, sqlite=True, owned=True)
        pg = psycopg.connect(backend.psycopg_conninfo(), autocommit=False)
        pg.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        pg.read_only = True
        return cls(pg, sqlite=False, schema=backend.schema, owned=True)

    @classmethod
    def on(cls, connection: Any, *, sqlite: bool, schema: str = "public") -> AuditDatabase:
        return cls(connection, sqlite=sqlite, schema=schema)

    def close(self) -> None:
        if self._owned:
            self.connection.rollback()
            self.connection.close()

    def __enter__(self) -> AuditDatabase:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ------------------------------------------------------------ the event rows, raw

    def _select_events(self, where: str = "") -> str:
        if self.sqlite:
            return ("SELECT rowid, CAST(originator_id AS BLOB), originator_version, CAST(topic AS BLOB), state "
                    f"FROM {self.storage.events} {where} ORDER BY rowid")
        return ("SELECT notification_id, originator_id, originator_version, topic, state "
                f"FROM {self.storage.events} {where} ORDER BY notification_id")

    def count_events(self) -> int:
        return int(self.storage.query("SELECT count(*) FROM {events}")[0][0])

    def events(self) -> Iterator[tuple[Any, ...]]:
        """Every event row in log order, (position, stream id, version, topic, state) as stored."""
        if self.sqlite:
            cursor = self.connection.execute(self._select_events())
            while True:
                rows = cursor.fetchmany(_PAGE)
                if not rows:
                    return
                yield from rows
        # COPY in binary: about 1.8 times the rows a second of a server-side cursor (seen: 460,000 against
        # 260,000 at 300,000 events), and allowed in a READ ONLY transaction.
        with self.connection.cursor() as cursor, cursor.copy(
                f"COPY ({self._select_events()}) TO STDOUT (FORMAT BINARY)") as copy:
            copy.set_types(["int8", "uuid", "int8", "text", "bytea"])
            yield from copy.rows()

    def leaf_pages(self) -> Iterator[LeafPage]:
        """Every event row in log order, a page of ``PAGE`` rows at a time with their leaf hashes
        (``audit_rows.LeafPage``): the audit's pass over the log."""
        if self.sqlite:
            yield from row_pages(self.events())
            return
        for raw in self._copy_pages(f"COPY ({self._select_events()}) TO STDOUT (FORMAT BINARY)"):
            yield CopyPage(raw)

    def _copy_pages(self, statement: str) -> Iterator[list[memoryview]]:
        """The rows of a binary COPY as the server sends them (one message a row, the file header cut
        from the first), ``PAGE`` a list.

        Read with libpq's own call (psycopg's ``Connection.pgconn``, its documented way to libpq) rather
        than psycopg's ``Copy``, whose generator and wait per row cost a quarter of the audit's CPU;
        the server streams the rows meanwhile, on its own core."""
        from psycopg import pq

        connection = self.connection
        if connection.info.transaction_status == pq.TransactionStatus.IDLE and not connection.autocommit:
            connection.execute("SELECT 1")  # psycopg begins the audit's (read-only, one snapshot) transaction
        pg = connection.pgconn
        pg.send_query(statement.encode())
        result = pg.get_result()
        if result is None or result.status != pq.ExecStatus.COPY_OUT:
            message = (result.error_message if result is not None else pg.error_message).decode(errors="replace")
            while pg.get_result() is not None:
                pass
            raise psycopg.DatabaseError(f"the audit's COPY failed: {message.strip()}")
        get = pg.get_copy_data
        done = False
        try:
            count, data = get(0)
            if count < 0 or bytes(data[:11]) != _COPY_SIGNATURE:
                raise psycopg.DatabaseError("the audit's COPY did not start with PostgreSQL's binary header")
            (extension,) = struct.unpack_from(">I", data, 15)
            page: list[memoryview] = [data[19 + extension:]]
            while True:
                count, data = get(0)
                if count < 0:
                    break
                page.append(data)
                if len(page) == PAGE:
                    yield page
                    page = []
            if count == -2:
                raise psycopg.DatabaseError(f"the audit's COPY failed: {pg.error_message.decode(errors='replace')}")
            done = True
            if page and len(page[-1]) == 2:
                page.pop()  # the trailer: a field count of -1
            if page:
                yield page
        finally:
            if not done:  # left early (an error, or the caller stopped): the rest read and dropped, so the
                while get(0)[0] >= 0:  # connection goes on in its transaction
                    pass
            result = pg.get_result()
            while pg.get_result() is not None:
                pass
            if done and (result is None or result.status != pq.ExecStatus.COMMAND_OK):
                raise psycopg.DatabaseError("the audit's COPY did not end as it should")

    def events_at(self, positions: Iterable[int]) -> list[tuple[Any, ...]]:
        """The rows at these log positions (those that exist)."""
        wanted = sorted(set(positions))
        found: list[tuple[Any, ...]] = []
        column = "rowid" if self.sqlite else "notification_id"
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            statement = self._select_events(f"WHERE {column} IN ({self.storage.marks(len(chunk), self.storage.p)})")
            cursor = self.connection.cursor()
            try:
                cursor.execute(statement, chunk)
                found.extend(tuple(r) for r in cursor.fetchall())
            finally:
                cursor.close()
        return found

    # ------------------------------------------------------------ the Merkle log's tables

    def leaf_tiles(self) -> Iterator[tuple[int, bytes]]:
        """The stored level-0 tiles (tile index, hashes) in index order."""
        after = -1
        while True:
            rows = self.storage.query("SELECT tile_index, hashes FROM {merkle_tiles} WHERE level = 0 AND "
                                      "tile_index > ? ORDER BY tile_index LIMIT ?", (after, 1000))
            for index, hashes in rows:
                yield int(index), bytes(hashes)
            if len(rows) < 1000:
                return
            after = int(rows[-1][0])

    def leaf_positions(self) -> Iterator[tuple[int, bytes]]:
        """The stored positions of the leaves of each level-0 tile (tile index, packed u64), in index order."""
        after = -1
        while True:
            rows = self.storage.query("SELECT tile_index, positions FROM {merkle_leaf_positions} WHERE "
                                      "tile_index > ? ORDER BY tile_index LIMIT ?", (after, 1000))
            for index, packed in rows:
                yield int(index), bytes(packed)
            if len(rows) < 1000:
                return
            after = int(rows[-1][0])

    def checkpoints(self) -> list[merkle_log.StoredCheckpoint]:
        return list(merkle_log.checkpoints(self.storage))

    def cosignatures(self) -> list[merkle_log.StoredCosignature]:
        """Every stored cosignature, by tree size then key id."""
        storage = self.storage
        rows = storage.query("SELECT tree_size, key_id, witness, cosigned_at, line, received_at "
                             "FROM {merkle_cosignatures} ORDER BY tree_size, key_id")
        return [merkle_log.StoredCosignature(int(s), int(k), w, int(c), line, storage.parse_moment(r))
                for s, k, w, c, line, r in rows]

