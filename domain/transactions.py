"""Where each transaction of the log begins and ends (ADR 0021, migration 0006).

A class roll is one transaction of thirty events, and a group commit (ADR 0017) saves several
writes in one; nobody can ever read part of one. The recorder (domain/storage/recorders.py) writes one row
per transaction, in that transaction: its first and last log position and when it can first have
been known (``known_at``: the latest recorded time of its events and of every transaction before
it, so it never decreases along the log). A point in time then stands on whole transactions:

- a position inside a transaction means the state before it (``settled``);
- a recorded time means the transactions known at or before it, a prefix of the log (``known_at``).

Events recorded before the migration have no row: each counts as a transaction of its own, as it
did before; so does an event saved without saying when its events were recorded (a raw insert).
The SQL of the table is domain/storage/log_transactions.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.storage import Storage, log_transactions

_CACHED = 4096  # settled answers kept by a ledger (each is final: see Boundaries)


class Boundaries:
    """Reads the transaction rows of one ledger's store. Every answer it keeps is final: it is kept
    only when a transaction recorded after the question settles it for good."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._settled: dict[int, int] = {}
        self._known: dict[datetime, int | None] = {}

    def around(self, position: int) -> tuple[int, int] | None:
        """The first and last position of the recorded transaction that holds ``position`` (None
        when none does: an event before the migration, a gap, or beyond the log)."""
        found = log_transactions.holding(self.storage, position)
        return found if found is not None and found[0] <= position else None

    def settled(self, position: int) -> int:
        """The last position at or before ``position`` that no transaction straddles: ``position``
        itself, or the one before the transaction it falls inside (the state before that transaction)."""
        if position in self._settled:
            return self._settled[position]
        found = log_transactions.holding(self.storage, position)
        if found is None:  # nothing recorded at or after it yet: a later transaction could still straddle it
            return position
        first, last = found
        answer = first - 1 if first <= position < last else position
        self._keep(self._settled, position, answer)
        return answer

    def known_at(self, at: datetime) -> int | None:
        """The last position of the transactions known at or before ``at`` (a prefix of the log);
        None when no transaction has a row (a log recorded wholly before the migration)."""
        if at in self._known:
            return self._known[at]
        known, first, later = log_transactions.known_at(self.storage, at)
        if first is None:
            return None
        answer = known if known is not None else first - 1
        if later is not None:  # a transaction known after ``at`` is recorded: no later one can be known before it
            self._keep(self._known, at, answer)
        return answer

    def known_time(self, position: int) -> datetime | None:
        """When the log up to ``position`` was known: the recorded time of the last transaction that
        ends at or before it (None when no transaction up to it has a row)."""
        return log_transactions.known_time(self.storage, position)

    @staticmethod
    def _keep(cache: dict[Any, Any], key: Any, value: Any) -> None:
        if len(cache) >= _CACHED:
            cache.clear()
        cache[key] = value
