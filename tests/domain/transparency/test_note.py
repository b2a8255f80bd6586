"""Signed notes, checkpoints and cosignatures in the C2SP formats, and the fork rule.

Known answers, not produced by our code:
- golang.org/x/mod/sumdb/note ``note_test.go``: the PeterNeumann key pair and its signed note (Ed25519 is
  deterministic, so signing must give the published note byte for byte), and its malformed notes;
- c2sp.org/signed-note's own example (vkey ``example.com/foo+530d903a+...`` and its note);
- transparency-dev/formats ``note_cosigv1_test.go``: a published cosignature whose timestamp is 1727964367.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain import errors
from domain.transparency.merkle import EMPTY_ROOT, Levels, consistency_proof, leaf_hash
from domain.transparency.note import (
    COSIGNATURE_V1,
    ED25519,
    Checkpoint,
    NoteKey,
    NoteSigner,
    Signature,
    check_consistent,
    cosign,
    key_id,
    open_checkpoint,
    open_note,
    parse_note,
    sign_checkpoint,
    sign_note,
)

# golang.org/x/mod/sumdb/note note_test.go
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_SIG = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
ENOCH_SIG = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
# c2sp.org/signed-note, "Example"
C2SP_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
C2SP_NOTE = ("This is an example message.\n\n— example.com/foo "
             "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n")

ORIGIN = "tokyo-minato"
LEDGER = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"ledger").digest()))
BOARD = NoteSigner("board.tokyo.example/w1", Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"board").digest()),
                   COSIGNATURE_V1)
TREE = Levels(leaf_hash(b"%d" % i) for i in range(100))


def go_signer() -> NoteSigner:
    name, _, material = GO_SKEY.removeprefix("PRIVATE+KEY+").split("+", 2)
    raw = base64.b64decode(material)
    assert raw[0] == ED25519
    return NoteSigner(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))


def checkpoint(size: int) -> Checkpoint:
    return Checkpoint(ORIGIN, size, TREE.root(size))


# ---------------------------------------------------------------- signed notes: known answers


def test_signing_the_go_example_gives_the_published_note_byte_for_byte() -> None:
    signer = go_signer()
    assert signer.key.vkey == GO_VKEY
    assert sign_note(GO_TEXT, signer) == GO_TEXT + "\n" + GO_SIG


def test_the_go_and_c2sp_example_notes_verify_with_their_published_keys() -> None:
    note, verified = open_note(GO_TEXT + "\n" + GO_SIG + ENOCH_SIG, [NoteKey.from_vkey(GO_VKEY)])
    assert note.text == GO_TEXT
    assert list(verified) == [NoteKey.from_vkey(GO_VKEY)]  # Enoch's signature: an unknown key, ignored
    note, verified = open_note(C2SP_NOTE, [NoteKey.from_vkey(C2SP_VKEY)])
    assert note.text == "This is an example message.\n"
    assert verified == {NoteKey.from_vkey(C2SP_VKEY): 0}


def test_the_key_id_is_the_first_four_bytes_of_sha256_of_name_newline_type_and_key() -> None:
    key = NoteKey.from_vkey(GO_VKEY)
    digest = hashlib.sha256(b"PeterNeumann\n\x01" + key.public_key).digest()
    assert key.key_id == int.from_bytes(digest[:4], "big") == 0xC74F20A3
    assert key_id("PeterNeumann", ED25519, key.public_key) == 0xC74F20A3


@pytest.mark.parametrize("vkey", [
    "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong key id
    "PeterNeumann+c74f20a3+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # unknown type
    "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",  # wrong length
    "PeterNeumann+c74f20a3",
    "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
])
def test_a_mangled_vkey_is_refused(vkey: str) -> None:
    with pytest.raises(ValueError, match=r"vkey|name"):
        NoteKey.from_vkey(vkey)


@pytest.mark.parametrize("data", [  # golang.org/x/mod/sumdb/note TestOpen, "Invalid encoded message syntax"
    GO_TEXT,
    GO_TEXT + "\n",
    GO_TEXT + "\n" + GO_SIG[:-1],
    "\x01" + GO_TEXT + "\n" + GO_SIG,
    b"\xff" + (GO_TEXT + "\n" + GO_SIG).encode(),  # a byte that is not UTF-8
    GO_TEXT + "\n" + GO_SIG.replace("PeterNeumann", "Bad Name")[:-1],
    GO_TEXT + "\n" + GO_SIG + "Unexpected line.\n",
    GO_TEXT + "\n" + GO_SIG * 101,
])
def test_a_malformed_note_is_refused(data: str | bytes) -> None:
    with pytest.raises(errors.NoteMalformed):
        open_note(data, [NoteKey.from_vkey(GO_VKEY)])


def test_a_forged_signature_is_refused() -> None:
    bad = GO_TEXT + "\n" + GO_SIG[:60] + "ABCD" + GO_SIG[60:]
    with pytest.raises(errors.NoteSignatureInvalid):
        open_note(bad, [NoteKey.from_vkey(GO_VKEY)])
    with pytest.raises(errors.NoteSignatureInvalid):
        open_note(GO_TEXT.replace("problem", "Problem") + "\n" + GO_SIG, [NoteKey.from_vkey(GO_VKEY)])


def test_a_signature_under_another_name_or_by_another_key_is_not_the_known_keys() -> None:
    renamed = GO_TEXT + "\n" + GO_SIG.replace("PeterNeumann", "PeterNeuman")
    with pytest.raises(errors.NoteUnverified):
        open_note(renamed, [NoteKey.from_vkey(GO_VKEY)])
    with pytest.raises(errors.NoteUnverified):
        open_note(GO_TEXT + "\n" + GO_SIG, [LEDGER.key])
    with pytest.raises(errors.NoteUnverified):
        open_note(GO_TEXT + "\n" + GO_SIG, [])


# ---------------------------------------------------------------- checkpoints


def test_a_checkpoint_is_origin_size_and_base64_root_signed_under_the_origin() -> None:
    note = sign_checkpoint(checkpoint(8), LEDGER)
    text = f"{ORIGIN}\n8\n{base64.b64encode(TREE.root(8)).decode()}\n"
    assert note.startswith(text + "\n— tokyo-minato ")
    raw = base64.b64decode(note.splitlines()[-1].split(" ")[2])
    assert int.from_bytes(raw[:4], "big") == LEDGER.key.key_id
    LEDGER.private.public_key().verify(raw[4:], text.encode())  # plain Ed25519 over the text
    opened, cosignatures = open_checkpoint(note, LEDGER.key, origin=ORIGIN)
    assert opened == checkpoint(8)
    assert cosignatures == []
    assert Checkpoint.parse(text) == checkpoint(8)


def test_the_empty_tree_has_a_checkpoint_of_size_zero_and_the_empty_root() -> None:
    assert Checkpoint.parse(f"{ORIGIN}\n0\n{base64.b64encode(EMPTY_ROOT).decode()}\n").size == 0
    with pytest.raises(ValueError, match="empty tree"):
        Checkpoint(ORIGIN, 0, bytes(32))


@pytest.mark.parametrize("text", [
    "tokyo-minato\n8\n",
    "\n8\n" + base64.b64encode(bytes(32)).decode() + "\n",
    "tokyo-minato\n08\n" + base64.b64encode(bytes(32)).decode() + "\n",
    "tokyo-minato\n-1\n" + base64.b64encode(bytes(32)).decode() + "\n",
    "tokyo-minato\n8\n" + base64.b64encode(bytes(31)).decode() + "\n",
    "tokyo-minato\n8\n" + base64.b64encode(bytes(32)).decode().rstrip("=") + "\n",
    "tokyo-minato\n8\n" + base64.b64encode(bytes(32)).decode(),
    "tokyo-minato\n9223372036854775808\n" + base64.b64encode(bytes(32)).decode() + "\n",
])
def test_a_malformed_checkpoint_body_is_refused(text: str) -> None:
    with pytest.raises(errors.NoteMalformed):
        Checkpoint.parse(text)


def test_a_checkpoint_signed_by_another_key_or_of_another_log_is_refused() -> None:
    other = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"impostor").digest()))
    with pytest.raises(errors.NoteUnverified):  # same name, another key: another key ID, so not the log's
        open_checkpoint(sign_checkpoint(checkpoint(8), other), LEDGER.key)
    other_log = NoteSigner("kyoto", LEDGER.private)
    with pytest.raises(errors.CheckpointWrongOrigin):
        open_checkpoint(sign_checkpoint(Checkpoint("kyoto", 8, TREE.root(8)), other_log), other_log.key,
                        origin=ORIGIN)


def test_a_checkpoint_with_its_root_changed_after_signing_is_refused() -> None:
    note = sign_checkpoint(checkpoint(8), LEDGER)
    forged = note.replace(base64.b64encode(TREE.root(8)).decode(), base64.b64encode(TREE.root(9)).decode())
    with pytest.raises(errors.NoteSignatureInvalid):
        open_checkpoint(forged, LEDGER.key)


# ---------------------------------------------------------------- cosignatures


def test_a_cosignature_signs_the_v1_header_the_time_and_the_checkpoint_text() -> None:
    note = sign_checkpoint(checkpoint(8), LEDGER)
    signature = cosign(note, BOARD, 1_765_000_000)
    raw = base64.b64decode(signature.line.split(" ")[2])
    public = BOARD.private.public_key()
    digest = hashlib.sha256(BOARD.name.encode() + b"\n\x04" + BOARD.key.public_key).digest()
    assert raw[:4] == digest[:4]
    assert int.from_bytes(raw[4:12], "big") == 1_765_000_000
    message = b"cosignature/v1\ntime 1765000000\n" + checkpoint(8).text.encode()
    public.verify(raw[12:], message)  # by hand, with cryptography alone
    opened, cosignatures = open_checkpoint(note + signature.line, LEDGER.key, [BOARD.key])
    assert opened == checkpoint(8)
    assert [(c.key, c.timestamp) for c in cosignatures] == [(BOARD.key, 1_765_000_000)]


def test_a_published_cosignature_gives_its_key_id_and_timestamp() -> None:
    # transparency-dev/formats note_cosigv1_test.go TestCoSigV1Timestamp
    published = ("ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORm"
                 "nFBOBA==")
    signature = parse_note(f"a\n\n— w {published}\n").signatures[0]
    assert len(signature.data) == 72
    assert int.from_bytes(signature.data[:8], "big") == 1727964367


def test_a_cosignature_over_another_root_is_refused() -> None:
    cosigned_9 = cosign(sign_checkpoint(checkpoint(9), LEDGER), BOARD, 1_765_000_000)
    moved = Signature(cosigned_9.name, cosigned_9.key_id, cosigned_9.data)
    with pytest.raises(errors.NoteSignatureInvalid):
        open_checkpoint(sign_checkpoint(checkpoint(8), LEDGER) + moved.line, LEDGER.key, [BOARD.key])


def test_a_cosignature_with_its_time_changed_is_refused() -> None:
    note = sign_checkpoint(checkpoint(8), LEDGER)
    signature = cosign(note, BOARD, 1_765_000_000)
    later = Signature(signature.name, signature.key_id, (1_765_000_001).to_bytes(8, "big") + signature.data[8:])
    with pytest.raises(errors.NoteSignatureInvalid):
        open_checkpoint(note + later.line, LEDGER.key, [BOARD.key])


def test_a_witness_key_cannot_pass_for_the_log_and_a_log_signature_is_not_a_cosignature() -> None:
    note = sign_checkpoint(checkpoint(8), LEDGER)
    as_log = NoteSigner(BOARD.name, BOARD.private)  # the board's key used as a plain note key
    plain = as_log.signature(checkpoint(8).text.encode())
    _, cosignatures = open_checkpoint(note + plain.line, LEDGER.key, [BOARD.key])
    assert cosignatures == []  # another key ID (type 0x01, not 0x04): an unknown key, ignored
    cosigned_only = checkpoint(8).text + "\n" + cosign(note, BOARD, 1_765_000_000).line
    with pytest.raises(errors.NoteUnverified, match="not signed by the log"):
        open_checkpoint(cosigned_only, LEDGER.key, [BOARD.key])


# ---------------------------------------------------------------- the fork rule


def test_a_grown_tree_with_a_valid_consistency_proof_is_accepted() -> None:
    for old, new in [(1, 2), (3, 8), (8, 100), (55, 56), (100, 100)]:
        proof = consistency_proof(old, new, TREE.node) if old != new else []
        check_consistent(checkpoint(old), checkpoint(new), proof)
    check_consistent(checkpoint(0), checkpoint(100), [])


def test_a_smaller_tree_is_refused() -> None:
    with pytest.raises(errors.CheckpointSmaller, match="fewer than"):
        check_consistent(checkpoint(10), checkpoint(9), [])


def test_the_same_size_with_another_root_is_a_fork() -> None:
    with pytest.raises(errors.CheckpointFork, match="forked"):
        check_consistent(checkpoint(10), Checkpoint(ORIGIN, 10, TREE.root(11)), [])


def test_a_growth_whose_proof_does_not_verify_is_inconsistent() -> None:
    rewritten = Levels([TREE.node(0, 0), leaf_hash(b"rewritten"), *(TREE.node(0, i) for i in range(2, 100))])
    proof = consistency_proof(10, 20, rewritten.node)
    with pytest.raises(errors.CheckpointInconsistent, match="does not verify"):
        check_consistent(checkpoint(10), Checkpoint(ORIGIN, 20, rewritten.root(20)), proof)
    with pytest.raises(errors.CheckpointInconsistent):
        check_consistent(checkpoint(10), checkpoint(20), consistency_proof(11, 20, TREE.node))
    with pytest.raises(errors.CheckpointInconsistent):
        check_consistent(checkpoint(10), checkpoint(20), [])
    with pytest.raises(errors.CheckpointInconsistent):
        check_consistent(checkpoint(0), checkpoint(20), [TREE.root(20)])


def test_another_logs_checkpoint_is_refused_by_the_fork_rule() -> None:
    with pytest.raises(errors.CheckpointWrongOrigin):
        check_consistent(checkpoint(10), Checkpoint("kyoto", 10, TREE.root(10)), [])


def test_every_refusal_names_the_checkpoint_as_its_field() -> None:
    with pytest.raises(errors.CheckpointRefused) as caught:
        check_consistent(checkpoint(10), checkpoint(9), [])
    assert caught.value.field == "checkpoint"
    assert caught.value.rule == "checkpoint-smaller"


@pytest.mark.parametrize("name", ["tokyo+minato", "tokyo minato", "", "東京\u3000港区"])
def test_a_name_with_a_plus_or_a_space_cannot_sign(name: str) -> None:
    with pytest.raises(ValueError, match="key name"):
        NoteSigner(name, LEDGER.private)


def test_a_vkey_whose_base64_key_holds_a_plus_reads_back() -> None:
    """The key's base64 may contain '+': a vkey splits at its first two '+' only, as Go's note does."""
    for _ in range(200):
        key = NoteKey.of("board-312011", Ed25519PrivateKey.generate().public_key(), COSIGNATURE_V1)
        if "+" in key.vkey.split("+", 2)[2]:
            assert NoteKey.from_vkey(key.vkey) == key
            return
    pytest.fail("no key with a '+' in its base64 in 200 tries")
