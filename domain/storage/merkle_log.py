"""The transparency log's tables (migration 0007; ADR 0030): the tree's tiles and the log positions
of its leaves, written by the Merkle projection (projections/merkle_log.py) with its position in one
transaction, and every checkpoint the ledger signed, with the witnesses' cosignatures of it.

Reads take a ``Storage`` (one statement on its own) or a ``Tx`` (inside a transaction: the
projection reads what it is about to extend under its lock, and several reads see one snapshot).
The tree's hashes and the tile layout are domain/transparency/; this is only where they are kept.
"""

from __future__ import annotations

import struct
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.storage.database import Storage, Tx
from domain.transparency.tiles import TILE_WIDTH, Tile

__all__ = [
    "LeafLookup",
    "StoredCheckpoint",
    "StoredCosignature",
    "StoredRefusal",
    "checkpoint_at",
    "checkpoints",
    "clear_tree",
    "cosignatures",
    "keep_checkpoint",
    "keep_cosignature",
    "keep_refusal",
    "latest_checkpoint",
    "leaf_index_of",
    "leaf_indexes_of",
    "look_up_leaf",
    "pack_positions",
    "position_of",
    "put_tiles",
    "read_tiles",
    "refusal",
    "tile_positions",
    "tiles_in_order",
    "tree_size",
    "unpack_positions",
]

Db = Storage | Tx
TileKey = tuple[int, int]  # (level, tile index)

# At most this many (level, index) pairs in one IN list: SQLite allows 999 parameters in a statement.
PAIRS_AT_ONCE = 400
ROWS_AT_ONCE = 200  # rows of one multi-row INSERT (4 parameters each, under SQLite's 999)
_U64 = struct.Struct(">Q")


