"""The read models' tables (migrations 0003, 0004; ADR 0009, 0014, 0015): each projection's JSON
documents by key, the log position it has applied, and the version its documents were built by.

Documents go in and come out as the stored text; encoding them, and the rules of a save (a
compare-and-set on the position), are projections/store.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from domain.storage.database import Storage, Tx

# At most this many keys (pairs) in one IN list: SQLite allows 999 parameters in a statement.
KEYS_AT_ONCE, PAIRS_AT_ONCE = 500, 400


def position(storage: Storage, projection: str) -> int:
    rows = storage.query("SELECT position FROM {projection_tracking} WHERE projection = ?", (projection,))
    return int(rows[0][0]) if rows else 0


def positions(storage: Storage, projections: Sequence[str]) -> dict[str, int]:
    """The applied position of each of these projections (0 where none is tracked), in one statement."""
    rows = storage.query(f"SELECT projection, position FROM {{projection_tracking}} WHERE projection IN "
                         f"({storage.marks(len(projections))})", tuple(projections)) if projections else []
    found = {name: int(at_position) for name, at_position in rows}
    return {name: found.get(name, 0) for name in projections}


def tracked(storage: Storage) -> dict[str, tuple[int, datetime]]:
    """Every tracked projection's position and when it last moved."""
    rows = storage.query("SELECT projection, position, updated_at FROM {projection_tracking}")
    return {name: (int(at_position), storage.parse_moment(at)) for name, at_position, at in rows}


def by_key(storage: Storage, projection: str, keys: Sequence[str]) -> Iterable[tuple[str, str]]:
    """(key, document) of the given keys that a projection holds."""
    for i in range(0, len(keys), KEYS_AT_ONCE):
        chunk = keys[i:i + KEYS_AT_ONCE]
        yield from storage.query("SELECT key, document FROM {projection_documents} WHERE projection = ? "
                                 f"AND key IN ({storage.marks(len(chunk))})", (projection, *chunk))


def by_pair(storage: Storage, pairs: Sequence[tuple[str, str]]) -> Iterable[tuple[str, str, str, int]]:
    """(projection, key, document, the position that last changed it) of the given (projection, key)
    pairs, several projections at once."""
    for i in range(0, len(pairs), PAIRS_AT_ONCE):
        # One "projection = ? AND key IN (...)" per projection: PostgreSQL plans a list of row values
        # (projection, key) IN ((?, ?), ...) as one index probe each, about 20 ms to plan for 200 pairs.
        by_projection: dict[str, list[str]] = {}
        for name, key in pairs[i:i + PAIRS_AT_ONCE]:
            by_projection.setdefault(name, []).append(key)
        where = " OR ".join(f"(projection = ? AND key IN ({storage.marks(len(keys))}))"
                            for keys in by_projection.values())
        yield from storage.query("SELECT projection, key, document, position FROM {projection_documents} "
                                 f"WHERE {where}", [v for name, keys in by_projection.items() for v in (name, *keys)])


Pair = tuple[str, str]  # (projection, key)


def with_positions(storage: Storage, chunk: Sequence[Pair]) -> tuple[dict[str, int], dict[Pair, tuple[str, int]]]:
    """In one statement (so a rebuild that clears both in one transaction is never half seen): the
    applied position of each projection named in ``chunk`` (at most PAIRS_AT_ONCE pairs), and each
    pair's document with the position that last changed it."""
    names = sorted({name for name, _ in chunk})
    rows = storage.query(
        "SELECT projection, NULL AS key, NULL AS document, position FROM {projection_tracking} "
        f"WHERE projection IN ({storage.marks(len(names))}) UNION ALL "
        "SELECT projection, key, document, position FROM {projection_documents} "
        f"WHERE (projection, key) IN ({storage.marks(len(chunk), '(?, ?)')})",
        [*names, *(v for pair in chunk for v in pair)])
    applied = {r[0]: int(r[3]) for r in rows if r[1] is None}
    stored = {(r[0], r[1]): (r[2], int(r[3])) for r in rows if r[1] is not None}
    return applied, stored


def keys_with_prefix(storage: Storage, projection: str, prefix: str) -> list[str]:
    rows = storage.query("SELECT key FROM {projection_documents} WHERE projection = ? AND key LIKE ? ORDER BY key",
                         (projection, prefix.replace("%", r"\%") + "%"))
    return [r[0] for r in rows]


def all_of(storage: Storage, projection: str) -> dict[str, str]:
    """Every stored document of a projection, as stored, by key."""
    rows = storage.query("SELECT key, document FROM {projection_documents} WHERE projection = ? ORDER BY key",
                         (projection,))
    return {key: document for key, document in rows}


def lock_position(tx: Tx, projection: str, at: datetime) -> int:
    """The projection's applied position, locked until the transaction ends. On PostgreSQL a
    tracking row is made first if there is none (FOR UPDATE locks no row that does not exist, and
    two first pages would both pass; a concurrent insert makes this one wait, then do nothing, and
    the SELECT sees its row). SQLite serialises writing transactions already."""
    if not tx.storage.sqlite:
        tx.execute("INSERT INTO {projection_tracking} (projection, position, updated_at) VALUES (?, 0, ?) "
                   "ON CONFLICT (projection) DO NOTHING", (projection, tx.storage.moment(at)))
        row = tx.execute("SELECT position FROM {projection_tracking} WHERE projection = ? FOR UPDATE",
                         (projection,)).one()
    else:
        row = tx.execute("SELECT position FROM {projection_tracking} WHERE projection = ?", (projection,)).one()
    return int(row[0]) if row else 0


