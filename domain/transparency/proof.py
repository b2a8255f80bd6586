"""Proof files an auditor keeps: one entry in the C2SP tlog-proof text, many in one JSON file (ADR 0033).

- ``TlogProof`` (https://c2sp.org/tlog-proof, ``c2sp.org/tlog-proof@v1``): the header line, an
  optional ``extra <base64>`` line, ``index <leaf index>``, the inclusion proof's hashes one per line
  (RFC 9162 PATH order), a blank line, then the signed checkpoint note with its cosignatures. The
  ledger puts the leaf's bytes (domain/transparency/leaf.py) in ``extra``, so that a verifier
  recomputes the leaf hash from the file alone and reads which event it is.
- ``ProofFile`` (``gakuseki-proof/1``, JSON): the events behind a form, each with its leaf fields, its
  leaf bytes and its inclusion proof, all to the one signed checkpoint the file carries.
  ``gakuseki-proof/2`` (ADR 0041; what a transfer packet carries): the same entries, in ascending leaf
  index, without their own inclusion proofs, and one ``multiproof`` for all of them: the hashes of
  every largest subtree holding none of the entries' leaves, left to right (``merkle.multiproof``).
  Each hash is given once where many inclusion proofs repeat it (a child's 200 events: about 4,400
  hashes as inclusion proofs, a few hundred as one multiproof), and checking it folds the tree once.

Pure: nothing is read or stored here. ``verify_proof_file`` checks a file against the ledger's and
witnesses' keys as any auditor would, without the ledger.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence

import msgspec

from domain import errors
from domain.transparency.leaf import Leaf, read_leaf
from domain.transparency.merkle import HASH_SIZE, leaf_hash, verify_inclusion, verify_multiproof
from domain.transparency.note import Checkpoint, Cosignature, NoteKey, open_checkpoint

__all__ = ["MULTIPROOF_FILE_FORMAT", "PROOF_FILE_FORMAT", "TLOG_PROOF_HEADER", "ProofEntry", "ProofFile", "TlogProof",
           "proof_entry", "verify_proof_file", "verify_tlog_proof"]

TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
PROOF_FILE_FORMAT = "gakuseki-proof/1"
MULTIPROOF_FILE_FORMAT = "gakuseki-proof/2"  # one multiproof for every entry (ADR 0041)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, what: str) -> bytes:
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise errors.NoteMalformed(f"{what} is not base64", field="proof")
    if _b64(data) != text:
        raise errors.NoteMalformed(f"{what} is not canonical base64", field="proof")
    return data


class TlogProof(msgspec.Struct, frozen=True):
    """One entry's inclusion proof in a signed checkpoint, as c2sp.org/tlog-proof@v1 text."""

    index: int
    hashes: list[bytes]
    checkpoint: str  # the signed note, signature lines included
    extra: bytes = b""

    @property
    def text(self) -> str:
        lines = [TLOG_PROOF_HEADER]
        if self.extra:
            lines.append(f"extra {_b64(self.extra)}")
        lines.append(f"index {self.index}")
        lines += [_b64(h) for h in self.hashes]
        return "\n".join(lines) + "\n\n" + self.checkpoint

    @classmethod
    def parse(cls, text: str) -> TlogProof:
        head, sep, checkpoint = text.partition("\n\n")
        if not sep:
            raise errors.NoteMalformed("a tlog-proof is its lines, a blank line, then the checkpoint", field="proof")
        lines = head.split("\n")
        if lines[0] != TLOG_PROOF_HEADER:
            raise errors.NoteMalformed(f"a tlog-proof starts with {TLOG_PROOF_HEADER}", field="proof")
        rest = lines[1:]
        extra = b""
        if rest and rest[0].startswith("extra "):
            extra = _unb64(rest.pop(0)[len("extra "):], "the extra data")
        if not rest or not rest[0].startswith("index ") or not rest[0][6:].isdigit():
            raise errors.NoteMalformed("a tlog-proof names the entry's index: 'index <decimal>'", field="proof")
        index = int(rest.pop(0)[6:])
        hashes = [_unb64(line, "a proof hash") for line in rest]
        if any(len(h) != HASH_SIZE for h in hashes):
            raise errors.NoteMalformed(f"a proof hash is {HASH_SIZE} bytes", field="proof")
        return cls(index, hashes, checkpoint, extra)


class ProofEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One event of a proof file: where it is in the tree, the fields its leaf commits to, and its proof."""

    index: int  # the leaf index (0, 1, 2, ... without gaps)
    position: int  # the event's log position (notification id)
    stream_id: str
    version: int
    topic: str
    state_sha256: str  # hex of SHA-256 of the stored state bytes
    leaf: str  # base64 of the leaf bytes (ADR 0030)
    inclusion: list[str] = []  # base64 hashes, RFC 9162 PATH order (gakuseki-proof/2: empty, see multiproof)
    state: str | None = None  # base64 of the stored state bytes; null when the reader may not read them


class ProofFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """The events behind a form, each proven included in one signed (and cosigned) checkpoint."""

    format: str
    origin: str
    checkpoint: str  # the signed note with its cosignature lines
    tree_size: int
    root: str  # base64, as in the checkpoint
    subject: dict[str, str]  # what the file is about (the form, the student or class); informative
    entries: list[ProofEntry]
    # gakuseki-proof/2: base64 hashes of merkle.multiproof_ranges(the entries' indexes, tree_size), in order
    multiproof: list[str] | None = None


def proof_entry(index: int, leaf: bytes, proof: Sequence[bytes], state: bytes | None) -> ProofEntry:
    """The entry of a leaf and its inclusion proof (``state``: the stored bytes, when the reader may have
    them; ``proof`` empty in a gakuseki-proof/2 file)."""
    fields = read_leaf(leaf)
    return ProofEntry(index=index, position=fields.position, stream_id=str(fields.stream_id),
                      version=fields.version, topic=fields.topic, state_sha256=fields.state_sha256.hex(),
                      leaf=_b64(leaf), inclusion=[_b64(h) for h in proof],
                      state=_b64(state) if state is not None else None)


def verify_proof_file(file: ProofFile, log: NoteKey, witnesses: Sequence[NoteKey] = (),
                      origin: str | None = None) -> tuple[Checkpoint, list[Cosignature]]:
    """Check a proof file as an auditor would: the checkpoint's signature (and the known witnesses'),
    then every entry's leaf against its fields (and its state bytes, when present) and its inclusion
    proof against the checkpoint's root. Refused with a CheckpointRefused naming the entry."""
    multi = file.format == MULTIPROOF_FILE_FORMAT
    if not multi and file.format != PROOF_FILE_FORMAT:
        raise errors.NoteMalformed(f"not a {PROOF_FILE_FORMAT} or {MULTIPROOF_FILE_FORMAT} file: "
                                   f"{file.format[:40]!r}", field="format")
    if multi != (file.multiproof is not None):
        raise errors.NoteMalformed(f"a {MULTIPROOF_FILE_FORMAT} file, and it alone, has a multiproof",
                                   field="multiproof")
    checkpoint, cosignatures = open_checkpoint(file.checkpoint, log, witnesses, origin or file.origin)
    if checkpoint.size != file.tree_size or _b64(checkpoint.root) != file.root:
        raise errors.CheckpointInconsistent("the file's tree size and root are not its checkpoint's",
                                            field="tree_size")
    leaves: dict[int, bytes] = {}
    for n, entry in enumerate(file.entries):
        where = f"entries[{n}]"
        leaf = _unb64(entry.leaf, f"{where}.leaf")
        try:
            fields = read_leaf(leaf)
        except ValueError as e:
            raise errors.NoteMalformed(f"{where}: {e}", field=where)
        if (fields.position, str(fields.stream_id), fields.version, fields.topic, fields.state_sha256.hex()) != (
                entry.position, entry.stream_id, entry.version, entry.topic, entry.state_sha256):
            raise errors.CheckpointInconsistent(f"{where}: the leaf does not commit to the entry's fields",
                                                field=where)
        if entry.state is not None and \
                hashlib.sha256(_unb64(entry.state, f"{where}.state")).hexdigest() != entry.state_sha256:
                raise errors.CheckpointInconsistent(f"{where}: the state bytes are not the ones the leaf commits to",
                                                    field=where)
        if multi:
            if entry.inclusion or (leaves and entry.index <= max(leaves)):
                raise errors.NoteMalformed(f"{where}: a {MULTIPROOF_FILE_FORMAT} file lists its entries once each, "
                                           "by ascending leaf index, without inclusion proofs of their own",
                                           field=where)
            leaves[entry.index] = leaf_hash(leaf)
            continue
        proof = [_unb64(h, f"{where}.inclusion") for h in entry.inclusion]
        if not verify_inclusion(entry.index, checkpoint.size, leaf_hash(leaf), proof, checkpoint.root):
            raise errors.CheckpointInconsistent(f"{where}: the inclusion proof of leaf {entry.index} does not "
                                                f"verify against the checkpoint of {checkpoint.size}", field=where)
    if multi and file.entries:
        hashes = [_unb64(h, "multiproof") for h in file.multiproof or []]
        if not verify_multiproof(checkpoint.size, leaves, hashes, checkpoint.root):
            raise errors.CheckpointInconsistent(f"the multiproof of the {len(leaves)} entries does not verify "
                                                f"against the checkpoint of {checkpoint.size}", field="multiproof")
    return checkpoint, cosignatures


def verify_tlog_proof(proof: TlogProof, log: NoteKey, witnesses: Sequence[NoteKey] = (),
                      origin: str | None = None) -> tuple[Checkpoint, list[Cosignature], Leaf]:
    """Check one c2sp.org/tlog-proof@v1 the ledger served: its checkpoint's signature (and the known
    witnesses'), and the inclusion of the leaf its ``extra`` holds. The leaf's fields come back."""
    checkpoint, cosignatures = open_checkpoint(proof.checkpoint, log, witnesses, origin or log.name)
    if not proof.extra:
        raise errors.NoteMalformed("this tlog-proof carries no leaf (its extra line): nothing to check it against",
                                   field="proof")
    try:
        leaf = read_leaf(proof.extra)
    except ValueError as e:
        raise errors.NoteMalformed(f"the extra data is not a leaf: {e}", field="proof")
    if not verify_inclusion(proof.index, checkpoint.size, leaf_hash(proof.extra), proof.hashes, checkpoint.root):
        raise errors.CheckpointInconsistent(f"the inclusion proof of leaf {proof.index} does not verify against "
                                            f"the checkpoint of {checkpoint.size}", field="proof")
    return checkpoint, cosignatures, leaf
