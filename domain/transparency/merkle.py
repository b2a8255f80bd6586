"""The Merkle tree of RFC 6962 §2.1 / RFC 9162 §2.1: hashes, roots, proofs, and their verification.

Hashing (RFC 9162 §2.1.1), SHA-256 throughout:

- the hash of an empty tree is ``SHA-256()`` (of no bytes);
- a leaf's hash is ``SHA-256(0x00 || leaf bytes)``;
- an interior node's hash is ``SHA-256(0x01 || left || right)``.

The tree over n leaves splits at k, the largest power of two smaller than n: the left subtree holds
leaves [0, k), always a perfect tree, and the right one [k, n). So every node of the tree is either
*perfect* (2**level leaves starting at a multiple of 2**level: its hash never changes once its last
leaf is appended) or lies on the right edge (its hash changes as the tree grows). A store therefore
keeps perfect nodes only (``tiles``), and every other hash is folded from them here.

Proofs are produced from a ``NodeSource``: a function giving the hash of a perfect node by
(level, index), so the same code serves leaves held in memory (``Levels``) and stored tiles.
Verification follows RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) step by step; it
returns False on any mismatch or malformed input and never raises for bad proofs.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "Levels",
    "NodeSource",
    "consistency_proof",
    "consistency_ranges",
    "inclusion_proof",
    "inclusion_ranges",
    "leaf_hash",
    "multiproof",
    "multiproof_ranges",
    "node_hash",
    "perfect_levels",
    "perfect_nodes",
    "range_hash",
    "root_of",
    "verify_consistency",
    "verify_inclusion",
    "verify_multiproof",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_sha256 = hashlib.sha256

# (level, index) -> the hash of the perfect node holding leaves [index << level, (index + 1) << level)
NodeSource = Callable[[int, int], bytes]


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``: the hash of one leaf (RFC 9162 §2.1.1)."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``: the hash of an interior node (RFC 9162 §2.1.1)."""
    return _sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2): where RFC 9162 splits a tree of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


# ---------------------------------------------------------------- roots and perfect nodes


def range_hash(start: int, end: int, node: NodeSource) -> bytes:
    """The hash of the RFC 9162 subtree over leaves [start, end), folded from perfect nodes.

    The range is one a tree of some size has as a node: start is a multiple of the largest power of
    two not above end - start (true of the tree itself, start 0, and of every range a proof names).
    It is cut greedily into perfect nodes, largest first, which are folded from the right, as the
    tree's recursive definition does.
    """
    if start >= end:
        if start == end == 0:
            return EMPTY_ROOT
        raise ValueError(f"an empty or reversed range [{start}, {end})")
    width = end - start
    if not width & (width - 1) and not start & (width - 1):  # a perfect node itself: most ranges a proof names
        level = width.bit_length() - 1
        return node(level, start >> level)
    parts = [node(level, index) for level, index in perfect_nodes(start, end)]
    acc = parts.pop()
    while parts:
        acc = node_hash(parts.pop(), acc)
    return acc


def perfect_nodes(start: int, end: int) -> list[tuple[int, int]]:
    """The perfect nodes (level, index) that ``range_hash`` folds the range [start, end) from, left to right."""
    nodes: list[tuple[int, int]] = []
    while start < end:
        level = (end - start).bit_length() - 1
        while start & ((1 << level) - 1):
            level -= 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


class Levels:
    """Every perfect node of a tree held in memory: ``levels[0]`` are the leaf hashes, ``levels[h][i]``
    the node over leaves [i << h, (i + 1) << h). For tests, rebuilds and offline verification; a
    running ledger reads tiles instead (``tiles.TileReader``).
    """

    __slots__ = ("levels",)

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = perfect_levels(list(leaf_hashes))

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def node(self, level: int, index: int) -> bytes:
        """A NodeSource: the hash of a perfect node (IndexError when the tree has no such node yet)."""
        if level >= len(self.levels) or index >= len(self.levels[level]):
            raise IndexError(f"no perfect node ({level}, {index}) in a tree of {self.size} leaves")
        return self.levels[level][index]

    def root(self, size: int | None = None) -> bytes:
        """The root of the first ``size`` leaves (all of them by default)."""
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError(f"a tree of {self.size} leaves has no root at size {size}")
        return range_hash(0, size, self.node)


