"""The tree as C2SP tlog-tiles: the spec's own examples, tiles that hold the tree's nodes, and proofs
computed from stored tiles that equal the in-memory ones while reading a handful of tiles."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.transparency.merkle import (
    Levels,
    consistency_proof,
    consistency_ranges,
    inclusion_proof,
    inclusion_ranges,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from domain.transparency.tiles import (
    TILE_WIDTH,
    KeptTiles,
    TileBuilder,
    TileReader,
    consistency_proof_from_tiles,
    inclusion_proof_from_tiles,
    node_position,
    proof_tiles,
    tile_path,
    tile_width,
    tiles_of,
)

N = 70_000
TREE = Levels(leaf_hash(i.to_bytes(8, "big")) for i in range(N))


def build(n: int, every: int = 997) -> tuple[TileBuilder, dict[tuple[int, int], bytes]]:
    """Appends n leaves, writing the builder's tiles every ``every`` leaves as a projection would."""
    builder, store = TileBuilder(), {}
    for i in range(n):
        builder.append(TREE.node(0, i))
        if i % every == every - 1:
            for tile in builder.take():
                store[(tile.level, tile.index)] = tile.hashes
    for tile in builder.take():
        store[(tile.level, tile.index)] = tile.hashes
    return builder, store


BUILDER, STORE = build(N)


def read(level: int, index: int, width: int) -> bytes:
    return STORE[(level, index)]


def test_paths_are_written_as_the_spec_writes_them() -> None:
    assert tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tile_path(0, 0) == "tile/0/000"
    assert tile_path(1, 5, 17) == "tile/1/005.p/17"
    assert tile_path(2, 1000) == "tile/2/x001/000"
    with pytest.raises(ValueError, match="no tile"):
        tile_path(0, 0, 0)


def test_a_tree_of_70000_has_the_tiles_the_spec_lists() -> None:
    # "273 full level 0 tiles, one partial level 0 tile of width 112, one full level 1 tile, one
    # partial level 1 tile of width 17, and one partial level 2 tile of width 1"
    tiles = tiles_of(70_000)
    assert [t for t in tiles if t[0] == 0 and t[2] == TILE_WIDTH] == [(0, n, 256) for n in range(273)]
    assert [t for t in tiles if not (t[0] == 0 and t[2] == TILE_WIDTH)] == [(0, 273, 112), (1, 0, 256),
                                                                              (1, 1, 17), (2, 0, 1)]
    assert tiles_of(256) == [(0, 0, 256), (1, 0, 1)]
    assert [tile_width(0, 272, 70_000), tile_width(0, 273, 70_000), tile_width(0, 274, 70_000)] == [256, 112, 0]
    assert tile_width(2, 0, 70_000) == 1
    assert tiles_of(0) == []


def test_the_builder_writes_exactly_the_tiles_of_the_tree_each_holding_its_level_of_nodes() -> None:
    assert sorted(STORE) == sorted((level, index) for level, index, _ in tiles_of(N))
    for level, index, width in tiles_of(N):
        hashes = STORE[(level, index)]
        assert len(hashes) == 32 * width
        for k in range(width):
            assert hashes[32 * k:32 * k + 32] == TREE.node(8 * level, index * TILE_WIDTH + k)
    assert BUILDER.root() == TREE.root()


def test_each_node_is_folded_from_the_one_tile_that_holds_its_leaves() -> None:
    assert node_position(0, 300) == (0, 1, 44, 45)
    assert node_position(3, 40) == (0, 1, 64, 72)
    assert node_position(8, 3) == (1, 0, 3, 4)
    assert node_position(12, 17) == (1, 1, 16, 32)
    reader = TileReader(N, read)
    for level, index in [(0, 0), (3, 40), (7, 272), (8, 272), (11, 33), (15, 0), (16, 0)]:
        assert reader.node(level, index) == TREE.node(level, index)


