"""Signed notes, checkpoints, cosignatures and the fork rule, in the C2SP formats (ADR 0030).

- signed note (https://c2sp.org/signed-note): a UTF-8 text ending in a newline, a blank line, then
  signature lines ``— <key name> base64(key ID (4 bytes, big-endian) || signature)``. The key ID is
  ``SHA-256(name || 0x0A || type || public key)[:4]``; type 0x01 is an Ed25519 signature over the
  text. Verifiers ignore signatures of unknown keys, refuse a note whose known key's signature
  fails, and refuse a note no known key signed.
- checkpoint (https://c2sp.org/tlog-checkpoint): the note text ``<origin>\\n<tree size>\\n<base64
  root>\\n`` (extension lines allowed when parsing, never written). The ledger signs it with its
  Ed25519 key under the key name = origin = the ledger id.
- cosignature (https://c2sp.org/tlog-cosignature, cosignature/v1): a witness's note signature of
  type 0x04 whose bytes are ``u64 timestamp || Ed25519 signature`` over
  ``"cosignature/v1\\ntime <timestamp>\\n" + checkpoint text``.
- the fork rule (tlog-checkpoint: "A log MUST not sign any checkpoint which is inconsistent with any
  checkpoint it previously signed"): ``check_consistent`` refuses a smaller tree, another root at
  the same size, and a growth whose consistency proof does not verify, each with its own error.

Key encodings (https://c2sp.org/signed-note#verifier-keys): a verifier key (vkey) is
``<name>+<hex key ID>+base64(type || public key)``, as golang.org/x/mod/sumdb/note writes them.
Pure: keys are passed in, nothing is read or stored here. Refusals are ``errors.CheckpointRefused``
subclasses (HTTP 422, field "checkpoint").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from domain import errors
from domain.transparency.merkle import EMPTY_ROOT, HASH_SIZE, verify_consistency

__all__ = [
    "COSIGNATURE_V1",
    "ED25519",
    "MAX_SIGNATURES",
    "Checkpoint",
    "Cosignature",
    "Note",
    "NoteKey",
    "NoteSigner",
    "Signature",
    "check_consistent",
    "cosign",
    "key_id",
    "open_checkpoint",
    "open_note",
    "parse_note",
    "sign_checkpoint",
    "sign_note",
]

ED25519 = 0x01  # signed-note: Ed25519 signature over the note text
COSIGNATURE_V1 = 0x04  # tlog-cosignature: timestamped Ed25519 cosignature (cosignature/v1)
MAX_SIGNATURES = 100  # as golang.org/x/mod/sumdb/note; the spec asks verifiers to take at least 16
_DASH = "\u2014 "
_NAME = re.compile(r"[^\s+]+")  # non-empty, no Unicode space, no plus
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")
_COSIGNED = struct.Struct(">Q64s")
_MAX_TIME = (1 << 63) - 1


def _malformed(message: str) -> errors.LedgerError:
    return errors.NoteMalformed(message)


def _b64decode(text: str, what: str) -> bytes:
    """Strict standard base64 (RFC 4648 §4, padded, canonical): one text for given bytes."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise _malformed(f"{what} is not base64")
    if base64.b64encode(data).decode("ascii") != text:
        raise _malformed(f"{what} is not canonical base64")
    return data


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(name: str, sig_type: int, public_key: bytes) -> int:
    """``SHA-256(name || 0x0A || type || public key)[:4]`` as a big-endian uint32 (signed-note §Signatures)."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([sig_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"a note key name is non-empty, without spaces or '+': {name!r}")
    return name


# ---------------------------------------------------------------- keys


@dataclass(frozen=True)
class NoteKey:
    """A public key that verifies note signatures of one type (ED25519 or COSIGNATURE_V1) under one name."""

    name: str
    public_key: bytes  # the 32-byte Ed25519 public key (RFC 8032)
    sig_type: int = ED25519

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not isinstance(self.public_key, bytes) or len(self.public_key) != 32:
            raise ValueError("an Ed25519 public key is 32 bytes")
        if self.sig_type not in (ED25519, COSIGNATURE_V1):
            raise ValueError(f"signature type {self.sig_type:#04x} is not supported "
                             "(0x01 Ed25519, 0x04 cosignature/v1)")

    @classmethod
    def of(cls, name: str, public: Ed25519PublicKey, sig_type: int = ED25519) -> NoteKey:
        return cls(name, _raw(public), sig_type)

    @property
    def key_id(self) -> int:
        return key_id(self.name, self.sig_type, self.public_key)

    @property
    def vkey(self) -> str:
        """``<name>+<hex key ID>+base64(type || public key)``."""
        material = base64.b64encode(bytes([self.sig_type]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id:08x}+{material}"

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteKey:
        """The key of a vkey; refused (ValueError) when malformed, of another type, or its key ID is wrong."""
        parts = vkey.split("+", 2)  # the base64 key may hold a "+" itself
        if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
            raise ValueError("a vkey is <name>+<8 hex digits>+<base64 key>")
        name, hex_id, material = parts
        try:
            raw = _b64decode(material, "the vkey's key")
        except errors.NoteMalformed as e:
            raise ValueError(str(e))
        if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
            raise ValueError("a vkey here holds an Ed25519 key of type 0x01 or 0x04 (33 bytes)")
        key = cls(name, raw[1:], raw[0])
        if key.key_id != int(hex_id, 16):
            raise ValueError(f"the vkey's key ID {hex_id} is not the one of its name and key ({key.key_id:08x})")
        return key

    def verify(self, text: bytes, signature: bytes) -> int | None:
        """Whether ``signature`` (the bytes after the key ID) verifies over ``text``: for a cosignature
        its timestamp, else 0; None when it does not verify."""
        if self.sig_type == ED25519:
            message, sig, timestamp = text, signature, 0
        else:
            if len(signature) != _COSIGNED.size:
                return None
            timestamp, sig = _COSIGNED.unpack(signature)
            if timestamp > _MAX_TIME:
                return None
            message = _cosigned_message(timestamp, text)
        if len(sig) != 64:
            return None
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(sig, message)
        except InvalidSignature:
            return None
        return timestamp


@dataclass(frozen=True)
class NoteSigner:
    """A private key that signs notes under a name: the ledger's key (ED25519) or a witness's (COSIGNATURE_V1)."""

    name: str
    private: Ed25519PrivateKey = field(repr=False)
    sig_type: int = ED25519

    def __post_init__(self) -> None:
        _check_name(self.name)  # e.g. a ledger id with '+' or a space cannot sign checkpoints
        if not isinstance(self.private, Ed25519PrivateKey):
            raise TypeError("a note is signed with an Ed25519 private key")
        if self.sig_type not in (ED25519, COSIGNATURE_V1):
            raise ValueError(f"signature type {self.sig_type:#04x} is not supported")

    @property
    def key(self) -> NoteKey:
        return NoteKey.of(self.name, self.private.public_key(), self.sig_type)

    def signature(self, text: bytes, timestamp: int | None = None) -> Signature:
        """The signature of a note text: Ed25519 over the text, or a cosignature/v1 at ``timestamp``."""
        key = self.key
        if self.sig_type == ED25519:
            if timestamp is not None:
                raise ValueError("an Ed25519 note signature carries no timestamp")
            data = self.private.sign(text)
        else:
            if timestamp is None or not 0 <= timestamp <= _MAX_TIME:
                raise ValueError("a cosignature needs a POSIX timestamp between 0 and 2**63 - 1")
            data = _COSIGNED.pack(timestamp, self.private.sign(_cosigned_message(timestamp, text)))
        return Signature(key.name, key.key_id, data)


def _cosigned_message(timestamp: int, text: bytes) -> bytes:
    return b"cosignature/v1\ntime %d\n" % timestamp + text


# ---------------------------------------------------------------- notes


@dataclass(frozen=True)
class Signature:
    """One signature line: key name, key ID, and the signature bytes after the key ID."""

    name: str
    key_id: int
    data: bytes

    @property
    def line(self) -> str:
        return f"{_DASH}{self.name} {base64.b64encode(self.key_id.to_bytes(4, 'big') + self.data).decode('ascii')}\n"


@dataclass(frozen=True)
class Note:
    """A parsed signed note: its text (with the final newline) and its signature lines, none verified yet."""

    text: str
    signatures: tuple[Signature, ...]

    def __str__(self) -> str:
        return self.text + "\n" + "".join(s.line for s in self.signatures)


def parse_note(data: str | bytes) -> Note:
    """The text and signature lines of a signed note, or NoteMalformed; no signature is checked here."""
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise _malformed("a signed note is UTF-8 text")
    if _CONTROL.search(data):
        raise _malformed("a signed note has no control characters other than newline")
    split = data.rfind("\n\n")
    if split < 0:
        raise _malformed("a signed note is text, a blank line, then signature lines")
    text, lines = data[:split + 1], data[split + 2:]
    if not lines.endswith("\n"):
        raise _malformed("a signed note ends with a signature line and a newline")
    signatures = []
    for line in lines[:-1].split("\n"):
        if not line.startswith(_DASH):
            raise _malformed(f"a signature line starts with an em dash and a space, not {line[:20]!r}")
        name, _, encoded = line[len(_DASH):].partition(" ")
        if not _NAME.fullmatch(name) or not encoded:
            raise _malformed(f"the signature line of {name[:64]!r} is not '— <name> <base64>'")
        raw = _b64decode(encoded, f"the signature of {name[:64]!r}")
        if len(raw) < 5:
            raise _malformed(f"the signature of {name[:64]!r} is too short")
        signatures.append(Signature(name, int.from_bytes(raw[:4], "big"), raw[4:]))
    if len(signatures) > MAX_SIGNATURES:
        raise _malformed(f"a note has at most {MAX_SIGNATURES} signatures, not {len(signatures)}")
    return Note(text, tuple(signatures))


def sign_note(text: str, *signers: NoteSigner, timestamp: int | None = None) -> str:
    """The signed note of ``text`` (non-empty, ending in a newline) with each signer's signature line."""
    if not text.endswith("\n") or _CONTROL.search(text) or text.strip("\n") == "" or "\n\n" in "\n" + text:
        raise ValueError("a note text is non-empty lines, each ending in a newline, without control characters")
    body = text.encode("utf-8")
    sigs = tuple(s.signature(body, timestamp if s.sig_type == COSIGNATURE_V1 else None) for s in signers)
    return str(Note(text, sigs))


