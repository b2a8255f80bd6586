"""Where each transaction of the log begins and ends (ADR 0021, migration 0006).

A class roll is one transaction of thirty events, and a group commit (ADR 0017) saves several
writes in one; nobody can ever read part of one. The recorder (domain/recorders.py) writes one row
per transaction, in that transaction: its first and last log position and when it can first have
been known (``known_at``: the latest recorded time of its events and of every transaction before
it, so it never decreases along the log). A point in time then stands on whole transactions:

- a position inside a transaction means the state before it (``settled``);
- a recorded time means the transactions known at or before it, a prefix of the log (``known_at``).

Events recorded before the migration have no row: each counts as a transaction of its own, as it
did before; so does an event saved without saying when its events were recorded (a raw insert).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CACHED = 4096  # settled answers kept by a ledger (each is final: see Boundaries)


def micros(moment: datetime) -> int:
    """A moment as whole microseconds since 1970-01-01 UTC (naive moments are taken as UTC)."""
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1)


def record_sql(sqlite: bool, schema: str = "public") -> str:
    """The row of one transaction, written in it after its events (parameters: last, first, latest
    recorded time of its events, the same again). Under the event table's lock (PostgreSQL) or the
    single writer (SQLite), so the transaction before it is the last row."""
    if sqlite:
        return ("INSERT INTO log_transactions (last_position, first_position, known_at_us) SELECT ?, ?, "
                "max(?, coalesce((SELECT known_at_us FROM log_transactions ORDER BY last_position DESC LIMIT 1), ?))")
    table = f'"{schema}".log_transactions'
    return (f"INSERT INTO {table} (last_position, first_position, known_at_us) SELECT %s, %s, "
            f"GREATEST(%s::bigint, (SELECT known_at_us FROM {table} ORDER BY last_position DESC LIMIT 1), %s::bigint)")


def record_params(ids: Sequence[int], recorded_at: datetime) -> tuple[int, int, int, int]:
    at = micros(recorded_at)
    return max(ids), min(ids), at, at


class Boundaries:
    """Reads the transaction rows of one ledger's store. Every answer it keeps is final: it is kept
    only when a transaction recorded after the question settles it for good."""

    def __init__(self, datastore: Any, *, sqlite: bool, schema: str = "public") -> None:
        self.datastore, self.sqlite = datastore, sqlite
        self.table = "log_transactions" if sqlite else f'"{schema}".log_transactions'
        self.p = "?" if sqlite else "%s"
        self._settled: dict[int, int] = {}
        self._known: dict[datetime, int | None] = {}

    def _rows(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        if self.sqlite:
            with self.datastore.transaction(commit=False) as c:
                c.execute(sql, params)
                rows = c.fetchall()
        else:  # one statement on an autocommit connection
            with self.datastore.get_connection() as conn, conn.cursor() as c:
                c.execute(sql, params, prepare=True)
                rows = c.fetchall()
        return [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in rows]

    def around(self, position: int) -> tuple[int, int] | None:
        """The first and last position of the recorded transaction that holds ``position`` (None
        when none does: an event before the migration, a gap, or beyond the log)."""
        rows = self._rows(f"SELECT first_position, last_position FROM {self.table} WHERE last_position >= {self.p} "
                          "ORDER BY last_position LIMIT 1", (position,))
        if rows and int(rows[0][0]) <= position:
            return int(rows[0][0]), int(rows[0][1])
        return None

    def settled(self, position: int) -> int:
        """The last position at or before ``position`` that no transaction straddles: ``position``
        itself, or the one before the transaction it falls inside (the state before that transaction)."""
        if position in self._settled:
            return self._settled[position]
        rows = self._rows(f"SELECT first_position, last_position FROM {self.table} WHERE last_position >= {self.p} "
                          "ORDER BY last_position LIMIT 1", (position,))
        if not rows:  # nothing recorded at or after it yet: a later transaction could still straddle it
            return position
        first = int(rows[0][0])
        answer = first - 1 if first <= position < int(rows[0][1]) else position
        self._keep(self._settled, position, answer)
        return answer

    def known_at(self, at: datetime) -> int | None:
        """The last position of the transactions known at or before ``at`` (a prefix of the log);
        None when no transaction has a row (a log recorded wholly before the migration)."""
        if at in self._known:
            return self._known[at]
        t, p = micros(at), self.p
        rows = self._rows(
            f"SELECT 1, last_position FROM (SELECT last_position FROM {self.table} WHERE known_at_us <= {p} "
            "ORDER BY known_at_us DESC, last_position DESC LIMIT 1) k UNION ALL "
            f"SELECT 2, first_position FROM (SELECT first_position FROM {self.table} ORDER BY last_position "
            "LIMIT 1) f UNION ALL "
            f"SELECT 3, last_position FROM (SELECT last_position FROM {self.table} WHERE known_at_us > {p} "
            "ORDER BY known_at_us, last_position LIMIT 1) l", (t, t))
        found = {int(kind): int(value) for kind, value in rows}
        if 2 not in found:
            return None
        answer = found[1] if 1 in found else found[2] - 1
        if 3 in found:  # a transaction known after ``at`` is recorded: no later one can be known before it
            self._keep(self._known, at, answer)
        return answer

    def known_time(self, position: int) -> datetime | None:
        """When the log up to ``position`` was known: the recorded time of the last transaction that
        ends at or before it (None when no transaction up to it has a row)."""
        rows = self._rows(f"SELECT known_at_us FROM {self.table} WHERE last_position <= {self.p} "
                          "ORDER BY last_position DESC LIMIT 1", (position,))
        return EPOCH + timedelta(microseconds=int(rows[0][0])) if rows else None

    @staticmethod
    def _keep(cache: dict[Any, Any], key: Any, value: Any) -> None:
        if len(cache) >= _CACHED:
            cache.clear()
        cache[key] = value