@pytest.mark.parametrize("size", [1, 2, 255, 256, 257, 511, 65_535, 65_536, 65_537, 69_999, 70_000])
def test_proofs_from_tiles_equal_the_in_memory_ones_at_any_size_the_store_has_passed(size: int) -> None:
    assert TileReader(size, read).root() == TREE.root(size)
    for i in {0, size // 3, size // 2, size - 1}:
        proof, reads = inclusion_proof_from_tiles(i, size, read)
        assert proof == inclusion_proof(i, size, TREE.node)
        assert verify_inclusion(i, size, TREE.node(0, i), proof, TREE.root(size))
        assert set(reads) == proof_tiles(inclusion_ranges(i, size), size)
    for m in {1, size // 2 or 1, size - 1 or 1, size}:
        proof, reads = consistency_proof_from_tiles(m, size, read)
        assert proof == consistency_proof(m, size, TREE.node)
        assert verify_consistency(m, size, TREE.root(m), TREE.root(size), proof)
        assert set(reads) == proof_tiles(consistency_ranges(m, size), size)


def test_a_proof_reads_a_handful_of_tiles_not_the_leaves() -> None:
    for i in range(0, N, 997):
        _, reads = inclusion_proof_from_tiles(i, N, read)
        assert len(reads) <= 5  # one per tile level on the path, plus the right edge's partial tiles
    for m in range(1, N, 997):
        _, reads = consistency_proof_from_tiles(m, N, read)
        assert len(reads) <= 6


def test_a_reader_never_reads_past_the_size_it_serves() -> None:
    reader = TileReader(300, read)
    with pytest.raises(IndexError):
        reader.node(0, 300)
    with pytest.raises(IndexError):
        reader.node(9, 0)  # 512 leaves
    assert reader.tile(0, 1) == [TREE.node(0, i) for i in range(256, 300)]  # cut to width 44


def test_a_short_tile_from_the_store_is_refused() -> None:
    with pytest.raises(ValueError, match="should hold"):
        TileReader(N, lambda level, index, width: b"\x00" * 31).node(0, 0)


def test_a_builder_resumed_from_stored_tiles_continues_as_the_one_that_never_stopped() -> None:
    for size in [1, 255, 256, 257, 65_536, 69_000]:
        first, store = build(size, every=1000)
        resumed = TileBuilder.resume(size, lambda level, index, width, store=store: store[(level, index)])
        assert resumed.root() == first.root() == TREE.root(size)
        for i in range(size, min(size + 700, N)):
            first.append(TREE.node(0, i))
            resumed.append(TREE.node(0, i))
        assert [(t.level, t.index, t.hashes) for t in resumed.take()] == \
               [(t.level, t.index, t.hashes) for t in first.take()]
        assert resumed.root() == TREE.root(min(size + 700, N))


def test_take_gives_completed_full_tiles_and_the_changed_partial_ones_once() -> None:
    builder = TileBuilder()
    for i in range(257):
        builder.append(TREE.node(0, i))
    tiles = builder.take()
    assert [(t.level, t.index, t.width, t.full) for t in tiles] == [(0, 0, 256, True), (0, 1, 1, False),
                                                                     (1, 0, 1, False)]
    assert tiles[2].path == "tile/1/000.p/1"
    assert builder.take() == []
    builder.append(TREE.node(0, 257))
    assert [(t.level, t.index, t.width) for t in builder.take()] == [(0, 1, 2)]


@settings(max_examples=40, deadline=None)
@given(start=st.sampled_from([0, 1, 255, 256, 257, 65_535, 65_536, 69_000]),
       chunks=st.lists(st.integers(min_value=0, max_value=700), min_size=1, max_size=6),
       take_between=st.booleans())
def test_extending_by_a_page_gives_the_tiles_and_root_of_appending_leaf_by_leaf(
        start: int, chunks: list[int], take_between: bool) -> None:
    """A rebuild appends a page of leaves at a time (``extend``), resumed or from empty: the same
    tiles at each take and the same root as ``append``, leaf by leaf."""
    one, store = build(start, every=1000)
    paged = TileBuilder.resume(start, lambda level, index, width, store=store: store[(level, index)]) if start \
        else TileBuilder()
    one.take()
    i = start
    for n in chunks:
        n = min(n, N - i)
        for k in range(i, i + n):
            one.append(TREE.node(0, k))
        paged.extend(TREE.node(0, k) for k in range(i, i + n))
        i += n
        if take_between:
            assert [(t.level, t.index, t.hashes) for t in paged.take()] == \
                   [(t.level, t.index, t.hashes) for t in one.take()]
    assert [(t.level, t.index, t.hashes) for t in paged.take()] == [(t.level, t.index, t.hashes) for t in one.take()]
    assert paged.size == one.size == i
    assert paged.root() == one.root() == TREE.root(i)


def test_tiles_kept_between_readers_give_the_same_proofs_at_every_size_and_are_read_once() -> None:
    """One process's readers share the nodes of the tiles above the leaves and of the right edge (ADR 0049):
    the proofs of a growing tree are those of readers that keep nothing, and a kept tile is not read again."""
    kept = KeptTiles(room=8)
    asked: list[tuple[int, int, int]] = []

    def counted(level: int, index: int, width: int) -> bytes:
        asked.append((level, index, width))
        return read(level, index, width)

    for size in (300, 511, 65_536, 65_537, 69_000, N):
        for i in (0, 1, size // 2, size - 1):
            proof = inclusion_proof(i, size, TileReader(size, counted, kept).node)
            assert proof == inclusion_proof(i, size, TileReader(size, read).node) == inclusion_proof(i, size, TREE.node)
        assert TileReader(size, counted, kept).root() == TREE.root(size)
    upper = [a for a in asked if a[0] > 0]
    assert len(upper) == len(set(upper))  # each tile above the leaves read once, at each width it had
    assert not KeptTiles.worth(0, TILE_WIDTH)  # the leaves' full tiles are many, and each proof's own
    assert len(kept._kept) <= 8  # the room is kept to