def perfect_levels(leaf_hashes: list[bytes]) -> list[list[bytes]]:
    """Every perfect node over these leaves, level by level: ``[leaves, level 1, level 2, ...]``, level h
    holding the nodes over leaves [i << h, (i + 1) << h) while they fit (a level at a time: one
    ``node_hash`` a node, inlined)."""
    levels = [leaf_hashes]
    row = leaf_hashes
    sha256 = _sha256
    while len(row) >= 2:
        row = [sha256(b"\x01" + left + right).digest() for left, right in zip(row[0::2], row[1::2], strict=False)]
        levels.append(row)
    return levels


def root_of(leaf_hashes: Iterable[bytes]) -> bytes:
    """MTH of a list of leaf hashes (``EMPTY_ROOT`` for none), in one pass keeping only the right edge."""
    tree = CompactRange()
    for h in leaf_hashes:
        tree.append(h)
    return tree.root()


# ---------------------------------------------------------------- the compact range


class CompactRange:
    """A tree of ``size`` leaves held as its right edge only: the perfect nodes its size decomposes into.

    ``nodes[j]`` is the j-th perfect subtree from the left; their levels are the set bits of size,
    highest first. Appending a leaf merges equal-sized subtrees at the end, as binary addition
    carries. ``on_node(level, index, hash)``, when given, hears of every perfect node the moment it
    is complete (leaves included, level 0): the tile builder keeps the ones it stores.
    """

    __slots__ = ("nodes", "on_node", "size")

    def __init__(self, size: int = 0, nodes: Sequence[bytes] = (),
                 on_node: Callable[[int, int, bytes], None] | None = None) -> None:
        if size < 0 or len(nodes) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {max(size, 0).bit_count()} right-edge nodes, "
                             f"not {len(nodes)}")
        self.size = size
        self.nodes = list(nodes)
        self.on_node = on_node

    @classmethod
    def at(cls, size: int, node: NodeSource,
           on_node: Callable[[int, int, bytes], None] | None = None) -> CompactRange:
        """The compact range of a stored tree of ``size`` leaves, read from its perfect nodes."""
        nodes: list[bytes] = []
        start = 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                nodes.append(node(level, start >> level))
                start += 1 << level
        return cls(size, nodes, on_node)

    def append(self, leaf: bytes) -> None:
        """Append one leaf by its hash (``leaf_hash(leaf_bytes(...))``)."""
        index = self.size
        nodes = self.nodes
        on_node = self.on_node
        h = leaf
        if on_node is not None:
            on_node(0, index, h)
        level = 0
        while index & 1:  # the carries of size + 1: merge the equal-sized subtree on the left
            h = _sha256(b"\x01" + nodes.pop() + h).digest()
            index >>= 1
            level += 1
            if on_node is not None:
                on_node(level, index, h)
        nodes.append(h)
        self.size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        for h in leaves:
            self.append(h)

    def root(self) -> bytes:
        """The tree's root: the right-edge nodes folded from the right; ``EMPTY_ROOT`` when empty."""
        if not self.nodes:
            return EMPTY_ROOT
        acc = self.nodes[-1]
        for h in reversed(self.nodes[:-1]):
            acc = node_hash(h, acc)
        return acc