def open_note(data: str | bytes | Note, keys: Iterable[NoteKey]) -> tuple[Note, dict[NoteKey, int]]:
    """The note and the known keys whose signatures verified (-> timestamp, 0 for plain signatures).

    As the spec says: signatures by unknown keys (name and key ID not both matching) are ignored;
    a known key's signature that fails refuses the note (NoteSignatureInvalid); a note no known key
    signed is refused (NoteUnverified).
    """
    note = data if isinstance(data, Note) else parse_note(data)
    known: dict[tuple[str, int], NoteKey] = {}
    for key in keys:
        known[(key.name, key.key_id)] = key
    body = note.text.encode("utf-8")
    verified: dict[NoteKey, int] = {}
    for sig in note.signatures:
        signer = known.get((sig.name, sig.key_id))
        if signer is None:
            continue
        timestamp = signer.verify(body, sig.data)
        if timestamp is None:
            raise errors.NoteSignatureInvalid(f"the signature of {sig.name} ({sig.key_id:08x}) does not verify: "
                                              "the note was altered or signed with another key")
        verified[signer] = timestamp
    if not verified:
        names = ", ".join(sorted({s.name for s in note.signatures}))[:200]
        raise errors.NoteUnverified(f"no known key signed this note (it is signed by: {names})")
    return note, verified


