"""The log_transactions table: where each transaction of the log begins and ends (ADR 0021,
migration 0006). The rules that read it are domain/transactions.py; this is its SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from domain.storage.database import Storage, Tx

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(moment: datetime) -> int:
    """A moment as whole microseconds since 1970-01-01 UTC (naive moments are taken as UTC)."""
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1)


def from_micros(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


_RECORD = {
    "sqlite": "INSERT INTO {log_transactions} (last_position, first_position, known_at_us) SELECT ?, ?, "
              "max(?, coalesce((SELECT known_at_us FROM {log_transactions} ORDER BY last_position DESC LIMIT 1), ?))",
    "postgresql": "INSERT INTO {log_transactions} (last_position, first_position, known_at_us) SELECT ?, ?, "
                  "GREATEST(?::bigint, (SELECT known_at_us FROM {log_transactions} ORDER BY last_position DESC "
                  "LIMIT 1), ?::bigint)",
}


def record(tx: Tx, ids: Sequence[int], recorded_at: datetime) -> None:
    """The row of one transaction, written in it after its events. Under the event table's lock
    (PostgreSQL) or the single writer (SQLite), so the transaction before it is the last row."""
    at = micros(recorded_at)
    tx.execute(_RECORD[tx.storage.kind], (max(ids), min(ids), at, at))


def holding(storage: Storage, position: int) -> tuple[int, int] | None:
    """(first, last) of the first recorded transaction ending at or after ``position`` (it holds
    ``position`` only if its first is at or before it); None when none is recorded there yet."""
    rows = storage.query("SELECT first_position, last_position FROM {log_transactions} WHERE last_position >= ? "
                         "ORDER BY last_position LIMIT 1", (position,), prepare=True)
    return (int(rows[0][0]), int(rows[0][1])) if rows else None


def known_at(storage: Storage, at: datetime) -> tuple[int | None, int | None, int | None]:
    """In one statement: the last position of the last transaction known at or before ``at``, the
    first position of the first recorded transaction, and the last position of the first
    transaction known after ``at`` (each None when there is none)."""
    t = micros(at)
    rows = storage.query(
        "SELECT 1, last_position FROM (SELECT last_position FROM {log_transactions} WHERE known_at_us <= ? "
        "ORDER BY known_at_us DESC, last_position DESC LIMIT 1) k UNION ALL "
        "SELECT 2, first_position FROM (SELECT first_position FROM {log_transactions} ORDER BY last_position "
        "LIMIT 1) f UNION ALL "
        "SELECT 3, last_position FROM (SELECT last_position FROM {log_transactions} WHERE known_at_us > ? "
        "ORDER BY known_at_us, last_position LIMIT 1) l", (t, t), prepare=True)
    found = {int(kind): int(value) for kind, value in rows}
    return found.get(1), found.get(2), found.get(3)


def known_time(storage: Storage, position: int) -> datetime | None:
    """The recorded time of the last transaction ending at or before ``position``."""
    rows = storage.query("SELECT known_at_us FROM {log_transactions} WHERE last_position <= ? "
                         "ORDER BY last_position DESC LIMIT 1", (position,), prepare=True)
    return from_micros(int(rows[0][0])) if rows else None
