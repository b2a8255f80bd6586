"""The offline audit of a whole log: do the event rows give back the tree the ledger signed? (docs/audit.md)

One pass over the rows in log order recomputes every leaf (``audit_rows``) and the tree (a compact
range), takes the recomputed root at every signed checkpoint's size, and compares the leaves with
the stored level-0 tiles, a tile at a time. Then:

- every checkpoint must be signed by the ledger's key, and cosignatures by the witnesses given must
  verify (``audit_checkpoints``);
- the recomputed root at each checkpoint's size must be the signed root;
- consecutive checkpoints must be consistent: when a tree (the rows' or the stored tiles') has the
  root of the larger one, its root at the smaller size is the only one consistent with it;
- where the rows and the signed tree part, the first leaf is found by comparing the recomputed
  leaves with the stored ones (which are first verified against the signed roots: they are
  evidence only when they give a signed root) and the kind of change told (``audit_diagnosis``).

The log is read through ``AuditedLog``: the database read-only (domain/storage/audit_reads.py) or an
exported file (``export_log``). Memory: the stored leaf hashes and positions (40 bytes a leaf).
"""

from __future__ import annotations

import gc
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from domain.transparency.audit_checkpoints import (
    AuditKeys,
    CheckpointRow,
    CosignatureRow,
    SignedCheckpoint,
    check_checkpoints,
)
from domain.transparency.audit_diagnosis import Seen, diagnose
from domain.transparency.audit_findings import Finding, Kind, exit_status
from domain.transparency.audit_rows import PAGE, LeafPage, Malformed, RawRow, row_leaf
from domain.transparency.merkle import EMPTY_ROOT, CompactRange, node_hash, perfect_levels
from domain.transparency.tiles import TILE_WIDTH

__all__ = ["AuditReport", "AuditedLog", "audit"]

WINDOW = 8  # rows kept from the first difference on
MISMATCHES_KEPT = 64  # rows kept whose leaf differs from the signed one (to find swapped rows)


class AuditedLog(Protocol):
    """What the audit reads: the database (read-only) or an exported log file."""

    def count_events(self) -> int: ...
    def events(self) -> Iterator[RawRow]: ...
    def leaf_pages(self) -> Iterator[LeafPage]: ...
    def events_at(self, positions: Iterable[int]) -> list[RawRow]: ...
    def leaf_tiles(self) -> Iterator[tuple[int, bytes]]: ...
    def leaf_positions(self) -> Iterator[tuple[int, bytes]]: ...
    def checkpoints(self) -> Sequence[CheckpointRow]: ...
    def cosignatures(self) -> Sequence[CosignatureRow]: ...


@dataclass
class AuditReport:
    events: int = 0
    checkpoints: list[SignedCheckpoint] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    verified_size: int = 0  # the largest signed size the rows give back, and every smaller one too

    @property
    def status(self) -> int:
        return exit_status(self.findings)

    @property
    def first(self) -> Finding | None:
        """The finding an auditor reads first: the one that sets the exit status, earliest leaf first."""
        if not self.findings:
            return None
        order = list(Kind)
        return min(self.findings, key=lambda f: (order.index(f.kind), f.leaf if f.leaf is not None else -1))

    def summary(self) -> str:
        latest = self.checkpoints[-1] if self.checkpoints else None
        witnessed = [c for c in self.checkpoints if c.witnesses]
        if latest is None:
            signed = "no signed checkpoint"
        else:
            many = len(self.checkpoints)
            signed = (f"{many} signed checkpoint{'s' if many != 1 else ''}, the latest of {latest.size} leaves"
                      + (f", the latest witnessed of {witnessed[-1].size} ({', '.join(witnessed[-1].witnesses)})"
                         if witnessed else ", none witnessed by the keys given"))
        if not self.findings:
            tail = self.events - self.verified_size
            return (f"VERIFIED: {self.events} events, {signed}; the rows give back every signed root"
                    + (f"; {tail} events after the latest checkpoint are not signed yet" if tail > 0 else ""))
        first = self.first
        more = f" (and {len(self.findings) - 1} more findings)" if len(self.findings) > 1 else ""
        return f"{first}{more} [exit {self.status}; {self.events} events, {signed}]"


@dataclass
class _Walk:
    """What one pass over the rows learns."""

    rows: int = 0
    roots: dict[int, bytes] = field(default_factory=dict)  # recomputed root at each signed size
    first: int | None = None  # first leaf whose recomputed hash differs from the stored one
    previous_position: int | None = None
    window: list[Seen] = field(default_factory=list)
    mismatched: list[Seen] = field(default_factory=list)
    mismatches: int = 0


