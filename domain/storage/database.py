"""A ledger's database as the ledger's own modules see it: one Storage per ledger (ADR 0029).

The eventsourcing library opens the connections (its datastore: a pool of SQLite connections, or a
psycopg pool for PostgreSQL); everything else that differs between the two backends is here:

- placeholders: SQL is written once with ``?``; on PostgreSQL it is sent with ``%s``;
- table names: ``{name}`` in a statement is the table, qualified by the schema on PostgreSQL
  (``"schema".name``); ``{events}`` is the library's event table (``stored_events`` on SQLite,
  ``gakuseki_events`` on PostgreSQL);
- the clock: a moment is stored as ISO 8601 text on SQLite and as ``timestamptz`` on PostgreSQL
  (``moment``, ``parse_moment``);
- rows: SQLite gives tuples, the library's psycopg connections give dicts; here both are tuples.

Library internals used here (check them at each release of eventsourcing; ADR 0029):
``recorder.datastore``, ``recorder.events_table_name``, ``PostgresDatastore.schema``,
``datastore.transaction(commit=...)``, ``PostgresDatastore.get_connection()`` and
``SQLiteCursor.sqlite_cursor`` (for ``rowcount``, which the library's cursor does not pass on).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.sqlite import SQLiteDatastore

log = logging.getLogger("gakuseki.storage")


class Tx:
    """One cursor inside one transaction, answering in tuples whatever the backend."""

    __slots__ = ("c", "storage")

    def __init__(self, storage: Storage, cursor: Any) -> None:
        self.storage, self.c = storage, cursor

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Tx:
        """Run a statement written with ``?`` and ``{table}`` (see ``Storage.sql``)."""
        self.c.execute(self.storage.sql(statement), params)
        return self

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        self.c.executemany(self.storage.sql(statement), rows)

    def rows(self) -> list[tuple[Any, ...]]:
        return [as_tuple(r) for r in self.c.fetchall()]

    def one(self) -> tuple[Any, ...] | None:
        row = self.c.fetchone()
        return None if row is None else as_tuple(row)

    @property
    def changed(self) -> int:
        """How many rows the last statement changed. The library's SQLite cursor keeps sqlite3's
        own cursor as ``sqlite_cursor`` and does not pass ``rowcount`` on."""
        return int(getattr(self.c, "sqlite_cursor", self.c).rowcount)


def as_tuple(row: Any) -> tuple[Any, ...]:
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)


class _Tables(dict[str, str]):
    """``{name}`` in a statement: the table, qualified by the schema on PostgreSQL."""

    def __init__(self, storage: Storage) -> None:
        super().__init__(events=storage.events)
        self.storage = storage

    def __missing__(self, name: str) -> str:
        return self.storage.table(name)


class Storage:
    """The ledger's database: its backend's spelling, its clock, and transactions on the library's
    connections. Made from the library's recorder (``Storage.of``); every ledger has one
    (``ledger.storage``), and the modules beside this one hold the SQL of each table."""

    def __init__(self, datastore: Any, *, sqlite: bool, schema: str = "public",
                 events: str | None = None) -> None:
        self.datastore, self.sqlite, self.schema = datastore, sqlite, schema
        self.kind = "sqlite" if sqlite else "postgresql"
        self.p = "?" if sqlite else "%s"
        self.events = events or self.table("stored_events" if sqlite else "gakuseki_events")
        self._tables = _Tables(self)
        self._statements: dict[str, str] = {}
        self.lz4: bool | None = None  # whether the server compresses TOASTed values with lz4 (compress_fast)

    @classmethod
    def of(cls, recorder: Any) -> Storage:
        """The storage of a library recorder (its ``datastore`` and ``events_table_name``)."""
        datastore = recorder.datastore
        sqlite = isinstance(datastore, SQLiteDatastore)
        schema = "public" if sqlite else datastore.schema
        events = recorder.events_table_name if sqlite else f'"{schema}".{recorder.events_table_name}'
        return cls(datastore, sqlite=sqlite, schema=schema, events=events)

    # ------------------------------------------------------------ spelling

    def table(self, name: str) -> str:
        return name if self.sqlite else f'"{self.schema}".{name}'

    def sql(self, statement: str) -> str:
        """A statement written once for both backends, as this one spells it: ``{name}`` is a table,
        ``?`` a parameter (no statement here has a literal ``?``, ``{`` or ``%``)."""
        spelt = self._statements.get(statement)
        if spelt is None:
            spelt = statement.format_map(self._tables)
            if not self.sqlite:
                spelt = spelt.replace("?", "%s")
            if len(self._statements) > 4096:  # built statements (IN lists of many lengths): keep it bounded
                self._statements.clear()
            self._statements[statement] = spelt
        return spelt

    @staticmethod
    def marks(count: int, each: str = "?") -> str:
        """``count`` parameters for an IN list (``each`` may be a row such as ``(?, ?)``)."""
        return ",".join([each] * count)

    # ------------------------------------------------------------ the clock

    @staticmethod
    def now() -> datetime:
        """The moment the ledger's own tables record (claims, access, read model updates): the
        server's clock in UTC. Events carry the ledger's injected clock instead (LedgerBase.clock)."""
        return datetime.now(UTC)

    def moment(self, at: datetime) -> Any:
        """A moment as a parameter: ISO 8601 text on SQLite, timestamptz on PostgreSQL."""
        return at.isoformat() if self.sqlite else at

    @staticmethod
    def parse_moment(value: Any) -> datetime:
        return datetime.fromisoformat(value) if isinstance(value, str) else value

    # ------------------------------------------------------------ transactions

    @contextmanager
    def writing(self) -> Iterator[Tx]:
        """One transaction that commits when the block ends (rolls back if it raises)."""
        with self.datastore.transaction(commit=True) as c:
            yield Tx(self, c)

    @contextmanager
    def reading(self) -> Iterator[Tx]:
        """One transaction that reads (several statements see one snapshot on PostgreSQL)."""
        with self.datastore.transaction(commit=False) as c:
            yield Tx(self, c)

    def query(self, statement: str, params: Sequence[Any] = (), *,
              prepare: bool | None = None) -> list[tuple[Any, ...]]:
        """The rows of one read statement. On PostgreSQL it runs alone on an autocommit connection
        (one round trip, no BEGIN/ROLLBACK around it); ``prepare=True`` for the hot ones."""
        if self.sqlite:
            with self.reading() as tx:
                return tx.execute(statement, params).rows()
        def read() -> list[tuple[Any, ...]]:
            with self.datastore.get_connection() as conn, conn.cursor() as c:
                c.execute(self.sql(statement), params, prepare=prepare)
                return [as_tuple(r) for r in c.fetchall()]
        try:
            return read()
        except (InterfaceError, OperationalError) as lost:
            # A pooled connection the server dropped (a restart, a terminated backend) fails on its
            # first use, and so would its idle siblings: drop the broken ones, then read once more.
            log.warning("a read lost its connection (%s: %s); dropping the pool's broken connections and "
                        "reading again", type(lost).__name__, str(lost).strip().splitlines()[0] if str(lost).strip()
                        else "")
            self.drop_broken_connections()
            return read()

    def drop_broken_connections(self) -> None:
        """Check the pool's idle connections and drop those the server has closed (PostgreSQL)."""
        if not self.sqlite:
            self.datastore.pool.check()