def lock_positions(tx: Tx, projections: Sequence[str], at: datetime) -> dict[str, int]:
    """``lock_position`` of several projections: their tracking rows made where missing in one statement
    (PostgreSQL), read and locked in another, in the order of their names (so two savers of overlapping
    sets lock in the same order)."""
    names = sorted(set(projections))
    if not names:
        return {}
    marks = tx.storage.marks(len(names))
    if not tx.storage.sqlite:
        tx.execute("INSERT INTO {projection_tracking} (projection, position, updated_at) VALUES "
                   f"{tx.storage.marks(len(names), '(?, 0, ?)')} ON CONFLICT (projection) DO NOTHING",
                   [v for name in names for v in (name, tx.storage.moment(at))])
        rows = tx.execute(f"SELECT projection, position FROM {{projection_tracking}} WHERE projection IN ({marks}) "
                          "ORDER BY projection FOR UPDATE", names).rows()
    else:
        rows = tx.execute(f"SELECT projection, position FROM {{projection_tracking}} WHERE projection IN ({marks})",
                          names).rows()
    found = {name: int(at_position) for name, at_position in rows}
    return {name: found.get(name, 0) for name in names}


def set_positions(tx: Tx, projections: Sequence[str], at_position: int, at: datetime) -> None:
    """``set_position`` of several projections to one position, in one statement."""
    if projections:
        tx.execute("INSERT INTO {projection_tracking} (projection, position, updated_at) VALUES "
                   f"{tx.storage.marks(len(projections), '(?, ?, ?)')} ON CONFLICT (projection) DO UPDATE "
                   "SET position = excluded.position, updated_at = excluded.updated_at",
                   [v for name in projections for v in (name, at_position, tx.storage.moment(at))])


def put(tx: Tx, projection: str, documents: Iterable[tuple[str, str, int]]) -> None:
    """Write (key, document, position that changed it) rows, replacing those of the same keys."""
    tx.executemany("INSERT INTO {projection_documents} (projection, key, document, position) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (projection, key) DO UPDATE SET document = excluded.document, "
                   "position = excluded.position", [(projection, *row) for row in documents])


def compress_fast(tx: Tx) -> None:
    """On PostgreSQL built with lz4, compress the large documents this transaction writes with lz4 rather
    than the default pglz (``SET LOCAL``: this transaction only): a rebuild's save of the 出席簿's class-months
    (about 23 MB at the small bench) took the server 0.45 s with pglz and 0.15 s with lz4, and they read back
    faster (ADR 0056). The text stored is the same; a server reads either compression. Nothing on SQLite or
    on a server without lz4."""
    storage = tx.storage
    if storage.sqlite:
        return
    if storage.lz4 is None:
        row = tx.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'").one()
        storage.lz4 = bool(row and row[0])
    if storage.lz4:
        tx.execute("SET LOCAL default_toast_compression = 'lz4'")


def put_new(tx: Tx, projection: str, documents: Iterable[tuple[str, str, int]]) -> None:
    """``put`` of rows whose keys the table does not hold (a rebuild's, after it emptied the read model):
    on PostgreSQL one COPY, about a fifth of the driver's time a row of the upsert's ``executemany``
    (ADR 0056); a key already there fails the transaction (a unique violation), changing nothing."""
    if tx.storage.sqlite:
        tx.executemany("INSERT INTO {projection_documents} (projection, key, document, position) VALUES (?, ?, ?, ?)",
                       [(projection, *row) for row in documents])
        return
    with tx.c.copy(tx.storage.sql("COPY {projection_documents} (projection, key, document, position) FROM STDIN")) \
            as copy:
        for key, document, position in documents:
            copy.write_row((projection, key, document, position))


def set_position(tx: Tx, projection: str, at_position: int, at: datetime) -> None:
    tx.execute("INSERT INTO {projection_tracking} (projection, position, updated_at) VALUES (?, ?, ?) "
               "ON CONFLICT (projection) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at",
               (projection, at_position, tx.storage.moment(at)))


def clear(storage: Storage, projection: str) -> None:
    """Drop a projection's documents and position, in one transaction."""
    with storage.writing() as tx:
        tx.execute("DELETE FROM {projection_documents} WHERE projection = ?", (projection,))
        tx.execute("DELETE FROM {projection_tracking} WHERE projection = ?", (projection,))


def versions(storage: Storage) -> dict[str, int]:
    """The version each projection's stored documents were built by (none recorded: unknown)."""
    return {name: int(version) for name, version in storage.query("SELECT projection, version FROM "
                                                                   "{projection_versions}")}


def set_version(storage: Storage, projection: str, version: int) -> None:
    with storage.writing() as tx:
        tx.execute("INSERT INTO {projection_versions} (projection, version, changed_at) VALUES (?, ?, ?) "
                   "ON CONFLICT (projection) DO UPDATE SET version = excluded.version, "
                   "changed_at = excluded.changed_at", (projection, version, tx.storage.moment(storage.now())))


def forget_versions(storage: Storage) -> None:
    """Drop every recorded version, as a read model built before versions were recorded (for tests)."""
    with storage.writing() as tx:
        tx.execute("DELETE FROM {projection_versions}")
