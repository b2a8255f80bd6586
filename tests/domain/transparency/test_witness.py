"""A witness cosigns a checkpoint only when the ledger signed it and it extends the one it cosigned."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain import errors
from domain.transparency.merkle import Levels, consistency_proof, leaf_hash
from domain.transparency.note import COSIGNATURE_V1, Checkpoint, NoteSigner, open_checkpoint, sign_checkpoint
from domain.transparency.witness import witness

LOG = NoteSigner("ledger.example", Ed25519PrivateKey.generate())
WITNESS = NoteSigner("board-312011", Ed25519PrivateKey.generate(), COSIGNATURE_V1)
TREE = Levels(leaf_hash(b"event %d" % n) for n in range(20))


def note(size: int, signer: NoteSigner = LOG, root: bytes | None = None) -> str:
    return sign_checkpoint(Checkpoint(LOG.name, size, root or TREE.root(size)), signer)


def test_a_first_checkpoint_is_cosigned_and_the_cosignature_verifies_over_it() -> None:
    state, signature = witness(None, note(5), [], LOG.key, WITNESS, 1_800_000_000)
    assert signature is not None
    assert state.size == 5
    _, cosignatures = open_checkpoint(note(5) + signature.line, LOG.key, [WITNESS.key])
    assert [(c.key, c.timestamp) for c in cosignatures] == [(WITNESS.key, 1_800_000_000)]


def test_a_grown_tree_is_cosigned_with_a_consistency_proof_from_the_last_one() -> None:
    first, _ = witness(None, note(5), [], LOG.key, WITNESS, 1)
    state, signature = witness(first, note(13), consistency_proof(5, 13, TREE.node), LOG.key, WITNESS, 2)
    assert signature is not None
    assert (state.size, state.cosigned_at) == (13, 2)


def test_the_same_checkpoint_again_is_nothing_new() -> None:
    first, _ = witness(None, note(5), [], LOG.key, WITNESS, 1)
    assert witness(first, note(5), [], LOG.key, WITNESS, 2) == (first, None)


@pytest.mark.parametrize(("size", "root", "error"), [
    (5, b"\x01" * 32, errors.CheckpointFork),  # same size, another root
    (4, None, errors.CheckpointSmaller),  # the log shrank
    (13, b"\x02" * 32, errors.CheckpointInconsistent),  # grown, but not from the cosigned tree
])
def test_a_fork_a_smaller_tree_and_an_inconsistent_one_are_refused(size: int, root: bytes | None,
                                                                   error: type[Exception]) -> None:
    first, _ = witness(None, note(5), [], LOG.key, WITNESS, 1)
    proof = consistency_proof(5, size, TREE.node) if size > 5 else []
    with pytest.raises(error):
        witness(first, note(size, root=root), proof, LOG.key, WITNESS, 2)


def test_a_checkpoint_signed_with_another_key_is_refused() -> None:
    forged = note(5, NoteSigner(LOG.name, Ed25519PrivateKey.generate()))
    with pytest.raises(errors.NoteUnverified):
        witness(None, forged, [], LOG.key, WITNESS, 1)
