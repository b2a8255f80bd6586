"""The idempotency_keys table (migration 0002; ADR 0008): a write's key, claimed before it runs and
marked done with its answer in the events' own transaction. The rules are api/idempotency.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from domain.storage.database import Tx


class Claim(NamedTuple):
    request_hash: str
    state: str  # "in_flight" or "done"
    claimed_at: datetime
    status: int | None
    response: str | None  # the answer's JSON, once done
    instance: str | None = None  # the server process that claimed it (None: claimed before migration 0008)


def claim(tx: Tx, staff_id: str, key: str, digest: str, at: datetime, instance: str | None = None) -> bool:
    """Claim the key for a request (in flight) of the server ``instance``; False when a row for it is
    there already."""
    return tx.execute("INSERT INTO {idempotency_keys} (staff_id, key, request_hash, state, claimed_at, instance) "
                      "VALUES (?, ?, ?, 'in_flight', ?, ?) ON CONFLICT DO NOTHING",
                      (staff_id, key, digest, tx.storage.moment(at), instance)).changed == 1


def find(tx: Tx, staff_id: str, key: str) -> Claim | None:
    row = tx.execute("SELECT request_hash, state, claimed_at, status, response, instance FROM {idempotency_keys} "
                     "WHERE staff_id = ? AND key = ?", (staff_id, key)).one()
    if row is None:
        return None
    digest, state, claimed_at, status, response, instance = row
    return Claim(digest, state, tx.storage.parse_moment(claimed_at), status, response, instance)


def take_over(tx: Tx, staff_id: str, key: str, digest: str, at: datetime, claimed_at: datetime,
              instance: str | None = None) -> bool:
    """Take over, for a request of the server ``instance``, a claim still in flight since ``claimed_at``
    (its request crashed); False when another request took it over first."""
    moment = tx.storage.moment
    return tx.execute("UPDATE {idempotency_keys} SET request_hash = ?, claimed_at = ?, instance = ? "
                      "WHERE staff_id = ? AND key = ? AND state = 'in_flight' AND claimed_at = ?",
                      (digest, moment(at), instance, staff_id, key, moment(claimed_at))).changed == 1


def complete(tx: Tx, staff_id: str, key: str, status: int, response: str) -> None:
    """Mark a claimed key done with its answer (in the transaction that saves the write's events)."""
    tx.execute("UPDATE {idempotency_keys} SET state = 'done', status = ?, response = ? "
               "WHERE staff_id = ? AND key = ? AND state = 'in_flight'", (status, response, staff_id, key))


def release(tx: Tx, staff_id: str, key: str) -> None:
    """Drop a claim still in flight (its command was refused: nothing of it stays)."""
    tx.execute("DELETE FROM {idempotency_keys} WHERE staff_id = ? AND key = ? AND state = 'in_flight'",
               (staff_id, key))


def purge(tx: Tx, kept: datetime, stale: datetime) -> int:
    """Drop the keys claimed before ``kept``; a claim still in flight only once it is also older
    than ``stale`` (never under its running request). Returns how many."""
    moment = tx.storage.moment
    return tx.execute("DELETE FROM {idempotency_keys} WHERE claimed_at < ? AND (state = 'done' OR claimed_at < ?)",
                      (moment(kept), moment(stale))).changed


def states(tx: Tx, key: str) -> list[tuple[Any, ...]]:
    """(state, status) of every row of a key, whoever claimed it (for tests and tools)."""
    return tx.execute("SELECT state, status FROM {idempotency_keys} WHERE key = ?", (key,)).rows()


def count(tx: Tx) -> int:
    row = tx.execute("SELECT count(*) FROM {idempotency_keys}").one()
    return int(row[0]) if row else 0
