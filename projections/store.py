"""The tables of the read models, on SQLite or PostgreSQL, through the ledger's own datastore."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from projections.base import Stored, canonical, decode


class StaleUpdate(RuntimeError):
    """The projection's tracked position is already at or past this update."""


class DocumentStore:
    def __init__(self, datastore: Any, *, sqlite: bool, schema: str = "public") -> None:
        self.datastore = datastore
        self.sqlite = sqlite
        q = "" if sqlite else f'"{schema}".'
        self.p = "?" if sqlite else "%s"
        self.docs, self.tracking = f"{q}projection_documents", f"{q}projection_tracking"
        self.versions_table = f"{q}projection_versions"

    def _rows(self, c: Any) -> list[tuple[Any, ...]]:
        return [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in c.fetchall()]

    def position(self, projection: str) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT position FROM {self.tracking} WHERE projection = {self.p}", (projection,))
            rows = self._rows(c)
        return int(rows[0][0]) if rows else 0

    def tracked(self) -> dict[str, tuple[int, datetime]]:
        """Every tracked projection's position and when it last moved (for /health)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT projection, position, updated_at FROM {self.tracking}")
            rows = self._rows(c)
        return {name: (int(position), datetime.fromisoformat(at) if isinstance(at, str) else at)
                for name, position, at in rows}

    def get(self, projection: str, key: str) -> Any:
        found = self.get_many(projection, [key])
        return found.get(key)

    def get_many(self, projection: str, keys: Iterable[str]) -> dict[str, Any]:
        """Documents by key (each of the shape its projection's TypedDicts declare)."""
        keys = list(dict.fromkeys(keys))
        out: dict[str, Any] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            marks = ",".join([self.p] * len(chunk))
            with self.datastore.transaction(commit=False) as c:
                c.execute(f"SELECT key, document FROM {self.docs} WHERE projection = {self.p} AND key IN ({marks})",
                          (projection, *chunk))
                for key, document in self._rows(c):
                    out[key] = decode(document)
        return out

    def get_all(self, wanted: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
        """Documents of several projections in one query (a form's documents, read together)."""
        pairs = list(dict.fromkeys((name, key) for name, keys in wanted.items() for key in keys))
        out: dict[str, dict[str, Any]] = {name: {} for name in wanted}
        for i in range(0, len(pairs), 400):
            chunk = pairs[i:i + 400]
            marks = ",".join([f"({self.p}, {self.p})"] * len(chunk))
            with self.datastore.transaction(commit=False) as c:
                c.execute(f"SELECT projection, key, document FROM {self.docs} WHERE (projection, key) IN ({marks})",
                          [v for pair in chunk for v in pair])
                for projection, key, document in self._rows(c):
                    out[projection][key] = decode(document)
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
        p = self.p
        for i in range(0, len(pairs), 400):
            chunk = pairs[i:i + 400]
            names = sorted({name for name, _ in chunk})
            sql = (f"SELECT projection, NULL AS key, NULL AS document, position FROM {self.tracking} "
                   f"WHERE projection IN ({','.join([p] * len(names))}) UNION ALL "
                   f"SELECT projection, key, document, position FROM {self.docs} "
                   f"WHERE (projection, key) IN ({','.join([f'({p}, {p})'] * len(chunk))})")
            with self.datastore.transaction(commit=False) as c:
                c.execute(sql, [*names, *(v for pair in chunk for v in pair)])
                rows = self._rows(c)
            applied = {r[0]: int(r[3]) for r in rows if r[1] is None}
            stored = {(r[0], r[1]): (r[2], int(r[3])) for r in rows if r[1] is not None}
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
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT key FROM {self.docs} WHERE projection = {self.p} AND key LIKE {self.p} ORDER BY key",
                      (projection, prefix.replace("%", r"\%") + "%"))
            return [r[0] for r in self._rows(c)]

    def save(self, projection: str, documents: dict[str, Stored], positions: dict[str, int],
             position: int, since: int) -> None:
        """Write changed documents and the new tracking position in one transaction."""
        self.save_many({projection: (documents, positions)}, position, since)

    def save_many(self, updates: dict[str, tuple[dict[str, Stored], dict[str, int]]], position: int,
                  since: int) -> None:
        """Several projections' changed documents and their common new position, in one transaction.

        A compare-and-set: every projection must still stand at ``since``, the position the page was
        read after. Two runners (the server's poller and a request's ``wait_for``) may read
        overlapping pages; if the other one moved the projection at all since this page was read,
        this page's documents are built on what it read before and would apply events twice, so
        the whole transaction is refused (StaleUpdate) and the caller reads again.
        """
        p = self.p
        now: Any = datetime.now(UTC)
        upsert = (f"INSERT INTO {self.docs} (projection, key, document, position) VALUES ({p}, {p}, {p}, {p}) "
                  "ON CONFLICT (projection, key) DO UPDATE SET document = excluded.document, "
                  "position = excluded.position")
        with self.datastore.transaction(commit=True) as c:
            for projection, (documents, positions) in updates.items():
                if not self.sqlite:
                    # A tracking row to lock, even on a projection's first page: FOR UPDATE locks no
                    # row that does not exist, and two first pages would both pass. A concurrent
                    # insert makes this one wait, then do nothing, and the SELECT sees its row.
                    # (SQLite serialises writing transactions already.)
                    c.execute(f"INSERT INTO {self.tracking} (projection, position, updated_at) VALUES ({p}, 0, {p}) "
                              "ON CONFLICT (projection) DO NOTHING", (projection, now))
                c.execute(f"SELECT position FROM {self.tracking} WHERE projection = {p}"
                          + ("" if self.sqlite else " FOR UPDATE"), (projection,))
                rows = self._rows(c)
                current = int(rows[0][0]) if rows else 0
                if current != since or position <= since:
                    raise StaleUpdate(f"{projection} stands at {current}: a page read after {since} "
                                      f"up to {position} is refused")
                if documents:
                    c.executemany(upsert, [(projection, key, canonical(document), positions[key])
                                           for key, document in documents.items()])
                c.execute(
                    f"INSERT INTO {self.tracking} (projection, position, updated_at) VALUES ({p}, {p}, {p}) "
                    "ON CONFLICT (projection) DO UPDATE SET position = excluded.position, "
                    "updated_at = excluded.updated_at",
                    (projection, position, now.isoformat() if self.sqlite else now),
                )

    def clear(self, projection: str) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"DELETE FROM {self.docs} WHERE projection = {self.p}", (projection,))
            c.execute(f"DELETE FROM {self.tracking} WHERE projection = {self.p}", (projection,))

    def versions(self) -> dict[str, int]:
        """The version each projection's stored documents were built by (none recorded: unknown)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT projection, version FROM {self.versions_table}")
            return {name: int(version) for name, version in self._rows(c)}

    def set_version(self, projection: str, version: int) -> None:
        now: Any = datetime.now(UTC)
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"INSERT INTO {self.versions_table} (projection, version, changed_at) "
                      f"VALUES ({self.p}, {self.p}, {self.p}) ON CONFLICT (projection) DO UPDATE SET "
                      "version = excluded.version, changed_at = excluded.changed_at",
                      (projection, version, now.isoformat() if self.sqlite else now))

    def documents(self, projection: str) -> dict[str, str]:
        """Every stored document of a projection, as stored (for comparisons and hashes)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT key, document FROM {self.docs} WHERE projection = {self.p} ORDER BY key", (projection,))
            return {k: d for k, d in self._rows(c)}