# ---------------------------------------------------------------- checkpoints


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: the log's origin, its size and root hash (tlog-checkpoint's note text)."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin or _CONTROL.search(self.origin):
            raise ValueError("a checkpoint's origin is one non-empty line")
        if not 0 <= self.size <= _MAX_TIME:
            raise ValueError(f"a tree size is 0 to 2**63 - 1, not {self.size}")
        if len(self.root) != HASH_SIZE:
            raise ValueError(f"a root hash is {HASH_SIZE} bytes, not {len(self.root)}")
        if self.size == 0 and self.root != EMPTY_ROOT:
            raise ValueError("the empty tree's root is SHA-256 of nothing")
        if any(not line or "\n" in line or _CONTROL.search(line) for line in self.extensions):
            raise ValueError("a checkpoint's extension lines are non-empty single lines")

    @property
    def text(self) -> str:
        """The note text: origin, size, base64 root, each line ending in a newline."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode("ascii"), *self.extensions]
        return "".join(f"{line}\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """The checkpoint of a note text (NoteMalformed unless it follows tlog-checkpoint exactly)."""
        if not text.endswith("\n"):
            raise _malformed("a checkpoint's text ends in a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise _malformed("a checkpoint's text is origin, tree size and root hash, one per line")
        origin, size, root, *extensions = lines
        if not origin:
            raise _malformed("a checkpoint's origin line is not empty")
        if not _SIZE.fullmatch(size) or int(size) > _MAX_TIME:
            raise _malformed(f"a checkpoint's tree size is a decimal without leading zeros, not {size[:30]!r}")
        digest = _b64decode(root, "the checkpoint's root hash")
        if len(digest) != HASH_SIZE:
            raise _malformed(f"a root hash is {HASH_SIZE} bytes, not {len(digest)}")
        try:
            return cls(origin, int(size), digest, tuple(extensions))
        except ValueError as e:
            raise _malformed(str(e))


@dataclass(frozen=True)
class Cosignature:
    """A witness's cosignature verified on a checkpoint: which key, and the time it says it signed."""

    key: NoteKey
    timestamp: int


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> str:
    """The checkpoint as a signed note, signed by the log's key (its name should be the origin)."""
    if signer.sig_type != ED25519:
        raise ValueError("a log signs its checkpoints with an Ed25519 note key (type 0x01)")
    if checkpoint.extensions:
        raise ValueError("the ledger writes no extension lines (tlog-checkpoint: NOT RECOMMENDED)")
    return sign_note(checkpoint.text, signer)


