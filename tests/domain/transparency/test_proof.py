"""Proof files: one entry as c2sp.org/tlog-proof@v1 text, a form's events as gakuseki-proof/1 JSON."""

from __future__ import annotations

import base64
import uuid

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain import errors
from domain.transparency.leaf import leaf_bytes
from domain.transparency.merkle import Levels, inclusion_proof, leaf_hash
from domain.transparency.note import COSIGNATURE_V1, Checkpoint, NoteSigner, cosign, sign_checkpoint
from domain.transparency.proof import (
    PROOF_FILE_FORMAT,
    ProofFile,
    TlogProof,
    proof_entry,
    verify_proof_file,
    verify_tlog_proof,
)

LOG = NoteSigner("ledger.example", Ed25519PrivateKey.generate())
WITNESS = NoteSigner("board-312011", Ed25519PrivateKey.generate(), COSIGNATURE_V1)
STATES = [f"state {n}".encode() for n in range(7)]
LEAVES = [leaf_bytes(10 + 3 * n, uuid.UUID(int=n + 1), 1, "domain.student:Admitted", s) for n, s in enumerate(STATES)]
TREE = Levels(leaf_hash(leaf) for leaf in LEAVES)


def signed(size: int = 7) -> str:
    note = sign_checkpoint(Checkpoint(LOG.name, size, TREE.root(size)), LOG)
    return note + cosign(note, WITNESS, 1_800_000_000).line


def tlog_proof(index: int, size: int = 7) -> TlogProof:
    return TlogProof(index, inclusion_proof(index, size, TREE.node), signed(size), LEAVES[index])


def test_a_tlog_proof_reads_back_as_written_and_starts_with_the_c2sp_header() -> None:
    proof = tlog_proof(3)
    assert proof.text.startswith("c2sp.org/tlog-proof@v1\nextra ")
    assert "\nindex 3\n" in proof.text
    assert TlogProof.parse(proof.text) == proof


def test_a_tlog_proof_verifies_with_the_logs_key_and_names_its_leaf_and_witness() -> None:
    checkpoint, cosignatures, leaf = verify_tlog_proof(tlog_proof(5), LOG.key, [WITNESS.key])
    assert (checkpoint.size, leaf.position, leaf.stream_id) == (7, 25, uuid.UUID(int=6))
    assert [c.key for c in cosignatures] == [WITNESS.key]


def test_a_tlog_proof_of_another_leaf_or_index_is_refused() -> None:
    proof = tlog_proof(2)
    with pytest.raises(errors.CheckpointInconsistent):
        verify_tlog_proof(TlogProof(2, proof.hashes, proof.checkpoint, LEAVES[3]), LOG.key)
    with pytest.raises(errors.CheckpointInconsistent):
        verify_tlog_proof(TlogProof(3, proof.hashes, proof.checkpoint, LEAVES[2]), LOG.key)


def test_a_tlog_proof_signed_by_another_key_is_refused() -> None:
    other = NoteSigner(LOG.name, Ed25519PrivateKey.generate())
    forged = sign_checkpoint(Checkpoint(LOG.name, 7, TREE.root(7)), other)
    with pytest.raises(errors.CheckpointRefused):
        verify_tlog_proof(TlogProof(1, inclusion_proof(1, 7, TREE.node), forged, LEAVES[1]), LOG.key)


@pytest.mark.parametrize("text", ["", "c2sp.org/tlog-proof@v1\nindex x\n\ncp\n", "nope\nindex 1\n\ncp\n",
                                  "c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\ncp\n"])
def test_a_malformed_tlog_proof_is_refused(text: str) -> None:
    with pytest.raises(errors.NoteMalformed):
        TlogProof.parse(text)


def proof_file(size: int = 7, *, state: bool = True) -> ProofFile:
    entries = [proof_entry(i, LEAVES[i], inclusion_proof(i, size, TREE.node), STATES[i] if state else None)
               for i in (0, 4, 6) if i < size]
    return ProofFile(PROOF_FILE_FORMAT, LOG.name, signed(size), size, base64.b64encode(TREE.root(size)).decode(),
                     {"form": "cumulative-record"}, entries)


@pytest.mark.parametrize("state", [True, False])
def test_a_proof_file_verifies_after_a_round_trip_through_json(state: bool) -> None:
    file = msgspec.json.decode(msgspec.json.encode(proof_file(state=state)), type=ProofFile)
    checkpoint, cosignatures = verify_proof_file(file, LOG.key, [WITNESS.key])
    assert checkpoint.size == 7
    assert len(cosignatures) == 1


def test_a_proof_file_whose_state_bytes_or_fields_were_changed_is_refused() -> None:
    file = proof_file()
    changed = msgspec.structs.replace(file.entries[1], state=base64.b64encode(b"state 9").decode())
    with pytest.raises(errors.CheckpointInconsistent, match=r"entries\[1\]"):
        verify_proof_file(msgspec.structs.replace(file, entries=[file.entries[0], changed]), LOG.key)
    moved = msgspec.structs.replace(file.entries[0], position=11)
    with pytest.raises(errors.CheckpointInconsistent, match=r"entries\[0\]"):
        verify_proof_file(msgspec.structs.replace(file, entries=[moved]), LOG.key)
    wrong_index = msgspec.structs.replace(file.entries[0], index=1)
    with pytest.raises(errors.CheckpointInconsistent):
        verify_proof_file(msgspec.structs.replace(file, entries=[wrong_index]), LOG.key)
