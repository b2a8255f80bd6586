"""The transparency log's tables (domain/storage/merkle_log.py, migration 0007), on both backends:
tiles and leaf positions go in and come back byte for byte, leaf indexes and positions map both ways
across gaps, and checkpoints and cosignatures are kept and never changed."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from domain.ledger import Ledger
from domain.storage import merkle_log
from domain.transparency.merkle import root_of
from domain.transparency.tiles import TileBuilder, TileReader

AT = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def _leaf(i: int) -> bytes:
    return hashlib.sha256(b"leaf %d" % i).digest()


def _build(ledger: Ledger, count: int, positions: list[int]) -> TileBuilder:
    builder = TileBuilder()
    for i in range(count):
        builder.append(_leaf(i))
    level0 = [(n, positions[n * 256:(n + 1) * 256]) for n in range((count + 255) // 256)]
    with ledger.storage.writing() as tx:
        merkle_log.put_tiles(tx, builder.take(), level0)
    return builder


def test_an_empty_log_has_an_empty_tree_and_no_checkpoint(ledger: Ledger) -> None:
    storage = ledger.storage
    assert merkle_log.tree_size(storage) == 0
    assert merkle_log.leaf_index_of(storage, 1) is None
    assert merkle_log.position_of(storage, 0) is None
    assert merkle_log.latest_checkpoint(storage) is None
    assert list(merkle_log.checkpoints(storage)) == []


def test_stored_tiles_give_back_the_tree_they_were_taken_from(ledger: Ledger) -> None:
    count = 256 * 3 + 17
    positions = [3 * i + 5 for i in range(count)]  # gaps between positions
    builder = _build(ledger, count, positions)
    storage = ledger.storage
    assert merkle_log.tree_size(storage) == count

    def read(level: int, index: int, width: int) -> bytes:
        return merkle_log.read_tiles(storage, [(level, index)])[(level, index)]

    assert TileReader(count, read).root() == builder.root() == root_of(_leaf(i) for i in range(count))
    resumed = TileBuilder.resume(count, read)
    assert resumed.root() == builder.root()
    tiles = merkle_log.read_tiles(storage, [(0, 0), (0, 3), (1, 0), (5, 5)])
    assert sorted(tiles) == [(0, 0), (0, 3), (1, 0)]
    assert len(tiles[(0, 3)]) == 17 * 32
    assert len(tiles[(1, 0)]) == 3 * 32


def test_a_partial_tile_is_replaced_as_it_grows(ledger: Ledger) -> None:
    builder = TileBuilder()
    storage = ledger.storage
    for step in (10, 300):
        for i in range(builder.size, step):
            builder.append(_leaf(i))
        with storage.writing() as tx:
            merkle_log.put_tiles(tx, builder.take(),
                                 [(n, list(range(n * 256, min(step, (n + 1) * 256)))) for n in range(step // 256 + 1)])
        assert merkle_log.tree_size(storage) == step
    assert merkle_log.tile_positions(storage, 1) == list(range(256, 300))


def test_leaf_indexes_are_dense_where_positions_have_gaps(ledger: Ledger) -> None:
    count = 600
    positions = [i * 2 + (100 if i >= 300 else 1) for i in range(count)]
    _build(ledger, count, positions)
    storage = ledger.storage
    for index in (0, 1, 255, 256, 299, 300, 511, 512, 599):
        assert merkle_log.position_of(storage, index) == positions[index]
        assert merkle_log.leaf_index_of(storage, positions[index]) == index
    assert merkle_log.position_of(storage, 600) is None
    assert merkle_log.leaf_index_of(storage, 2) is None  # a gap
    assert merkle_log.leaf_index_of(storage, 0) is None
    assert merkle_log.leaf_index_of(storage, positions[-1] + 1) is None


def test_the_leaf_indexes_of_many_positions_are_read_at_once_and_equal_one_by_one(ledger: Ledger) -> None:
    count = 1100  # five level-0 tiles, the last partial
    positions = [i * 3 + (500 if i >= 700 else 2) for i in range(count)]
    _build(ledger, count, positions)
    storage = ledger.storage
    asked = [*positions[::2], 0, 1, 3, positions[699] + 1, positions[-1] + 1, positions[-1] + 10_000]
    found = merkle_log.leaf_indexes_of(storage, asked)
    assert found == {p: i for i in range(0, count, 2) for p in [positions[i]]}  # gaps and the tail: absent
    assert found == {p: merkle_log.leaf_index_of(storage, p) for p in asked if merkle_log.leaf_index_of(storage, p)
                     is not None}
    assert merkle_log.leaf_indexes_of(storage, positions) == {p: i for i, p in enumerate(positions)}  # > 400 at once
    assert merkle_log.leaf_indexes_of(storage, []) == {}
    with ledger.storage.writing() as tx:  # inside a transaction too
        some = positions[250:260]
        assert merkle_log.leaf_indexes_of(tx, some) == {p: 250 + i for i, p in enumerate(some)}


def test_clearing_the_tree_keeps_the_checkpoints(ledger: Ledger) -> None:
    _build(ledger, 5, [1, 2, 3, 4, 5])
    merkle_log.keep_checkpoint(ledger.storage, 5, b"\x01" * 32, "note\n", AT)
    with ledger.storage.writing() as tx:
        merkle_log.clear_tree(tx)
    assert merkle_log.tree_size(ledger.storage) == 0
    assert merkle_log.position_of(ledger.storage, 0) is None
    assert merkle_log.latest_checkpoint(ledger.storage) is not None


def test_checkpoints_are_kept_by_size_and_never_changed(ledger: Ledger) -> None:
    storage = ledger.storage
    for size in (3, 1, 7):
        merkle_log.keep_checkpoint(storage, size, bytes([size]) * 32, f"note {size}\n", AT)
    latest = merkle_log.latest_checkpoint(storage)
    assert latest == merkle_log.StoredCheckpoint(7, b"\x07" * 32, "note 7\n", AT)
    assert merkle_log.checkpoint_at(storage, 3) == merkle_log.StoredCheckpoint(3, b"\x03" * 32, "note 3\n", AT)
    assert merkle_log.checkpoint_at(storage, 4) is None
    assert [c.tree_size for c in merkle_log.checkpoints(storage, page=2)] == [1, 3, 7]
    assert [c.tree_size for c in merkle_log.checkpoints(storage, since=1)] == [3, 7]
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        merkle_log.keep_checkpoint(storage, 7, b"\x08" * 32, "another note 7\n", AT)
    with pytest.raises(Exception, match="append-only"), storage.writing() as tx:
        tx.execute("UPDATE {merkle_checkpoints} SET note = 'forged' WHERE tree_size = 7")
    with pytest.raises(Exception, match="append-only"), storage.writing() as tx:
        tx.execute("DELETE FROM {merkle_checkpoints} WHERE tree_size = 1")
    assert [c.note for c in merkle_log.checkpoints(storage)] == ["note 1\n", "note 3\n", "note 7\n"]


def test_a_witness_cosignature_is_kept_once_per_key(ledger: Ledger) -> None:
    storage = ledger.storage
    merkle_log.keep_checkpoint(storage, 4, b"\x04" * 32, "note 4\n", AT)
    assert merkle_log.keep_cosignature(storage, 4, 0xDEADBEEF, "witness.example", 1_765_000_000, "— w abc", AT)
    assert not merkle_log.keep_cosignature(storage, 4, 0xDEADBEEF, "witness.example", 1_765_000_001, "— w xyz", AT)
    assert merkle_log.keep_cosignature(storage, 4, 7, "other.example", 1_765_000_002, "— o def", AT)
    assert merkle_log.cosignatures(storage, 4) == [
        merkle_log.StoredCosignature(4, 7, "other.example", 1_765_000_002, "— o def", AT),
        merkle_log.StoredCosignature(4, 0xDEADBEEF, "witness.example", 1_765_000_000, "— w abc", AT),
    ]
    assert merkle_log.cosignatures(storage, 5) == []
    with pytest.raises(Exception, match="append-only"), storage.writing() as tx:
        tx.execute("DELETE FROM {merkle_cosignatures}")
