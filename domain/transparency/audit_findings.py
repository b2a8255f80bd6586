"""What an audit can find, and the exit status each kind of finding gives (docs/audit.md lists them).

A finding names its kind, the leaf index (0, 1, 2, ... in log order) and log position where it is,
and says in words what was seen. When an audit finds several things, the exit status is the one of
the kind listed first in ``Kind`` (a bad signature first: nothing signed by it can be relied on).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["Finding", "Kind", "exit_status"]


class Kind(Enum):
    """Each kind of finding, with its exit status (0 is kept for "everything verifies")."""

    BAD_SIGNATURE = ("bad signature", 3)  # a checkpoint not signed by the ledger's key, a cosignature that fails
    FORK = ("forked checkpoint", 4)  # two checkpoints of one size with different roots, or inconsistent ones
    CHANGED_ROW = ("changed row", 5)
    MISSING_ROW = ("missing row", 6)
    INSERTED_ROW = ("inserted row", 7)
    REORDERED_ROWS = ("reordered rows", 8)
    TRUNCATED_TAIL = ("truncated tail", 9)
    TREE_ALTERED = ("tree altered", 10)  # the stored tiles disagree with the signed roots
    UNSIGNED = ("nothing signed", 11)  # events but no checkpoint: nothing to verify them against
    BAD_PROOF = ("proof does not verify", 12)  # a proof file's inclusion proof or leaf fields
    TOO_FEW_WITNESSES = ("too few witnesses", 13)  # fewer cosignatures by the given witnesses than asked

    @property
    def label(self) -> str:
        return self.value[0]

    @property
    def status(self) -> int:
        return self.value[1]


@dataclass(frozen=True)
class Finding:
    kind: Kind
    detail: str
    leaf: int | None = None  # the first leaf index where the data and the signed tree part
    position: int | None = None  # the log position of the row concerned (as signed, when known)
    column: str | None = None  # for a changed row: which stored column, when the audit can tell

    def __str__(self) -> str:
        where = []
        if self.leaf is not None:
            where.append(f"leaf {self.leaf}")
        if self.position is not None:
            where.append(f"position {self.position}")
        if self.column:
            where.append(f"column {self.column}")
        at = f" at {', '.join(where)}" if where else ""
        return f"{self.kind.label.upper()}{at}: {self.detail}"


def exit_status(findings: list[Finding]) -> int:
    """0 when there is no finding, else the status of the first kind (in ``Kind``'s order) found."""
    if not findings:
        return 0
    order = list(Kind)
    return min(findings, key=lambda f: order.index(f.kind)).kind.status
