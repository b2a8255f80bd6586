"""Test helpers for the transparency routes: a checkpoint of the whole log, signed now.

The server's poller keeps the tree and signs on its cadence (projections/merkle_log.py,
projections/checkpoints.py); a test wants a checkpoint at a point it chooses, so it runs the same
projection and publisher here, with no wait between checkpoints.
"""

from __future__ import annotations

import time
from typing import Any

from domain.ledger import Ledger
from domain.storage import merkle_log
from domain.storage.merkle_log import StoredCheckpoint
from domain.transparency.note import NoteKey, NoteSigner
from projections.checkpoints import CheckpointPublisher
from projections.merkle_log import MerkleLog


def ledger_signer(services: Any) -> NoteSigner:
    """The key the ledger signs its checkpoints with: its packet key, named by the ledger id (ADR 0030)."""
    return NoteSigner(services.signing.ledger_id, services.signing.private)


def log_key(services: Any) -> NoteKey:
    return ledger_signer(services).key


def publish(ledger: Ledger, signer: NoteSigner, *, poller: bool = True) -> StoredCheckpoint:
    """A checkpoint of the whole log now (the latest one again when the log has not grown since).

    ``poller``: the app runs its projections in a thread (the API fixtures), which keeps the tree:
    wait for it rather than run a second Merkle projection beside it. Otherwise the tree is kept here.
    """
    if poller:
        deadline = time.monotonic() + 30
        while not _current(ledger):
            assert time.monotonic() < deadline, "the server's poller did not bring the Merkle log up to date"
            time.sleep(0.02)
    else:
        MerkleLog(ledger).catch_up()
    CheckpointPublisher(ledger, signer, every=1e-9).publish()
    latest = merkle_log.latest_checkpoint(ledger.storage)
    assert latest is not None
    assert latest.tree_size == merkle_log.tree_size(ledger.storage)
    return latest


def _current(ledger: Ledger) -> bool:
    size = merkle_log.tree_size(ledger.storage)
    return size > 0 and merkle_log.position_of(ledger.storage, size - 1) == ledger.position()


def not_a_checkpoint(ledger: Ledger, below: int) -> int:
    """A tree size under ``below`` that no checkpoint has (the server's poller signs some on its own)."""
    return next(n for n in range(below - 1, 0, -1) if merkle_log.checkpoint_at(ledger.storage, n) is None)
