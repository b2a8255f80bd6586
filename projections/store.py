"""The tables of the read models, on SQLite or PostgreSQL, through the ledger's own datastore."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from projections.base import Document, canonical


class StaleUpdate(RuntimeError):
    """The projection's tracked position is already at or past this update."""


class DocumentStore:
    def __init__(self, datastore: Any, *, sqlite: bool, schema: str = "public") -> None:
        self.datastore = datastore
        self.sqlite = sqlite
        q = "" if sqlite else f'"{schema}".'
        self.p = "?" if sqlite else "%s"
        self.docs, self.tracking = f"{q}projection_documents", f"{q}projection_tracking"

    def _rows(self, c: Any) -> list[tuple[Any, ...]]:
        return [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in c.fetchall()]

    def position(self, projection: str) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT position FROM {self.tracking} WHERE projection = {self.p}", (projection,))
            rows = self._rows(c)
        return int(rows[0][0]) if rows else 0

    def get(self, projection: str, key: str) -> Document | None:
        found = self.get_many(projection, [key])
        return found.get(key)

    def get_many(self, projection: str, keys: Iterable[str]) -> dict[str, Document]:
        keys = list(dict.fromkeys(keys))
        out: dict[str, Document] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            marks = ",".join([self.p] * len(chunk))
            with self.datastore.transaction(commit=False) as c:
                c.execute(f"SELECT key, document FROM {self.docs} WHERE projection = {self.p} AND key IN ({marks})",
                          (projection, *chunk))
                for key, document in self._rows(c):
                    out[key] = json.loads(document)
        return out

    def keys_with_prefix(self, projection: str, prefix: str) -> list[str]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT key FROM {self.docs} WHERE projection = {self.p} AND key LIKE {self.p} ORDER BY key",
                      (projection, prefix.replace("%", r"\%") + "%"))
            return [r[0] for r in self._rows(c)]

    def save(self, projection: str, documents: dict[str, Document], positions: dict[str, int],
             position: int) -> None:
        """Write changed documents and the new tracking position in one transaction."""
        p = self.p
        now: Any = datetime.now(UTC)
        upsert = (f"INSERT INTO {self.docs} (projection, key, document, position) VALUES ({p}, {p}, {p}, {p}) "
                  "ON CONFLICT (projection, key) DO UPDATE SET document = excluded.document, "
                  "position = excluded.position")
        with self.datastore.transaction(commit=True) as c:
            # One runner per projection: a position that does not move forward means another
            # runner got there first, and this transaction must not write its documents.
            c.execute(f"SELECT position FROM {self.tracking} WHERE projection = {p}"
                      + ("" if self.sqlite else " FOR UPDATE"), (projection,))
            rows = self._rows(c)
            if rows and int(rows[0][0]) >= position:
                raise StaleUpdate(f"{projection} is already at {rows[0][0]}, not before {position}")
            for key, document in documents.items():
                c.execute(upsert, (projection, key, canonical(document), positions[key]))
            c.execute(
                f"INSERT INTO {self.tracking} (projection, position, updated_at) VALUES ({p}, {p}, {p}) "
                "ON CONFLICT (projection) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at",
                (projection, position, now.isoformat() if self.sqlite else now),
            )

    def clear(self, projection: str) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"DELETE FROM {self.docs} WHERE projection = {self.p}", (projection,))
            c.execute(f"DELETE FROM {self.tracking} WHERE projection = {self.p}", (projection,))

    def documents(self, projection: str) -> dict[str, str]:
        """Every stored document of a projection, as stored (for comparisons and hashes)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT key, document FROM {self.docs} WHERE projection = {self.p} ORDER BY key", (projection,))
            return {k: d for k, d in self._rows(c)}
