"""Test helpers for the transparency routes: grow the stored tree and sign a checkpoint of it now.

The server's projection process keeps the tree and signs on its cadence (projections/merkle_log.py,
projections/checkpoints.py); a test wants a checkpoint at a point it chooses, so it asks for one here.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.ledger import Ledger
from domain.storage import merkle_log
from domain.storage.merkle_log import StoredCheckpoint
from domain.transparency.leaf import event_leaf_hash
from domain.transparency.note import Checkpoint, NoteKey, NoteSigner, sign_checkpoint
from domain.transparency.tiles import TILE_WIDTH, TileBuilder


def ledger_signer(services: Any) -> NoteSigner:
    """The key the ledger signs its checkpoints with: its packet key, named by the ledger id (ADR 0030)."""
    return NoteSigner(services.signing.ledger_id, services.signing.private)


def log_key(services: Any) -> NoteKey:
    return ledger_signer(services).key


def grow(ledger: Ledger) -> int:
    """Append every event not yet in the stored tree; the tree's size."""
    storage = ledger.storage
    size = merkle_log.tree_size(storage)
    stored = merkle_log.read_tiles

    def read(level: int, index: int, width: int) -> bytes:
        return stored(storage, [(level, index)])[(level, index)]

    builder = TileBuilder.resume(size, read) if size else TileBuilder()
    after = merkle_log.position_of(storage, size - 1) if size else 0
    assert after is not None
    positions: dict[int, list[int]] = {}
    if size % TILE_WIDTH:
        positions[size // TILE_WIDTH] = merkle_log.tile_positions(storage, size // TILE_WIDTH)
    while True:
        page = ledger.recorder.select_notifications(start=after, limit=500, inclusive_of_start=False)
        for n in page:
            stream = n.originator_id if isinstance(n.originator_id, UUID) else UUID(str(n.originator_id))
            builder.append(event_leaf_hash(n.id, stream, n.originator_version, n.topic, bytes(n.state)))
            positions.setdefault((builder.size - 1) // TILE_WIDTH, []).append(n.id)
        if len(page) < 500:
            break
        after = page[-1].id
    with storage.writing() as tx:
        merkle_log.put_tiles(tx, builder.take(), positions.items())
    return builder.size


def publish(ledger: Ledger, signer: NoteSigner) -> StoredCheckpoint:
    """A checkpoint of the whole log now (the latest one again when the log has not grown)."""
    size = grow(ledger)
    latest = merkle_log.latest_checkpoint(ledger.storage)
    if latest is not None and latest.tree_size == size:
        return latest
    storage = ledger.storage

    def read(level: int, index: int, width: int) -> bytes:
        return merkle_log.read_tiles(storage, [(level, index)])[(level, index)]

    from domain.transparency.tiles import TileReader

    root = TileReader(size, read).root()
    note = sign_checkpoint(Checkpoint(signer.name, size, root), signer)
    merkle_log.keep_checkpoint(storage, size, root, note, storage.now())
    found = merkle_log.checkpoint_at(storage, size)
    assert found is not None
    return found
