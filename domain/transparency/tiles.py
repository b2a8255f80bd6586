"""The tree stored as C2SP tlog-tiles: tiles of 256 hashes, tile height 8 (https://c2sp.org/tlog-tiles).

Tile ``(L, N)`` holds the hashes of the perfect nodes at tree level ``8 * L`` with indexes
``256 * N ... 256 * N + 255``: at level 0 the leaf hashes, at level 1 the roots of full level-0 tiles,
and so on. A *full* tile has 256 hashes (8,192 bytes) and never changes again; the right edge of
each level is a *partial* tile of ``floor(size / 256**L) mod 256`` hashes, which is a prefix of the
full tile it becomes. A tree of size n therefore has about n/255 tiles, and any node of it is
folded from at most 128 hashes of one tile: the nodes between stored levels are not stored.

So a proof at 1.3M leaves reads a handful of tiles (about one per tile level for the path, plus
the right-edge tiles its non-perfect subtrees fold from) instead of all leaves.

The store is outside this module: ``TileBuilder`` says which tiles to write as leaves are appended,
and ``TileReader`` turns a function that reads a stored tile into the ``merkle.NodeSource`` the
proofs are computed from.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from domain.transparency.merkle import (
    HASH_SIZE,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    perfect_levels,
    perfect_nodes,
    range_hash,
)

__all__ = [
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "KeptTiles",
    "Tile",
    "TileBuilder",
    "TileReader",
    "consistency_proof_from_tiles",
    "inclusion_proof_from_tiles",
    "node_position",
    "proof_tiles",
    "tile_path",
    "tile_width",
    "tiles_of",
]

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256 hashes
_sha256 = hashlib.sha256

# (tile level, tile index, width) -> the stored tile's bytes: at least width * 32 bytes (a longer,
# e.g. full, tile is fine: a partial tile is a prefix of the full one).
ReadTile = Callable[[int, int, int], bytes]


@dataclass(frozen=True, slots=True)
class Tile:
    """One tile to store: ``hashes`` is ``width`` hashes of 32 bytes concatenated."""

    level: int
    index: int
    hashes: bytes

    @property
    def width(self) -> int:
        return len(self.hashes) // HASH_SIZE

    @property
    def full(self) -> bool:
        return self.width == TILE_WIDTH

    @property
    def path(self) -> str:
        return tile_path(self.level, self.index, self.width)


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """The tile's tlog-tiles path: ``tile/<L>/<N>[.p/<W>]``, N in 3-digit groups, e.g. ``x001/x234/067``."""
    if not 0 <= level <= 63 or index < 0 or not 1 <= width <= TILE_WIDTH:
        raise ValueError(f"no tile ({level}, {index}) of width {width}")
    digits = f"{index:03d}"
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i:i + 3] for i in range(0, len(digits), 3)]
    n = "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])
    return f"tile/{level}/{n}" + ("" if width == TILE_WIDTH else f".p/{width}")


def tile_width(level: int, index: int, size: int) -> int:
    """How many hashes tile (level, index) holds in a tree of ``size`` leaves (0: it does not exist yet)."""
    row = size >> (TILE_HEIGHT * level)
    return max(0, min(TILE_WIDTH, row - index * TILE_WIDTH))