# ---------------------------------------------------------------- which subtrees a proof names


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes make the inclusion proof of leaf ``index`` in a tree of ``size``,
    from the leaf upwards: RFC 9162 §2.1.3.1 PATH(m, D[n]), unrolled."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes make the consistency proof from ``size1`` to ``size2`` leaves:
    RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], true), unrolled. Empty when the sizes are equal."""
    if not 0 < size1 <= size2:
        raise ValueError(f"no consistency proof from {size1} to {size2} leaves (0 < size1 <= size2)")
    ranges: list[tuple[int, int]] = []
    start, end, whole = 0, size2, True
    while size1 != end:
        k = _split(end - start)
        if size1 <= start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            whole = False
    if not whole:  # SUBPROOF(m, D[m], false) = MTH(D[m]): the old tree's last subtree is named too
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def multiproof_ranges(indexes: Iterable[int], size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes, with the leaves at ``indexes``, give the root of the tree of ``size``:
    every largest subtree of the RFC 9162 tree that holds none of those leaves, left to right.

    This is the union of the leaves' inclusion proofs (``inclusion_ranges``) less the subtrees a leaf
    of the set is in: a hash that several inclusion proofs share is named once, and none that the
    verifier folds from the leaves themselves is named at all (ADR 0041)."""
    wanted = sorted(set(indexes))
    if not wanted or wanted[0] < 0 or wanted[-1] >= size:
        raise ValueError(f"a multiproof names one or more leaves of the tree of {size} leaves, not {wanted[:3]}…")
    ranges: list[tuple[int, int]] = []

    def walk(start: int, end: int, lo: int, hi: int) -> None:  # wanted[lo:hi] lie in [start, end)
        if lo == hi:
            ranges.append((start, end))
        elif end - start > 1:
            k = start + _split(end - start)
            mid = bisect_left(wanted, k, lo, hi)
            walk(start, k, lo, mid)
            walk(k, end, mid, hi)

    walk(0, size, 0, len(wanted))
    return ranges


def multiproof(indexes: Iterable[int], size: int, node: NodeSource) -> list[bytes]:
    """The hashes of ``multiproof_ranges``: with the leaves at ``indexes``, they prove all of them at once."""
    return [range_hash(a, b, node) for a, b in multiproof_ranges(indexes, size)]


def inclusion_proof(index: int, size: int, node: NodeSource) -> list[bytes]:
    """The RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
    return [range_hash(a, b, node) for a, b in inclusion_ranges(index, size)]


def consistency_proof(size1: int, size2: int, node: NodeSource) -> list[bytes]:
    """The RFC 9162 consistency proof that the tree of ``size2`` leaves extends the one of ``size1``."""
    return [range_hash(a, b, node) for a, b in consistency_ranges(size1, size2)]


# ---------------------------------------------------------------- verification (RFC 9162 §2.1.3.2, §2.1.4.2)


def _hashes(proof: Sequence[bytes], *more: bytes) -> bool:
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in (*proof, *more))


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether ``proof`` shows the leaf of hash ``leaf`` at ``index`` in the tree of ``size`` and ``root``."""
    if not (0 <= index < size) or not _hashes(proof, leaf, root):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False  # more proof than tree
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_multiproof(size: int, leaves: Mapping[int, bytes], proof: Sequence[bytes], root: bytes) -> bool:
    """Whether ``proof`` (the hashes of ``multiproof_ranges(leaves, size)``, in that order) and the
    leaves (leaf index -> leaf hash) fold to ``root``, every hash of the proof used exactly once."""
    wanted = sorted(leaves)
    if not wanted or wanted[0] < 0 or wanted[-1] >= size or not _hashes(proof, root, *leaves.values()):
        return False
    given = iter(proof)
    used = 0

    def fold(start: int, end: int, lo: int, hi: int) -> bytes:
        nonlocal used
        if lo == hi:
            used += 1
            return next(given)  # StopIteration: the proof is short
        if end - start == 1:
            return leaves[start]
        k = start + _split(end - start)
        mid = bisect_left(wanted, k, lo, hi)
        return node_hash(fold(start, k, lo, mid), fold(k, end, mid, hi))

    try:
        folded = fold(0, size, 0, len(wanted))
    except StopIteration:
        return False
    return used == len(proof) and folded == root


def verify_consistency(size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]) -> bool:
    """Whether ``proof`` shows the tree (size2, root2) extends the tree (size1, root1).

    As RFC 9162 §2.1.4.2 and the transparency-dev verifier: equal sizes need an empty proof and equal
    roots; a proof from the empty tree (size1 0) proves nothing and is refused, so the caller decides
    what an empty earlier tree means (``note.check_consistent`` accepts any growth from it).
    """
    if not (0 < size1 <= size2) or not _hashes(proof, root1, root2):
        return False
    if size1 == size2:
        return not proof and root1 == root2
    if not proof:
        return False
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # step 2: size1 a power of two: the old root is the first node
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:  # step 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == root1 and sr == root2 and sn == 0
