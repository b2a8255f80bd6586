"""The read models' documents through the ledger's storage (their tables and SQL:
domain/storage/documents.py): encoded and decoded here, and saved as a compare-and-set."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from domain.storage import Storage, documents
from projections.base import Stored, canonical, decode

# The log positions that last changed the documents read from today's read models in this context,
# once ``note_changes`` asked for them: a form's PDF is dated by the newest (projections/forms/pdf.py, ADR 0035).
_changes: ContextVar[list[int] | None] = ContextVar("document_changes", default=None)


def note_changes() -> list[int]:
    """From now on in this context (a request's handler), note the position that last changed each
    document read by ``get_all``; returns the list the positions go into."""
    noted: list[int] = []
    _changes.set(noted)
    return noted


def noted_changes() -> list[int]:
    """The positions noted since ``note_changes`` in this context (empty when it was not asked)."""
    return _changes.get() or []


class StaleUpdate(RuntimeError):
    """The projection's tracked position is already at or past this update."""


class DocumentStore:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def position(self, projection: str) -> int:
        return documents.position(self.storage, projection)

    def positions(self, projections: Sequence[str]) -> dict[str, int]:
        """The position of each of these projections, read in one statement."""
        return documents.positions(self.storage, projections)

    def tracked(self) -> dict[str, tuple[int, datetime]]:
        """Every tracked projection's position and when it last moved (for /health)."""
        return documents.tracked(self.storage)

    def get(self, projection: str, key: str) -> Any:
        found = self.get_many(projection, [key])
        return found.get(key)

    def get_many(self, projection: str, keys: Iterable[str]) -> dict[str, Any]:
        """Documents by key (each of the shape its projection's TypedDicts declare)."""
        return {key: decode(document)
                for key, document in documents.by_key(self.storage, projection, list(dict.fromkeys(keys)))}

    def get_all(self, wanted: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
        """Documents of several projections in one query (a form's documents, read together)."""
        pairs = list(dict.fromkeys((name, key) for name, keys in wanted.items() for key in keys))
        out: dict[str, dict[str, Any]] = {name: {} for name in wanted}
        noted = _changes.get()
        for projection, key, document, changed in documents.by_pair(self.storage, pairs):
            out[projection][key] = decode(document)
            if noted is not None:
                noted.append(int(changed))
        return out

    def standing_at(self, wanted: dict[str, list[str]], position: int) -> tuple[dict[str, dict[str, Any]],
                                                                                dict[str, list[str]]]:
        """Documents as known at log ``position``, where today's read model already holds them.

        A projection that has applied the log past ``position`` holds, in every document last
        changed at or before it, exactly what a replay to it would build (the same events, applied
        in the same order); a key it does not hold did not exist then either. Returns those
        documents, and the keys still to replay (changed after ``position``, or of a projection not
        yet there). Each chunk reads the tracking positions and the documents in one statement,
        so a rebuild running beside it (which clears both in one transaction) is never half seen.
        """
        pairs = list(dict.fromkeys((name, key) for name, keys in wanted.items() for key in keys))
        found: dict[str, dict[str, Any]] = {name: {} for name in wanted}
        replay: dict[str, list[str]] = {name: [] for name in wanted}
        for i in range(0, len(pairs), documents.PAIRS_AT_ONCE):
            chunk = pairs[i:i + documents.PAIRS_AT_ONCE]
            applied, stored = documents.with_positions(self.storage, chunk)
            for name, key in chunk:
                if applied.get(name, 0) < position:
                    replay[name].append(key)
                elif (name, key) in stored:
                    document, changed = stored[(name, key)]
                    if changed <= position:
                        found[name][key] = decode(document)
                    else:
                        replay[name].append(key)
        return found, replay

    def keys_with_prefix(self, projection: str, prefix: str) -> list[str]:
        return documents.keys_with_prefix(self.storage, projection, prefix)

    def save(self, projection: str, changed: dict[str, Stored], positions: dict[str, int],
             position: int, since: int) -> None:
        """Write changed documents and the new tracking position in one transaction."""
        self.save_many({projection: (changed, positions)}, position, since)

    def save_many(self, updates: dict[str, tuple[dict[str, Stored], dict[str, int]]], position: int,
                  since: int) -> None:
        """Several projections' changed documents and their common new position, in one transaction.

        A compare-and-set: every projection must still stand at ``since``, the position the page was
        read after. Two runners (the server's poller and a request's ``wait_for``) may read
        overlapping pages; if the other one moved the projection at all since this page was read,
        this page's documents are built on what it read before and would apply events twice, so
        the whole transaction is refused (StaleUpdate) and the caller reads again.
        """
        self.save_encoded({projection: [(key, canonical(document), positions[key]) for key, document in changed.items()]
                           for projection, (changed, positions) in updates.items()}, position, since)

    def save_encoded(self, updates: dict[str, list[tuple[str, str, int]]], position: int, since: int,
                     new: dict[str, list[tuple[str, str, int]]] | None = None) -> None:
        """``save_many`` of documents already in their stored form: (key, canonical text, position that
        changed it) rows (a rebuild encodes them before a thread of its own writes them). ``new``: more
        such rows, of keys the store cannot hold yet (a rebuild's keys it has not saved before, in the
        read model it emptied), written without the upsert's look-up (``documents.put_new``). On
        PostgreSQL the large ones are compressed with lz4 where the server has it (``compress_fast``)."""
        now = self.storage.now()
        with self.storage.writing() as tx:
            documents.compress_fast(tx)
            # every projection's tracking row locked in one statement, every position set in one (ADR 0050)
            for projection, current in documents.lock_positions(tx, list(updates), now).items():
                if current != since or position <= since:
                    raise StaleUpdate(f"{projection} stands at {current}: a page read after {since} "
                                      f"up to {position} is refused")
            for projection, rows in updates.items():
                if rows:
                    documents.put(tx, projection, rows)
            for projection, rows in (new or {}).items():
                if rows:
                    documents.put_new(tx, projection, rows)
            documents.set_positions(tx, list(updates), position, now)

    def put(self, projection: str, changed: dict[str, Stored]) -> None:
        """Documents a process keeps of its own, not built from the log (the alert process's years swept,
        ADR 0042), written under the lock of its tracking row; its position stays as it is."""
        now = self.storage.now()
        with self.storage.writing() as tx:
            position = documents.lock_position(tx, projection, now)
            documents.put(tx, projection, [(key, canonical(document), position) for key, document in changed.items()])

    def clear(self, projection: str) -> None:
        documents.clear(self.storage, projection)

    def versions(self) -> dict[str, int]:
        """The version each projection's stored documents were built by (none recorded: unknown)."""
        return documents.versions(self.storage)

    def set_version(self, projection: str, version: int) -> None:
        documents.set_version(self.storage, projection, version)

    def documents(self, projection: str) -> dict[str, str]:
        """Every stored document of a projection, as stored (for comparisons and hashes)."""
        return documents.all_of(self.storage, projection)
