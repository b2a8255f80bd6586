"""The server_instances table (migration 0008; ADR 0061): each serving process's heartbeat, so that a
claim of an Idempotency-Key made by a process that died is known as such. The rules are
api/idempotency.py."""

from __future__ import annotations

from datetime import datetime

from domain.storage.database import Tx


def beat(tx: Tx, instance: str, at: datetime) -> None:
    """``instance`` is alive at ``at`` (its row written the first time)."""
    moment = tx.storage.moment(at)
    tx.execute("INSERT INTO {server_instances} (instance, started_at, seen_at) VALUES (?, ?, ?) "
               "ON CONFLICT (instance) DO UPDATE SET seen_at = excluded.seen_at", (instance, moment, moment))


def seen(tx: Tx, instance: str) -> datetime | None:
    """When ``instance`` last said it was alive; None when it never did or has stopped."""
    row = tx.execute("SELECT seen_at FROM {server_instances} WHERE instance = ?", (instance,)).one()
    return tx.storage.parse_moment(row[0]) if row else None


def forget(tx: Tx, instance: str) -> None:
    """``instance`` has stopped (its requests answered)."""
    tx.execute("DELETE FROM {server_instances} WHERE instance = ?", (instance,))


def purge(tx: Tx, before: datetime) -> int:
    """Drop the rows of processes not seen since ``before`` (killed, never stopped); returns how many."""
    return tx.execute("DELETE FROM {server_instances} WHERE seen_at < ?", (tx.storage.moment(before),)).changed
