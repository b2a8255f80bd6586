"""Which stored checkpoints the auditor can rely on: signed by the ledger's key, cosigned by the witnesses
given, and not two of one size with different roots (ADR 0030; docs/audit.md).

A checkpoint whose signature fails is a finding (BAD_SIGNATURE) and is not used to judge the rows.
A stored cosignature by a witness key the auditor gave that does not verify over its checkpoint
(e.g. one made over another root) is a finding too; cosignatures by keys not given are ignored, as
c2sp.org/signed-note asks. Whether consecutive checkpoints are consistent is decided with the trees
(``audit.py``): the roots of one tree at both sizes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from domain import errors
from domain.transparency.audit_findings import Finding, Kind
from domain.transparency.note import NoteKey, open_checkpoint, open_note, parse_note

__all__ = ["AuditKeys", "SignedCheckpoint", "check_checkpoints"]


class CheckpointRow(Protocol):
    @property
    def tree_size(self) -> int: ...
    @property
    def root(self) -> bytes: ...
    @property
    def note(self) -> str: ...


class CosignatureRow(Protocol):
    @property
    def tree_size(self) -> int: ...
    @property
    def witness(self) -> str: ...
    @property
    def line(self) -> str: ...


@dataclass(frozen=True)
class AuditKeys:
    """The keys the auditor trusts: the ledger's (its vkey) and the witnesses'; the origin expected
    (the ledger id; by default the name of the ledger's key)."""

    log: NoteKey
    witnesses: tuple[NoteKey, ...] = ()
    origin: str | None = None

    @property
    def expected_origin(self) -> str:
        return self.origin or self.log.name


@dataclass
class SignedCheckpoint:
    """A checkpoint whose signature verified, with the given witnesses whose cosignatures verified."""

    size: int
    root: bytes
    source: str  # "stored" or the file it came from
    witnesses: list[str] = field(default_factory=list)


def _open(note: str, keys: AuditKeys, where: str) -> tuple[SignedCheckpoint | None, list[Finding], list[str]]:
    try:
        checkpoint, cosigned = open_checkpoint(note, keys.log, keys.witnesses, keys.expected_origin)
    except errors.CheckpointRefused as e:
        return None, [Finding(Kind.BAD_SIGNATURE, f"{where}: {e.message}")], []
    return (SignedCheckpoint(checkpoint.size, checkpoint.root, where),
            [], [c.key.name for c in cosigned])


def check_checkpoints(stored: Iterable[CheckpointRow], cosignatures: Iterable[CosignatureRow],
                      keys: AuditKeys, held: Sequence[tuple[str, str]] = ()) -> tuple[list[SignedCheckpoint],
                                                                                       list[Finding]]:
    """The checkpoints that verify (by size), and the findings about the others.

    ``held``: checkpoints the auditor brings (name, signed note text), e.g. a cosigned checkpoint a
    board kept: they are checked as the stored ones are, and a stored one of the same size must
    have the same root.
    """
    findings: list[Finding] = []
    good: list[SignedCheckpoint] = []
    by_size: dict[int, SignedCheckpoint] = {}
    notes: dict[int, str] = {}
    for row in stored:
        where = f"the stored checkpoint of {row.tree_size} leaves"
        signed, found, witnesses = _open(row.note, keys, where)
        findings += found
        if signed is None:
            continue
        if signed.size != row.tree_size or signed.root != row.root:
            findings.append(Finding(Kind.BAD_SIGNATURE, f"{where}: its row says {row.tree_size} leaves and root "
                                    f"{row.root.hex()[:16]}…, its signed note {signed.size} and "
                                    f"{signed.root.hex()[:16]}…"))
            continue
        signed.witnesses = witnesses
        notes[signed.size] = parse_note(row.note).text
        good.append(signed)
    stored_by_size = {c.size: c for c in good}  # the stored ones (the held ones come next)
    for name, note in held:
        signed, found, witnesses = _open(note, keys, f"the checkpoint in {name}")
        findings += found
        if signed is not None:
            signed.witnesses = witnesses
            good.append(signed)
    # Cosignatures kept beside the checkpoints, each checked over its checkpoint's text.
    known = {(w.name, w.key_id): w for w in keys.witnesses}
    for cosignature in cosignatures:
        text = notes.get(cosignature.tree_size)
        if text is None:
            continue  # its checkpoint did not verify (already a finding) or is not stored
        try:
            cosigned = parse_note(text + "\n" + cosignature.line.rstrip("\n") + "\n")
        except errors.CheckpointRefused as e:
            findings.append(Finding(Kind.BAD_SIGNATURE, f"the cosignature of {cosignature.witness} kept with the "
                                    f"checkpoint of {cosignature.tree_size} leaves: {e.message}"))
            continue
        ours = [known[(s.name, s.key_id)] for s in cosigned.signatures if (s.name, s.key_id) in known]
        if not ours:
            continue  # a witness the auditor did not name: ignored
        try:
            open_note(cosigned, ours)
        except errors.CheckpointRefused:
            findings.append(Finding(Kind.BAD_SIGNATURE, f"the cosignature of {cosignature.witness} kept with the "
                                    f"checkpoint of {cosignature.tree_size} leaves does not verify over it "
                                    "(made over another checkpoint, or altered)"))
            continue
        stored_one = stored_by_size[cosignature.tree_size]
        for key in ours:
            if key.name not in stored_one.witnesses:
                stored_one.witnesses.append(key.name)
    # Two signed checkpoints of one size with different roots: two histories of one log.
    for signed in sorted(good, key=lambda c: (c.size, c.source)):
        first = by_size.setdefault(signed.size, signed)
        if first.root != signed.root:
            findings.append(Finding(Kind.FORK, f"{first.source} and {signed.source} are both signed by the "
                                    f"ledger's key, of {signed.size} leaves, with different roots "
                                    f"({first.root.hex()[:16]}… and {signed.root.hex()[:16]}…)", leaf=signed.size))
    good.sort(key=lambda c: c.size)
    return good, findings