def _stored_leaves(log: AuditedLog) -> tuple[bytearray, array[int]]:
    """The stored leaf hashes (level-0 tiles, contiguous from tile 0) and their stored positions."""
    hashes = bytearray()
    for expected, (index, data) in enumerate(log.leaf_tiles()):
        if index != expected or len(data) % 32:
            break  # a missing tile ends what is stored; what follows cannot be placed
        hashes += data
        if len(data) < TILE_WIDTH * 32:
            break  # the partial right-edge tile is the last
    positions: array[int] = array("Q")
    for expected, (index, packed) in enumerate(log.leaf_positions()):
        if index != expected or len(packed) % 8:
            break
        part = array("Q")
        part.frombytes(packed)
        if sys.byteorder == "little":
            part.byteswap()  # stored big-endian
        positions.extend(part)
        if len(packed) < TILE_WIDTH * 8:
            break
    return hashes, positions


class _PagedTree:
    """The tree of the rows walked so far, built a page (``PAGE`` leaves, a perfect subtree) at a time:
    each page's perfect nodes level by level (``merkle.perfect_levels``), and the pages before it as
    a compact range whose leaves are the pages' roots (merging equal perfect subtrees is the same
    hash at any level). The root at a size inside a page folds that range with the page's nodes."""

    def __init__(self) -> None:
        self.pages = CompactRange()
        self.size = 0  # leaves in the full pages taken so far

    def root_at(self, levels: list[list[bytes]], k: int) -> bytes:
        """The root of the first ``size + k`` leaves, ``levels`` being the next page's (0 <= k <= its size)."""
        if k == PAGE:
            whole = CompactRange(self.pages.size, self.pages.nodes)
            whole.append(levels[-1][0])
            return whole.root()
        nodes = list(self.pages.nodes)  # perfect subtrees of PAGE leaves or more, then the page's, smaller
        start = 0
        for level in range(k.bit_length() - 1, -1, -1):
            if k >> level & 1:
                nodes.append(levels[level][start >> level])
                start += 1 << level
        if not nodes:
            return EMPTY_ROOT
        acc = nodes[-1]
        for h in reversed(nodes[:-1]):
            acc = node_hash(h, acc)
        return acc

    def take(self, levels: list[list[bytes]]) -> None:
        if len(levels[0]) != PAGE:
            raise ValueError(f"a page of {len(levels[0])} rows before the last (pages are {PAGE} rows)")
        self.pages.append(levels[-1][0])
        self.size += PAGE


def _walk(pages: Iterable[LeafPage], stored: bytearray, sizes: Sequence[int],
          progress: Callable[[int], None] | None) -> _Walk:
    """Every page of rows: its leaves into the tree, the roots at the signed sizes it reaches, its leaves
    compared with the stored ones (a page at a time; leaf by leaf only where they differ)."""
    walk = _Walk()
    tree = _PagedTree()
    stored_size = len(stored) // 32
    want = sorted(set(sizes), reverse=True)  # the signed sizes still to come, the next one last
    if want and want[-1] == 0:
        walk.roots[want.pop()] = EMPTY_ROOT
    index = 0  # leaves before this page
    previous: LeafPage | None = None
    last: LeafPage | None = None  # a page shorter than PAGE: the last one

    def position_before(page: LeafPage, k: int) -> int | None:
        if k:
            return page.row(k - 1)[0]
        if previous is None:
            return None
        return previous.row(len(previous.leaves) - 1)[0]

    for page in pages:
        if last is not None:
            raise ValueError(f"a page of {len(last.leaves)} rows before the last (pages are {PAGE} rows)")
        leaves = page.leaves
        n = len(leaves)
        if not n:
            continue
        levels = perfect_levels(leaves)
        while want and want[-1] <= index + n:
            size = want.pop()
            walk.roots[size] = tree.root_at(levels, size - index)
        # The page against the stored leaves: one comparison when they agree (the usual case).
        end = min(index + n, stored_size)
        if end > index and b"".join(leaves[:end - index]) != stored[index * 32:end * 32]:
            for k in range(end - index):
                at = index + k
                if leaves[k] != stored[at * 32:at * 32 + 32]:
                    walk.mismatches += 1
                    if walk.first is None:
                        walk.first = at
                        walk.previous_position = position_before(page, k)
                    if len(walk.mismatched) < MISMATCHES_KEPT:
                        walk.mismatched.append(_seen(at, page.row(k)))
        if walk.first is not None:  # the rows from the first difference on: leaf first + len(window) next
            k = walk.first + len(walk.window) - index
            while len(walk.window) < WINDOW and 0 <= k < n:
                walk.window.append(_seen(index + k, page.row(k)))
                k += 1
        if n == PAGE:
            tree.take(levels)
        else:
            last = page
        index += n
        previous = page
        if progress is not None:
            progress(index)
    walk.rows = index
    if walk.first is None and index < stored_size:
        walk.first = index  # the rows end before the stored leaves do
        walk.previous_position = position_before(previous, len(previous.leaves)) if previous is not None else None
    if progress is not None:
        progress(index)
    return walk


