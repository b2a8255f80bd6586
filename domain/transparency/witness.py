"""What a witness decides before it cosigns a checkpoint, and what it remembers (ADR 0033).

A witness (C2SP tlog-witness, in the simple pull form of issue 12) holds the last checkpoint it
cosigned. Shown a newer one and a consistency proof from its own, it cosigns only when:
- the ledger's key signed the new checkpoint, for the origin the witness follows;
- the new tree extends the one it cosigned (``note.check_consistent``: not smaller, not another root
  at the same size, a consistency proof that verifies).
Anything else is refused with the rule's own error, and the witness keeps what it had: it never
moves its state to a checkpoint it did not cosign. Pure: the caller fetches, posts and stores.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

import msgspec

from domain import errors
from domain.transparency.note import (
    Checkpoint,
    NoteKey,
    NoteSigner,
    Signature,
    check_consistent,
    cosign,
    open_checkpoint,
)

__all__ = ["WitnessState", "judge", "witness"]


class WitnessState(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The last checkpoint this witness cosigned: its origin, size, root (base64) and the note as fetched."""

    origin: str
    size: int
    root: str
    checkpoint: str  # the signed note as the ledger served it when it was cosigned
    cosigned_at: int  # the POSIX time of the cosignature

    @property
    def tree(self) -> Checkpoint:
        return Checkpoint(self.origin, self.size, base64.b64decode(self.root))


def judge(previous: WitnessState | None, note: str, proof: Sequence[bytes], log: NoteKey) -> Checkpoint:
    """The checkpoint of ``note`` if this witness may cosign it, else a CheckpointRefused subclass.

    The origin is the log key's name (the ledger id signs as itself, ADR 0030); with no previous
    checkpoint any well-signed one is accepted (trust on first use, as every witness starts).
    """
    checkpoint, _ = open_checkpoint(note, log, origin=log.name)
    if previous is not None:
        if previous.origin != checkpoint.origin:
            raise errors.CheckpointWrongOrigin(f"this witness follows {previous.origin!r}, not {checkpoint.origin!r}")
        check_consistent(previous.tree, checkpoint, proof)
    return checkpoint


def witness(previous: WitnessState | None, note: str, proof: Sequence[bytes], log: NoteKey, signer: NoteSigner,
            now: int) -> tuple[WitnessState, Signature | None]:
    """Judge ``note`` and cosign it at ``now``: the new state and the cosignature (None when it is the
    checkpoint already cosigned: nothing new to sign)."""
    checkpoint = judge(previous, note, proof, log)
    if previous is not None and previous.size == checkpoint.size:
        return previous, None  # judge() has checked the root is the same
    signature = cosign(note, signer, now)
    root = base64.b64encode(checkpoint.root).decode("ascii")
    return WitnessState(checkpoint.origin, checkpoint.size, root, note, now), signature