def cosign(note: str, signer: NoteSigner, timestamp: int) -> Signature:
    """A witness's cosignature/v1 of a signed checkpoint (its note text); the caller checks consistency first."""
    if signer.sig_type != COSIGNATURE_V1:
        raise ValueError("a witness cosigns with a cosignature/v1 key (type 0x04)")
    text = parse_note(note).text
    Checkpoint.parse(text)
    return signer.signature(text.encode("utf-8"), timestamp)


def open_checkpoint(note: str | bytes, log: NoteKey, witnesses: Sequence[NoteKey] = (),
                    origin: str | None = None) -> tuple[Checkpoint, list[Cosignature]]:
    """The checkpoint of a note the log's key signed, with the cosignatures of known witnesses that verify.

    Refused: a malformed note or body (NoteMalformed), no valid signature by the log's key
    (NoteUnverified), a known key's signature that fails, the log's or a witness's
    (NoteSignatureInvalid), another origin than expected (CheckpointWrongOrigin). Signatures by
    unknown keys are ignored, as the spec requires.
    """
    if log.sig_type != ED25519 or any(w.sig_type != COSIGNATURE_V1 for w in witnesses):
        raise ValueError("the log's key is type 0x01 and the witnesses' keys type 0x04")
    parsed, verified = open_note(note, [log, *witnesses])
    if log not in verified:
        raise errors.NoteUnverified(f"the checkpoint is not signed by the log's key {log.name} ({log.key_id:08x})")
    checkpoint = Checkpoint.parse(parsed.text)
    if origin is not None and checkpoint.origin != origin:
        raise errors.CheckpointWrongOrigin(f"the checkpoint is of log {checkpoint.origin[:200]!r}, not {origin!r}")
    cosignatures = [Cosignature(key, t) for key, t in verified.items() if key.sig_type == COSIGNATURE_V1]
    return checkpoint, cosignatures


# ---------------------------------------------------------------- the fork rule


def check_consistent(previous: Checkpoint, new: Checkpoint, proof: Sequence[bytes]) -> None:
    """Refuse ``new`` unless it is an append-only extension of ``previous``, shown by ``proof``.

    The one rule both the ledger (before it signs) and a witness (before it cosigns) apply:
    - another origin: CheckpointWrongOrigin;
    - a smaller tree: CheckpointSmaller (the log was truncated or rolled back);
    - the same size with another root: CheckpointFork (two histories of one log);
    - a larger tree whose consistency proof does not verify: CheckpointInconsistent.
    The same checkpoint again passes (with an empty proof), and so does any growth from the empty tree.
    """
    if new.origin != previous.origin:
        raise errors.CheckpointWrongOrigin(f"the checkpoint is of log {new.origin[:200]!r}, "
                                           f"the previous one of {previous.origin!r}")
    if new.size < previous.size:
        raise errors.CheckpointSmaller(f"the tree has {new.size} leaves, fewer than the {previous.size} of a "
                                       "checkpoint signed before: the log was truncated or rolled back")
    if new.size == previous.size:
        if new.root != previous.root:
            raise errors.CheckpointFork(f"two checkpoints of {new.size} leaves with different roots "
                                        f"({previous.root.hex()[:16]}… and {new.root.hex()[:16]}…): the log forked")
        if proof:
            raise errors.CheckpointInconsistent("a checkpoint of the same size needs an empty consistency proof")
        return
    if previous.size == 0:
        if proof:
            raise errors.CheckpointInconsistent("growth from the empty tree needs an empty consistency proof")
        return
    if not verify_consistency(previous.size, new.size, previous.root, new.root, proof):
        raise errors.CheckpointInconsistent(f"the consistency proof from {previous.size} to {new.size} leaves does "
                                            "not verify: the new tree does not extend the one signed before")
