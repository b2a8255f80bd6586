"""The checkpoint publisher: signs the Merkle tree's head on the cadence of ADR 0030.

It runs where the projections run (the poller of `gakuseki projections run`, or the server's own
thread on the embedded default), never in a write's path: a class roll never waits for a signature.
It signs a C2SP checkpoint (origin = key name = the ledger id) when the tree has grown since the last
one, at most once every ``every`` seconds by the ledger's clock (GAKUSEKI_CHECKPOINT_SECONDS).

Before it signs it applies the fork rule (``note.check_consistent``) against the last checkpoint it
kept, with a consistency proof computed from the stored tiles. A refusal is logged, recorded
(``merkle_refusals``: /health answers 503 naming the Merkle log) and stops signing; the tiles and
checkpoints are left as they are, as evidence.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from domain import errors
from domain.ledger import Ledger
from domain.storage import documents, merkle_log
from domain.storage.database import Tx
from domain.storage.merkle_log import StoredCheckpoint
from domain.transparency.merkle import consistency_proof, consistency_ranges
from domain.transparency.note import Checkpoint, NoteSigner, check_consistent, open_checkpoint, sign_checkpoint
from domain.transparency.tiles import TileReader, proof_tiles
from projections.merkle_log import NAME

log = logging.getLogger("gakuseki.checkpoints")

EVERY = 10.0  # seconds: GAKUSEKI_CHECKPOINT_SECONDS' default (ADR 0030)


class CheckpointPublisher:
    """Signs checkpoints of one ledger's stored tree with the ledger's key (``signer``)."""

    def __init__(self, ledger: Ledger, signer: NoteSigner, every: float = EVERY) -> None:
        if not every > 0:
            raise ValueError(f"checkpoints are signed at most every N seconds, N > 0, not {every}")
        self.ledger, self.storage, self.signer, self.every = ledger, ledger.storage, signer, every
        self.origin = signer.name  # the ledger id: the checkpoint's origin and its key name
        # No checkpoint is due before this moment (the last one kept, signed here or read, + ``every``): the
        # poller asks on every turn of its loop, under writes hundreds of times a second, and a read of the
        # latest checkpoint each time was most of what the Merkle log cost it beside the read models.
        self._quiet_until: datetime | None = None

    def publish(self, *, holding: int | None = None) -> StoredCheckpoint | None:
        """Sign and keep a checkpoint if one is due; the one signed, or None (nothing grew, too soon,
        or signing refused: see ``merkle_log.refusal``).

        ``holding``: a leaf index a caller needs signed now (a transfer packet's hand-over, ADR 0041):
        a checkpoint is due, whatever the cadence, when the tree holds that leaf and no checkpoint
        does yet. Everything else stands: the lock (one signer at a time, the second finding the
        checkpoint made), the fork rule, and the refusal that stops signing."""
        now = self.ledger.clock()
        if holding is None and self._quiet_until is not None and now < self._quiet_until:
            return None  # too soon, known without reading (another signer's checkpoint only makes it later)
        latest = merkle_log.latest_checkpoint(self.storage)
        if latest is not None:
            self._quiet_until = latest.signed_at + timedelta(seconds=self.every)
        asked = holding is not None and (latest is None or latest.tree_size <= holding)
        if not asked and latest is not None and (now - latest.signed_at).total_seconds() < self.every:
            return None
        size = merkle_log.tree_size(self.storage)
        if size == 0 or (latest is not None and size <= latest.tree_size):
            return None  # nothing grew (or a rebuild has not yet reached the last checkpoint)
        if merkle_log.refusal(self.storage) is not None:
            return None
        with self.storage.writing() as tx:
            # The projection's lock: it writes no tile while the tree is read and signed, and a
            # second publisher (another process) waits here, then finds the checkpoint made.
            documents.lock_position(tx, NAME, self.storage.now())
            latest, size = merkle_log.latest_checkpoint(tx), merkle_log.tree_size(tx)
            if size == 0 or (latest is not None and size <= latest.tree_size) or merkle_log.refusal(tx):
                return None
            if holding is not None and size <= holding:
                return None  # the tree does not hold the leaf yet: nothing to sign for it
            reader = _reader(tx, size, latest.tree_size if latest else 0)
            new = Checkpoint(self.origin, size, reader.root())
            if latest is not None:
                try:
                    previous = self._opened(latest)
                    proof = consistency_proof(previous.size, size, reader.node) if previous.size else []
                    check_consistent(previous, new, proof)
                except errors.CheckpointRefused as e:
                    reason = f"{type(e).__name__}: {e}"
                    merkle_log.keep_refusal(tx, latest.tree_size, size, reason, now)
                    log.error("Merkle log: signing refused at %d leaves after the checkpoint of %d: %s; no "
                              "checkpoint will be signed until this is investigated", size, latest.tree_size, reason)
                    return None
            note = sign_checkpoint(new, self.signer)
            merkle_log.keep_checkpoint(tx, size, new.root, note, now)
        self._quiet_until = now + timedelta(seconds=self.every)
        log.info("Merkle log: signed the checkpoint of %d leaves", size)
        return StoredCheckpoint(size, new.root, note, now)

    def _opened(self, stored: StoredCheckpoint) -> Checkpoint:
        """The last kept checkpoint, as its signed note says (opened with the ledger's key, of this
        origin), and the same as its row: an altered row or note is refused like a fork."""
        checkpoint, _ = open_checkpoint(stored.note, self.signer.key, origin=self.origin)
        if (checkpoint.size, checkpoint.root) != (stored.tree_size, stored.root):
            raise errors.CheckpointFork(f"the kept checkpoint of {stored.tree_size} leaves differs from its signed "
                                        f"note ({checkpoint.size} leaves, root {checkpoint.root.hex()[:16]}…)")
        return checkpoint


def _reader(tx: Tx, size: int, since: int) -> TileReader:
    """A reader of the tree of ``size`` leaves holding, from one query, the tiles its root and the
    consistency proof from ``since`` leaves read."""
    ranges = [(0, size), *(consistency_ranges(since, size) if 0 < since < size else [])]
    tiles = merkle_log.read_tiles(tx, {(level, index) for level, index, _ in proof_tiles(ranges, size)})

    def read(level: int, index: int, width: int) -> bytes:
        found = tiles.get((level, index))
        if found is None:
            found = merkle_log.read_tiles(tx, [(level, index)]).get((level, index), b"")
        return found

    return TileReader(size, read)