def _rows(db: Db, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    if isinstance(db, Tx):
        return db.execute(statement, params).rows()
    return db.query(statement, params)


def _storage(db: Db) -> Storage:
    return db.storage if isinstance(db, Tx) else db


# ---------------------------------------------------------------- leaf positions


def pack_positions(positions: Sequence[int]) -> bytes:
    """Log positions as stored: unsigned 64-bit big-endian, 8 bytes each."""
    return struct.pack(f">{len(positions)}Q", *positions)


def unpack_positions(data: bytes) -> list[int]:
    return list(struct.unpack(f">{len(data) // 8}Q", data))


# ---------------------------------------------------------------- tiles (written by the projection)


def put_tiles(tx: Tx, tiles: Iterable[Tile], leaf_positions: Iterable[tuple[int, Sequence[int]]]) -> None:
    """Write tiles (replacing the stored tile of the same level and index: a partial tile grows) and
    the positions of the leaves of level-0 tiles, given as (tile index, positions of its leaves from
    its first). One multi-row statement for the tiles and one for the positions (per 200 rows: a page
    of 5,000 events has about 20 of each)."""
    tile_rows = [(t.level, t.index, t.width, t.hashes) for t in tiles]
    for i in range(0, len(tile_rows), ROWS_AT_ONCE):
        tiles_now = tile_rows[i:i + ROWS_AT_ONCE]
        tx.execute(f"INSERT INTO {{merkle_tiles}} (level, tile_index, width, hashes) VALUES "
                   f"{tx.storage.marks(len(tiles_now), '(?, ?, ?, ?)')} ON CONFLICT (level, tile_index) DO UPDATE SET "
                   "width = excluded.width, hashes = excluded.hashes", [v for row in tiles_now for v in row])
    position_rows = []
    for index, positions in leaf_positions:
        if not 1 <= len(positions) <= TILE_WIDTH:
            raise ValueError(f"a level-0 tile has 1 to {TILE_WIDTH} leaves, not {len(positions)}")
        position_rows.append((index, positions[0], pack_positions(positions)))
    for i in range(0, len(position_rows), ROWS_AT_ONCE):
        chunk = position_rows[i:i + ROWS_AT_ONCE]
        tx.execute(f"INSERT INTO {{merkle_leaf_positions}} (tile_index, first_position, positions) VALUES "
                   f"{tx.storage.marks(len(chunk), '(?, ?, ?)')} ON CONFLICT (tile_index) DO UPDATE SET "
                   "first_position = excluded.first_position, positions = excluded.positions",
                   [v for row in chunk for v in row])


def clear_tree(tx: Tx) -> None:
    """Drop every tile and leaf position (a rebuild; the checkpoints stay: they are the record)."""
    tx.execute("DELETE FROM {merkle_tiles}")
    tx.execute("DELETE FROM {merkle_leaf_positions}")


def read_tiles(db: Db, keys: Iterable[TileKey]) -> dict[TileKey, bytes]:
    """The stored bytes of the tiles (level, index) asked for that exist (a partial tile as stored
    now: the tree it is read for may be smaller, and ``tiles.TileReader`` cuts it to its width)."""
    wanted = sorted(set(keys))
    storage = _storage(db)
    found: dict[TileKey, bytes] = {}
    for i in range(0, len(wanted), PAIRS_AT_ONCE):
        chunk = wanted[i:i + PAIRS_AT_ONCE]
        for level, index, hashes in _rows(db, "SELECT level, tile_index, hashes FROM {merkle_tiles} WHERE "
                                          f"(level, tile_index) IN ({storage.marks(len(chunk), '(?, ?)')})",
                                          [v for pair in chunk for v in pair]):
            found[(int(level), int(index))] = bytes(hashes)
    return found


def tiles_in_order(db: Db, *, page: int = 1000) -> Iterator[tuple[int, int, bytes]]:
    """Every stored tile as (level, index, hashes), by level then index (read a page at a time)."""
    after = (-1, -1)
    while True:
        rows = _rows(db, "SELECT level, tile_index, hashes FROM {merkle_tiles} WHERE level > ? OR "
                         "(level = ? AND tile_index > ?) ORDER BY level, tile_index LIMIT ?",
                     (after[0], after[0], after[1], page))
        for level, index, hashes in rows:
            yield int(level), int(index), bytes(hashes)
        if len(rows) < page:
            return
        after = (int(rows[-1][0]), int(rows[-1][1]))


def tree_size(db: Db) -> int:
    """How many leaves the stored tree has: from its last level-0 tile."""
    rows = _rows(db, "SELECT tile_index, width FROM {merkle_tiles} WHERE level = 0 "
                     "ORDER BY tile_index DESC LIMIT 1")
    return int(rows[0][0]) * TILE_WIDTH + int(rows[0][1]) if rows else 0


def tile_positions(db: Db, tile_index: int) -> list[int]:
    """The log positions of the leaves of level-0 tile ``tile_index`` ([] if it is not stored)."""
    rows = _rows(db, "SELECT positions FROM {merkle_leaf_positions} WHERE tile_index = ?", (tile_index,))
    return unpack_positions(bytes(rows[0][0])) if rows else []


def leaf_index_of(db: Db, position: int) -> int | None:
    """The leaf index of the event at log ``position`` (None: no such event in the tree yet)."""
    rows = _rows(db, "SELECT tile_index, positions FROM {merkle_leaf_positions} WHERE first_position <= ? "
                     "ORDER BY first_position DESC LIMIT 1", (position,))
    if not rows:
        return None
    offset = _index_in_tile(bytes(rows[0][1]), position)
    return None if offset is None else int(rows[0][0]) * TILE_WIDTH + offset


def _index_in_tile(packed: bytes, position: int) -> int | None:
    """The offset of ``position`` in a level-0 tile's packed positions (ascending), or None."""
    lo, hi = 0, len(packed) // 8
    while lo < hi:  # binary search
        mid = (lo + hi) // 2
        if _U64.unpack_from(packed, mid * 8)[0] < position:
            lo = mid + 1
        else:
            hi = mid
    if lo < len(packed) // 8 and _U64.unpack_from(packed, lo * 8)[0] == position:
        return lo
    return None


def leaf_indexes_of(db: Db, positions: Iterable[int]) -> dict[int, int]:
    """The leaf index of each event at these log positions that the tree holds (position -> index):
    the level-0 tiles holding them read in one statement (per 400 positions on SQLite), where
    ``leaf_index_of`` costs one per position (ADR 0041: a packet's 200 events were 200 statements)."""
    wanted = sorted(set(positions))
    storage = _storage(db)
    rows: list[tuple[Any, ...]] = []
    # the tile of a position: the one with the largest first position not above it (the index on
    # first_position answers each in one probe)
    tile_of = ("(SELECT t.tile_index FROM {merkle_leaf_positions} t WHERE t.first_position <= %s "
               "ORDER BY t.first_position DESC LIMIT 1)")
    if storage.sqlite:
        for i in range(0, len(wanted), PAIRS_AT_ONCE):
            chunk = wanted[i:i + PAIRS_AT_ONCE]
            rows += _rows(db, "SELECT tile_index, positions FROM {merkle_leaf_positions} WHERE tile_index IN "
                              f"(SELECT {tile_of % 'v.column1'} FROM (VALUES {storage.marks(len(chunk), '(?)')}) AS v)",
                          chunk)
    elif wanted:
        rows = _rows(db, "SELECT tile_index, positions FROM {merkle_leaf_positions} WHERE tile_index IN "
                         f"(SELECT {tile_of % 'v.p'} FROM unnest(?::bigint[]) AS v(p))", (wanted,))
    found: dict[int, int] = {}
    for index, packed in {int(r[0]): bytes(r[1]) for r in rows}.items():
        first = _U64.unpack_from(packed, 0)[0]
        last = _U64.unpack_from(packed, len(packed) - 8)[0]
        for position in wanted[bisect_left(wanted, first):bisect_right(wanted, last)]:
            offset = _index_in_tile(packed, position)
            if offset is not None:
                found[position] = index * TILE_WIDTH + offset
    return found


def position_of(db: Db, leaf_index: int) -> int | None:
    """The log position of leaf ``leaf_index`` (None: the tree has no such leaf yet)."""
    if leaf_index < 0:
        return None
    tile_index, offset = divmod(leaf_index, TILE_WIDTH)
    rows = _rows(db, "SELECT positions FROM {merkle_leaf_positions} WHERE tile_index = ?", (tile_index,))
    if not rows or len(rows[0][0]) < (offset + 1) * 8:
        return None
    return int(_U64.unpack_from(bytes(rows[0][0]), offset * 8)[0])


# ---------------------------------------------------------------- checkpoints and cosignatures


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A checkpoint the ledger signed: its tree size and root, the whole signed note, and when."""

    tree_size: int
    root: bytes
    note: str
    signed_at: datetime


@dataclass(frozen=True, slots=True)
class StoredCosignature:
    """A witness's cosignature of the checkpoint of ``tree_size``, as it was received."""

    tree_size: int
    key_id: int
    witness: str
    cosigned_at: int  # the cosignature's timestamp, seconds since 1970-01-01 UTC
    line: str  # the signature line as the witness sent it
    received_at: datetime


def _checkpoint(storage: Storage, row: tuple[Any, ...]) -> StoredCheckpoint:
    size, root, note, at = row
    return StoredCheckpoint(int(size), bytes(root), note, storage.parse_moment(at))


_CHECKPOINT = "SELECT tree_size, root, note, signed_at FROM {merkle_checkpoints} "


def keep_checkpoint(db: Db, size: int, root: bytes, note: str, at: datetime) -> None:
    """Store a signed checkpoint. Checkpoints are never changed: one of a size already kept is refused
    by the primary key (the publisher signs a size once)."""
    if isinstance(db, Storage):
        with db.writing() as tx:
            keep_checkpoint(tx, size, root, note, at)
        return
    db.execute("INSERT INTO {merkle_checkpoints} (tree_size, root, note, signed_at) VALUES (?, ?, ?, ?)",
               (size, root, note, db.storage.moment(at)))


def latest_checkpoint(db: Db) -> StoredCheckpoint | None:
    rows = _rows(db, _CHECKPOINT + "ORDER BY tree_size DESC LIMIT 1")
    return _checkpoint(_storage(db), rows[0]) if rows else None


def checkpoint_at(db: Db, size: int) -> StoredCheckpoint | None:
    rows = _rows(db, _CHECKPOINT + "WHERE tree_size = ?", (size,))
    return _checkpoint(_storage(db), rows[0]) if rows else None


def checkpoints(db: Db, *, since: int = -1, page: int = 500) -> Iterator[StoredCheckpoint]:
    """Every kept checkpoint larger than ``since``, by tree size (read a page at a time)."""
    while True:
        rows = _rows(db, _CHECKPOINT + "WHERE tree_size > ? ORDER BY tree_size LIMIT ?", (since, page))
        for row in rows:
            yield _checkpoint(_storage(db), row)
        if len(rows) < page:
            return
        since = int(rows[-1][0])


def keep_cosignature(db: Db, size: int, key_id: int, witness: str, cosigned_at: int, line: str,
                     at: datetime | None = None) -> bool:
    """Store a witness's cosignature of the checkpoint of ``size`` (received ``at``, default now).
    False if that key's cosignature of that size is already kept (the first one stays)."""
    if isinstance(db, Storage):
        with db.writing() as tx:
            return keep_cosignature(tx, size, key_id, witness, cosigned_at, line, at)
    received = at if at is not None else db.storage.now()
    db.execute("INSERT INTO {merkle_cosignatures} (tree_size, key_id, witness, cosigned_at, line, received_at) "
               "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tree_size, key_id) DO NOTHING",
               (size, key_id, witness, cosigned_at, line, db.storage.moment(received)))
    return db.changed == 1


def cosignatures(db: Db, size: int) -> list[StoredCosignature]:
    """The cosignatures kept of the checkpoint of ``size``, by key id."""
    storage = _storage(db)
    return [StoredCosignature(int(s), int(k), w, int(c), line, storage.parse_moment(r))
            for s, k, w, c, line, r in _rows(db, "SELECT tree_size, key_id, witness, cosigned_at, line, received_at "
                                                 "FROM {merkle_cosignatures} WHERE tree_size = ? ORDER BY key_id",
                                             (size,))]


# ---------------------------------------------------------------- an event's leaf, in one statement


@dataclass(frozen=True, slots=True)
class LeafLookup:
    """What an inclusion proof of the event at a position needs before its tiles, read at once."""

    checkpoint: StoredCheckpoint | None  # the one of the size asked for (the latest when none was)
    cosignature_lines: str  # the witnesses' lines kept beside it, by key id, concatenated
    leaf_index: int | None  # the event's leaf (None: the tree has no leaf at that position)
    event: tuple[Any, int, str, bytes] | None  # its stream id, version, topic and state as stored (None: no row)


def look_up_leaf(storage: Storage, position: int, tree_size: int | None) -> LeafLookup:
    """The checkpoint of ``tree_size`` (the latest when None) with its cosignatures, the leaf index of
    the event at ``position`` and its row: ``checkpoint_at`` / ``latest_checkpoint``, ``cosignatures``,
    ``leaf_index_of`` and the event table's row, in one statement (one round trip to PostgreSQL: a
    proof asked over HTTP then reads twice, this and its tiles)."""
    checkpoint = ("SELECT tree_size, root, note, signed_at FROM {merkle_checkpoints} "
                  + ("ORDER BY tree_size DESC LIMIT 1" if tree_size is None else "WHERE tree_size = ?"))
    column = "rowid" if storage.sqlite else "notification_id"
    # SQLite's group_concat takes no ORDER BY before 3.44: there the lines are read on their own.
    lines = ("''" if storage.sqlite else
             "(SELECT string_agg(s.line, '' ORDER BY s.key_id) FROM {merkle_cosignatures} s "
             "WHERE s.tree_size = c.tree_size)")
    rows = _rows(storage, f"SELECT c.tree_size, c.root, c.note, c.signed_at, {lines}, p.tile_index, p.positions, "
                          "e.originator_id, e.originator_version, e.topic, e.state "
                          f"FROM (SELECT 1 AS one) o LEFT JOIN ({checkpoint}) c ON 1 = 1 "
                          "LEFT JOIN (SELECT tile_index, positions FROM {merkle_leaf_positions} WHERE first_position "
                          "<= ? ORDER BY first_position DESC LIMIT 1) p ON 1 = 1 "
                          "LEFT JOIN (SELECT originator_id, originator_version, topic, state FROM {events} "
                          f"WHERE {column} = ?) e ON 1 = 1",
                 ([] if tree_size is None else [tree_size]) + [position, position])
    size, root, note, signed_at, joined, tile_index, packed, stream, version, topic, state = rows[0]
    found = None if size is None else _checkpoint(storage, (size, root, note, signed_at))
    if found is not None and storage.sqlite:
        joined = "".join(c.line for c in cosignatures(storage, found.tree_size))
    offset = None if packed is None else _index_in_tile(bytes(packed), position)
    return LeafLookup(found, joined or "", None if offset is None else int(tile_index) * TILE_WIDTH + offset,
                      None if version is None else (stream, int(version), topic, bytes(state)))


# ---------------------------------------------------------------- refusals to sign


@dataclass(frozen=True, slots=True)
class StoredRefusal:
    """The ledger refused to sign a checkpoint of ``tree_size`` leaves after the one of
    ``checkpoint_size`` (the last it signed), for ``reason``."""

    checkpoint_size: int
    tree_size: int
    refused_at: datetime
    reason: str


def keep_refusal(db: Db, checkpoint_size: int, size: int, reason: str, at: datetime) -> bool:
    """Record that signing after the checkpoint of ``checkpoint_size`` was refused (the first
    refusal after a checkpoint is kept; False if one is already there)."""
    if isinstance(db, Storage):
        with db.writing() as tx:
            return keep_refusal(tx, checkpoint_size, size, reason, at)
    db.execute("INSERT INTO {merkle_refusals} (checkpoint_size, tree_size, refused_at, reason) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (checkpoint_size) DO NOTHING", (checkpoint_size, size, db.storage.moment(at), reason))
    return db.changed == 1


def refusal(db: Db) -> StoredRefusal | None:
    """The refusal that stops signing now: one naming the last checkpoint kept (None: signing goes on)."""
    rows = _rows(db, "SELECT checkpoint_size, tree_size, refused_at, reason FROM {merkle_refusals} "
                     "WHERE checkpoint_size >= coalesce((SELECT max(tree_size) FROM {merkle_checkpoints}), -1) "
                     "ORDER BY checkpoint_size DESC LIMIT 1")
    if not rows:
        return None
    checkpoint_size, size, at, reason = rows[0]
    return StoredRefusal(int(checkpoint_size), int(size), _storage(db).parse_moment(at), reason)