def tiles_of(size: int) -> list[tuple[int, int, int]]:
    """Every tile (level, index, width) of a tree of ``size`` leaves: full ones, then each level's partial."""
    out: list[tuple[int, int, int]] = []
    level = 0
    while size >> (TILE_HEIGHT * level):
        row = size >> (TILE_HEIGHT * level)
        out.extend((level, n, TILE_WIDTH) for n in range(row // TILE_WIDTH))
        if row % TILE_WIDTH:
            out.append((level, row // TILE_WIDTH, row % TILE_WIDTH))
        level += 1
    return out


def node_position(level: int, index: int) -> tuple[int, int, int, int]:
    """Where the perfect node (level, index) is folded from: (tile level, tile index, first, last + 1),
    the hashes of that tile at positions [first, last + 1)."""
    tile_level, rest = divmod(level, TILE_HEIGHT)
    first = index << rest
    tile_index, offset = divmod(first, TILE_WIDTH)
    return tile_level, tile_index, offset, offset + (1 << rest)


# ---------------------------------------------------------------- reading


class KeptTiles:
    """The perfect nodes inside tiles, kept between readers, by (level, index, width): a tile of a given
    width never changes (a partial one is a prefix of the full one it becomes), so its nodes serve a
    proof in a tree of any size that has it. The tiles every proof of a tree of a size reads (those
    above the leaves, and the right edge) are the ones worth keeping: ``worth`` says which. At most
    ``room`` tiles, the least recently used dropped first; for one process's readers (thread-safe)."""

    def __init__(self, room: int = 64) -> None:
        self.room = room
        self._kept: OrderedDict[tuple[int, int, int], list[list[bytes]]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def worth(level: int, width: int) -> bool:
        return level > 0 or width < TILE_WIDTH

    def get(self, key: tuple[int, int, int]) -> list[list[bytes]] | None:
        with self._lock:
            levels = self._kept.get(key)
            if levels is not None:
                self._kept.move_to_end(key)
            return levels

    def put(self, key: tuple[int, int, int], levels: list[list[bytes]]) -> None:
        with self._lock:
            self._kept[key] = levels
            self._kept.move_to_end(key)
            while len(self._kept) > self.room:
                self._kept.popitem(last=False)

    def __contains__(self, key: tuple[int, int, int]) -> bool:
        with self._lock:
            return key in self._kept

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


class TileReader:
    """The perfect nodes of a stored tree of ``size`` leaves, read from its tiles (a ``NodeSource``).

    Each tile is read at most once per reader (``reads`` lists them, in order): make one reader per
    request. Asking for a node the tree of ``size`` does not yet hold is an error (IndexError), so a
    proof for an old size never reads past it even when the store has grown.
    """

    __slots__ = ("_cache", "_levels_of", "_read", "kept", "reads", "size")

    def __init__(self, size: int, read: ReadTile, kept: KeptTiles | None = None) -> None:
        self.size = size
        self._read = read
        self._cache: dict[tuple[int, int], bytes] = {}
        self._levels_of: dict[tuple[int, int], list[list[bytes]]] = {}
        self.kept = kept  # tiles' nodes shared with other readers (``KeptTiles``), if any
        self.reads: list[tuple[int, int, int]] = []

    def _data(self, level: int, index: int) -> bytes:
        """The bytes of tile (level, index) as the tree of ``size`` has it (a partial tile cut to its width)."""
        key = (level, index)
        data = self._cache.get(key)
        if data is None:
            width = tile_width(level, index, self.size)
            if width == 0:
                raise IndexError(f"a tree of {self.size} leaves has no tile ({level}, {index})")
            data = self._read(level, index, width)
            if len(data) < width * HASH_SIZE or len(data) % HASH_SIZE:
                raise ValueError(f"tile ({level}, {index}) should hold {width} hashes, the store gave "
                                 f"{len(data)} bytes")
            data = self._cache[key] = bytes(data[:width * HASH_SIZE])
            self.reads.append((level, index, width))
        return data

    def tile(self, level: int, index: int) -> list[bytes]:
        """The hashes of tile (level, index) as the tree of ``size`` has it (a partial tile is cut to its width)."""
        data = self._data(level, index)
        return [data[i:i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]

    def node(self, level: int, index: int) -> bytes:
        if (index + 1) << level > self.size:
            raise IndexError(f"a tree of {self.size} leaves has no perfect node ({level}, {index})")
        tile_level, tile_index, first, last = node_position(level, index)
        height = (last - first).bit_length() - 1
        return self._levels(tile_level, tile_index)[height][first >> height]

    def _levels(self, level: int, index: int) -> list[list[bytes]]:
        """Every perfect node inside tile (level, index) as the tree of ``size`` has it, computed at once
        (up to 255 hashes: a proof's path folds about as many from a tile)."""
        levels = self._levels_of.get((level, index))
        if levels is None:
            width = tile_width(level, index, self.size)
            key = (level, index, width)
            kept = self.kept is not None and KeptTiles.worth(level, width)
            levels = self.kept.get(key) if kept and self.kept is not None else None
            if levels is None:
                data = self._data(level, index)
                levels = perfect_levels([data[i:i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)])
                if kept and self.kept is not None:
                    self.kept.put(key, levels)
            self._levels_of[(level, index)] = levels
        return levels

    def root(self) -> bytes:
        return range_hash(0, self.size, self.node)


def proof_tiles(ranges: Iterable[tuple[int, int]], size: int) -> set[tuple[int, int, int]]:
    """The tiles (level, index, width) that proofs naming these leaf ranges read in a tree of ``size``.

    Pass ``merkle.inclusion_ranges(i, n)`` or ``merkle.consistency_ranges(m, n)``: lets a caller fetch
    all tiles at once (one query) before computing the proof, and lets a test count them.
    """
    seen: set[tuple[int, int]] = set()
    for start, end in ranges:
        width = end - start
        if not width & (width - 1) and not start & (width - 1):  # one perfect node (most ranges of a proof)
            level = width.bit_length() - 1
            seen.add((level // TILE_HEIGHT, start // (TILE_WIDTH << (level - level % TILE_HEIGHT))))
            continue
        for level, index in perfect_nodes(start, end):
            tile_level, tile_index, _, _ = node_position(level, index)
            seen.add((tile_level, tile_index))
    return {(level, index, tile_width(level, index, size)) for level, index in seen}


def inclusion_proof_from_tiles(index: int, size: int, read: ReadTile) -> tuple[list[bytes], list[tuple[int, int, int]]]:
    """The inclusion proof of leaf ``index`` in the stored tree of ``size`` leaves, and the tiles it read."""
    reader = TileReader(size, read)
    return inclusion_proof(index, size, reader.node), reader.reads


def consistency_proof_from_tiles(size1: int, size2: int,
                                 read: ReadTile) -> tuple[list[bytes], list[tuple[int, int, int]]]:
    """The consistency proof from ``size1`` to ``size2`` leaves of the stored tree, and the tiles it read."""
    reader = TileReader(size2, read)
    return consistency_proof(size1, size2, reader.node), reader.reads


# ---------------------------------------------------------------- building


class TileBuilder:
    """Appends leaf hashes and says which tiles to write: the full tiles completed and the partial
    right-edge tiles changed since the last ``take()``.

    It keeps only the compact range and each tile level's partial row (under 256 hashes per level),
    so it can run for ever in constant memory; ``resume`` rebuilds it from stored tiles.
    """

    __slots__ = ("_dirty", "_done", "_rows", "tree")

    def __init__(self) -> None:
        self.tree = CompactRange(on_node=self._on_node)
        self._rows: list[list[bytes]] = []  # rows[L]: the hashes of tile level L's partial tile
        self._done: list[Tile] = []
        self._dirty: set[int] = set()

    @classmethod
    def resume(cls, size: int, read: ReadTile) -> TileBuilder:
        """The builder of a stored tree of ``size`` leaves, from its tiles (a compact range's worth)."""
        builder = cls()
        reader = TileReader(size, read)
        builder.tree = CompactRange.at(size, reader.node, on_node=builder._on_node)
        level = 0
        while size >> (TILE_HEIGHT * level):
            row = size >> (TILE_HEIGHT * level)
            partial = row % TILE_WIDTH
            builder._rows.append(reader.tile(level, row // TILE_WIDTH)[:partial] if partial else [])
            level += 1
        return builder

    @property
    def size(self) -> int:
        return self.tree.size

    def _on_node(self, level: int, index: int, h: bytes) -> None:
        if level % TILE_HEIGHT:
            return
        tile_level = level // TILE_HEIGHT
        rows = self._rows
        if tile_level == len(rows):
            rows.append([])
        row = rows[tile_level]
        row.append(h)
        if len(row) == TILE_WIDTH:
            self._done.append(Tile(tile_level, index // TILE_WIDTH, b"".join(row)))
            row.clear()
        self._dirty.add(tile_level)

    def append(self, leaf: bytes) -> None:
        """Append one leaf by its hash."""
        self.tree.append(leaf)

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Append leaves by their hashes, in order: ``append`` of each, the same tiles, without a call
        per node (a rebuild appends every event of the log)."""
        tree, rows, done = self.tree, self._rows, self._done
        nodes, size = tree.nodes, tree.size
        if not rows:
            rows.append([])
        row = rows[0]
        sha256 = hashlib.sha256
        for h in leaves:
            index = size
            row.append(h)  # the leaf, a node of tile level 0
            if len(row) == TILE_WIDTH:
                done.append(Tile(0, index // TILE_WIDTH, b"".join(row)))
                row.clear()
            self._dirty.add(0)
            level = 0
            while index & 1:  # the carries of size + 1, as CompactRange.append
                h = sha256(b"\x01" + nodes.pop() + h).digest()
                index >>= 1
                level += 1
                if not level % TILE_HEIGHT:
                    self._on_node(level, index, h)
            nodes.append(h)
            size += 1
            tree.size = size

    def root(self) -> bytes:
        return self.tree.root()

    def take(self) -> list[Tile]:
        """The tiles to write since the last call: completed full tiles (in order), then the current
        partial tile of each level that changed. Writing them (upserting partials) in one transaction
        with the leaves' tracking row keeps the stored tree equal to ``size`` leaves."""
        out = self._done
        self._done = []
        for level in sorted(self._dirty):
            row = self._rows[level]
            if row:
                row_size = self.size >> (TILE_HEIGHT * level)
                out.append(Tile(level, row_size // TILE_WIDTH, b"".join(row)))
        self._dirty.clear()
        return out
