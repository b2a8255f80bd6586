"""Proof files: one entry as c2sp.org/tlog-proof@v1 text, a form's events as gakuseki-proof/1 JSON, or
as gakuseki-proof/2 JSON with one multiproof for all of them (ADR 0041)."""

from __future__ import annotations

import base64
import uuid

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain import errors
from domain.transparency.leaf import leaf_bytes
from domain.transparency.merkle import Levels, inclusion_proof, leaf_hash, multiproof
from domain.transparency.note import COSIGNATURE_V1, Checkpoint, NoteSigner, cosign, sign_checkpoint
from domain.transparency.proof import (
    MULTIPROOF_FILE_FORMAT,
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


# ---------------------------------------------------------------- gakuseki-proof/2: one multiproof (ADR 0041)


def multiproof_file(indexes: tuple[int, ...] = (0, 2, 3, 6), size: int = 7, *,
                    root_of: int | None = None) -> ProofFile:
    """``root_of``: sign (and name) the root of a tree of that size instead, the proof staying the same."""
    entries = [proof_entry(i, LEAVES[i], [], None) for i in indexes]
    signed_size = size if root_of is None else root_of
    note = sign_checkpoint(Checkpoint(LOG.name, size, TREE.root(signed_size)), LOG)
    return ProofFile(MULTIPROOF_FILE_FORMAT, LOG.name, note, size, base64.b64encode(TREE.root(signed_size)).decode(),
                     {"packet": "transfer"}, entries,
                     [base64.b64encode(h).decode() for h in multiproof(indexes, size, TREE.node)])


def test_a_multiproof_file_verifies_after_a_round_trip_and_a_version_1_file_is_encoded_as_before() -> None:
    file = msgspec.json.decode(msgspec.json.encode(multiproof_file()), type=ProofFile)
    assert verify_proof_file(file, LOG.key)[0].size == 7
    assert all(entry.inclusion == [] for entry in file.entries)
    assert len(file.multiproof or []) < sum(len(inclusion_proof(i, 7, TREE.node)) for i in (0, 2, 3, 6))
    assert "multiproof" not in msgspec.json.decode(msgspec.json.encode(proof_file()))  # /1 bytes unchanged


def _refused(file: ProofFile, error: type[errors.LedgerError], match: str | None = None) -> None:
    with pytest.raises(error, match=match):
        verify_proof_file(file, LOG.key)


def test_a_multiproof_file_changed_anywhere_or_proving_another_root_is_refused() -> None:
    file = multiproof_file()
    hashes = file.multiproof or []
    flipped = base64.b64encode(bytes([base64.b64decode(hashes[0])[0] ^ 1]) + base64.b64decode(hashes[0])[1:]).decode()
    replace = msgspec.structs.replace
    _refused(replace(file, multiproof=[flipped, *hashes[1:]]), errors.CheckpointInconsistent, "multiproof")
    _refused(replace(file, multiproof=hashes[:-1]), errors.CheckpointInconsistent, "multiproof")
    _refused(replace(file, multiproof=[*hashes, hashes[0]]), errors.CheckpointInconsistent, "multiproof")
    _refused(replace(file, entries=file.entries[1:]), errors.CheckpointInconsistent, "multiproof")  # one left out
    other = proof_entry(1, LEAVES[1], [], None)  # another event in place of one
    _refused(replace(file, entries=[file.entries[0], other, *file.entries[2:]]), errors.CheckpointInconsistent)
    # the checkpoint (signed by the log's key) of another tree: the proof is to a different root
    _refused(multiproof_file(root_of=6), errors.CheckpointInconsistent, "multiproof")
    forged = NoteSigner(LOG.name, Ed25519PrivateKey.generate())
    _refused(replace(file, checkpoint=sign_checkpoint(Checkpoint(LOG.name, 7, TREE.root(7)), forged)),
             errors.CheckpointRefused)


def test_a_multiproof_file_lists_each_entry_once_in_order_and_only_it_has_a_multiproof() -> None:
    file = multiproof_file()
    replace = msgspec.structs.replace
    _refused(replace(file, entries=[file.entries[1], file.entries[0], *file.entries[2:]]), errors.NoteMalformed,
             r"entries\[1\]")
    _refused(replace(file, entries=[file.entries[0], *file.entries]), errors.NoteMalformed, r"entries\[1\]")
    with_path = replace(file.entries[0], inclusion=proof_file().entries[0].inclusion)
    _refused(replace(file, entries=[with_path, *file.entries[1:]]), errors.NoteMalformed, r"entries\[0\]")
    _refused(replace(file, multiproof=None), errors.NoteMalformed, "multiproof")
    _refused(replace(proof_file(), multiproof=[]), errors.NoteMalformed, "multiproof")