def _seen(index: int, row: RawRow) -> Seen:
    """A row kept for the diagnosis, its leaf recomputed from the decoded row (None: malformed, and why)."""
    try:
        return Seen(index, row, row_leaf(row))
    except Malformed as e:
        return Seen(index, row, None, e)


def _tree_roots(stored: bytearray, sizes: Sequence[int]) -> dict[int, bytes]:
    """The stored tiles' tree's root at each size it reaches."""
    n = len(stored) // 32
    out: dict[int, bytes] = {}
    tree = CompactRange()
    done = 0
    for size in sorted(set(s for s in sizes if s <= n)):
        for k in range(done, size):
            tree.append(bytes(stored[k * 32:k * 32 + 32]))
        done = size
        out[size] = tree.root()
    return out


def _matched(roots: dict[int, bytes], checkpoints: Sequence[SignedCheckpoint]) -> set[int]:
    return {c.size for c in checkpoints if roots.get(c.size) == c.root}


def audit(log: AuditedLog, keys: AuditKeys, held: Sequence[tuple[str, str]] = (),
          progress: Callable[[int], None] | None = None) -> AuditReport:
    """Audit the whole log against the keys given (see the module's documentation)."""
    good, findings = check_checkpoints(log.checkpoints(), log.cosignatures(), keys, held)
    stored, positions = _stored_leaves(log)
    sizes = [c.size for c in good]
    # The walk keeps no cycles and few objects (pages of rows, hashes): the cyclic collector, which
    # would scan a caller's whole heap again and again as pages come and go, is paused meanwhile.
    collecting = gc.isenabled()
    gc.disable()
    try:
        walk = _walk(log.leaf_pages(), stored, sizes, progress)
    finally:
        if collecting:
            gc.enable()
    report = AuditReport(events=walk.rows, checkpoints=good, findings=findings)
    if not good:
        if walk.rows:
            findings.append(Finding(Kind.UNSIGNED, f"{walk.rows} events and no checkpoint signed by the ledger's "
                                    "key: nothing to verify them against"))
        return report
    by_rows = _matched(walk.roots, good)
    bad = [c for c in good if c.size not in by_rows]
    tiles_roots = _tree_roots(stored, sizes) if bad or walk.first is not None else dict(walk.roots)
    by_tiles = _matched(tiles_roots, good)
    for c in good:  # by size: the largest signed size up to which every checkpoint is given back
        if c.size not in by_rows:
            break
        report.verified_size = c.size

    # Consecutive checkpoints: a tree with the larger one's root fixes the smaller one's.
    for roots, matched, which in ((walk.roots, by_rows, "the rows'"), (tiles_roots, by_tiles, "the stored tiles'")):
        if not matched:
            continue
        largest = max(matched)
        for c in good:
            if c.size < largest and c.size not in matched and c.size in roots:
                findings.append(Finding(Kind.FORK, f"the checkpoint of {c.size} leaves ({c.source}) is inconsistent "
                                        f"with the one of {largest}: {which} tree, which has the root signed at "
                                        f"{largest}, has another root at {c.size}", leaf=c.size))
        if any(f.kind is Kind.FORK for f in findings):
            break
    forked = {f.leaf for f in findings if f.kind is Kind.FORK}
    bad = [c for c in bad if c.size not in forked]

    # Where the rows and the signed tree part.
    trusted = max(by_tiles, default=0)
    if bad or walk.first is not None:
        first = walk.first
        if first is not None and (first < trusted or (not bad and first >= max(sizes))):
            finding = diagnose(first, walk.rows, walk.window, walk.mismatched, stored, positions, len(stored) // 32,
                               walk.previous_position, lambda p: list(log.events_at(p)))
            if first >= max(sizes):
                finding = Finding(finding.kind, finding.detail + " (after the latest checkpoint: compared with the "
                                  "stored tiles only, which are not signed there)", finding.leaf, finding.position,
                                  finding.column)
            findings.append(finding)
        elif bad:
            below = max((s for s in by_rows if s < bad[0].size), default=0)
            if walk.rows < bad[0].size and (first is None or first >= walk.rows):
                findings.append(Finding(Kind.TRUNCATED_TAIL, f"the checkpoint of {bad[0].size} leaves is signed but "
                                        f"there are {walk.rows} rows", leaf=walk.rows))
            else:
                findings.append(Finding(Kind.CHANGED_ROW, f"the rows do not give back the root signed at {bad[0].size} "
                                        f"leaves but do at {below}: a row among leaves {below} to {bad[0].size - 1} "
                                        "was changed, removed or added (the stored tiles do not give the signed "
                                        "roots either, so the exact row cannot be told)", leaf=below))
    missing = [c.size for c in good if c.size not in by_tiles and c.size <= len(stored) // 32]
    if missing and not bad:
        findings.append(Finding(Kind.TREE_ALTERED, f"the stored tiles do not give the signed root at "
                                f"{missing[0]} leaves, though the rows do: the Merkle tables were altered",
                                leaf=missing[0]))
    return report

