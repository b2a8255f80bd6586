"""What kind of change explains the first leaf where the rows and the signed tree part (docs/audit.md).

Given the first leaf index ``i`` where the leaf recomputed from the rows differs from the signed
leaf hash, the explanations are tried in this order, and each is accepted only when hashes prove
it (SHA-256 second-preimage resistance: a wrong explanation does not reproduce a signed hash):

1. the rows end before leaf ``i``: a truncated tail;
2. rows were swapped: the row at ``i`` holds what is signed at another leaf ``j`` and the one at
   ``j`` what is signed at ``i`` (two signed leaves given back);
3. one stored column of the row at ``i`` changed: a single-bit change of one column (position,
   stream id, version, topic, state up to 4 KiB) that gives back the signed leaf names the column
   and the bit; a value the ledger never writes (``audit_rows.Malformed``) names the column too;
4. the next row is the signed leaf ``i``: a row was inserted before it;
5. the row at ``i`` is the signed leaf ``i + 1``: the row signed at ``i`` is missing, unless a row
   elsewhere is it with one bit of its position changed (the row moved: a changed position);
6. otherwise: the row at ``i`` was changed, the column not told (several bits, or a long state).

The signed leaf hashes ``S`` come from the stored level-0 tiles, which the caller has verified
against the signed roots; the positions ``P`` of the leaves are the stored hint (unsigned: used to
look up candidates, never as proof).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from domain.transparency.audit_findings import Finding, Kind
from domain.transparency.audit_rows import Malformed, RawRow, row_leaf

__all__ = ["Seen", "diagnose", "single_bit_changes"]

STATE_SEARCHED = 4096  # bytes: a longer state is not searched bit by bit (8 * n hashes of n bytes)
_MASK = (1 << 64) - 1


@dataclass(frozen=True)
class Seen:
    """A row the walk kept: its leaf index in the rows' order, the row, and its leaf hash (None: malformed)."""

    index: int
    row: RawRow
    leaf: bytes | None
    malformed: Malformed | None = None


def _flip(data: bytes, bit: int) -> bytes:
    b = bytearray(data)
    b[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(b)


def single_bit_changes(row: RawRow) -> Iterator[tuple[str, str, RawRow]]:
    """Every row that differs from ``row`` in one bit of one stored column: (column, which bit, row).
    Integers are taken as the stored signed 64-bit values; text and bytes bit by bit as stored."""
    position, stream, version, topic, state = row
    if isinstance(position, int):
        for k in range(64):
            flipped = (position & _MASK) ^ (1 << k)
            yield "position", f"bit {k}: was {flipped}, now {position}", (flipped, stream, version, topic, state)
    import uuid

    if isinstance(stream, uuid.UUID):
        raw = stream.bytes
        for k in range(128):
            was = uuid.UUID(bytes=_flip(raw, k))
            yield "stream id", f"bit {k}: was {was}, now {stream}", (position, was, version, topic, state)
    elif isinstance(stream, bytes | str):
        text = stream.encode("latin-1") if isinstance(stream, str) else stream
        for k in range(8 * len(text)):
            yield "stream id", f"bit {k} of its text", (position, _flip(text, k), version, topic, state)
    if isinstance(version, int):
        for k in range(64):
            flipped = (version & _MASK) ^ (1 << k)
            yield "version", f"bit {k}: was {flipped}, now {version}", (position, stream, flipped, topic, state)
    if isinstance(topic, bytes | str):
        text = topic.encode("utf-8", "surrogatepass") if isinstance(topic, str) else topic
        for k in range(8 * len(text)):
            yield "topic", f"bit {k} (byte {k // 8})", (position, stream, version, _flip(text, k), state)
    if isinstance(state, bytes) and len(state) <= STATE_SEARCHED:
        for k in range(8 * len(state)):
            yield ("state", f"bit {k} (byte {k // 8} of {len(state)})",
                   (position, stream, version, topic, _flip(state, k)))


def _leaf(row: RawRow) -> bytes | None:
    try:
        return row_leaf(row)
    except Malformed:
        return None


def _content(row: RawRow) -> tuple[Any, ...]:
    return tuple(row[1:])


class _Signed:
    """The signed leaf hashes and the stored positions of the leaves (a hint)."""

    def __init__(self, hashes: bytes | bytearray | memoryview, positions: Sequence[int], size: int) -> None:
        self.hashes, self.positions, self.size = hashes, positions, size

    def leaf(self, index: int) -> bytes | None:
        if 0 <= index < self.size:
            return bytes(self.hashes[index * 32:index * 32 + 32])
        return None

    def position(self, index: int) -> int | None:
        return self.positions[index] if 0 <= index < min(len(self.positions), self.size) else None

    def index_of(self, position: int) -> int | None:
        n = min(len(self.positions), self.size)
        j = bisect.bisect_left(self.positions, position, 0, n)
        return j if j < n and self.positions[j] == position else None


def _column_changed(seen: Seen, signed: _Signed) -> Finding | None:
    """Step 2: one bit of one column, proven by the signed leaf it gives back (position: at its own leaf)."""
    target = signed.leaf(seen.index)
    for column, which, candidate in single_bit_changes(seen.row):
        leaf = _leaf(candidate)
        if leaf is None:
            continue
        if column == "position":
            j = signed.index_of(candidate[0])
            if j is not None and leaf == signed.leaf(j):
                moved = "" if j == seen.index else f" (which moves the row to leaf {seen.index} in log order)"
                return Finding(Kind.CHANGED_ROW, f"one bit of the position changed, {which}{moved}",
                               leaf=min(j, seen.index), position=candidate[0], column=column)
        elif leaf == target:
            return Finding(Kind.CHANGED_ROW, f"one bit of the {column} changed: {which}", leaf=seen.index,
                           position=seen.row[0], column=column)
    return None


def diagnose(first: int, rows: int, window: Sequence[Seen], mismatched: Sequence[Seen],
             signed_hashes: bytes | bytearray, positions: Sequence[int], signed_size: int,
             previous_position: int | None, find_rows: Callable[[set[int]], list[RawRow]]) -> Finding:
    """The finding that explains the first difference at leaf ``first`` (see the module's documentation).

    ``rows``: how many rows there are; ``window``: the rows at leaves ``first``, ``first + 1``, ...
    (a few); ``mismatched``: the rows (up to some number) whose leaf differs from the signed one;
    ``signed_hashes``: the signed leaf hashes, 32 bytes each, ``signed_size`` of them;
    ``find_rows``: the rows at given log positions (a look-up in the database or the exported file).
    """
    signed = _Signed(signed_hashes, positions, signed_size)
    if first >= rows:  # 1. the rows end here
        lost = signed_size - first
        where = signed.position(first)
        return Finding(Kind.TRUNCATED_TAIL, f"the rows end after leaf {first - 1}: the {lost} signed leaves from leaf "
                       f"{first} on have no row" + (f" (positions {where} onwards)" if where is not None else ""),
                       leaf=first, position=where)
    here = window[0]
    # 2. swapped with another row (before 3: two positions one bit apart, swapped, are not one changed position)
    for other in mismatched:
        if other.index <= first:
            continue
        a = _leaf((here.row[0], *_content(other.row)))
        b = _leaf((other.row[0], *_content(here.row)))
        if a is not None and a == signed.leaf(first) and b == signed.leaf(other.index):
            return Finding(Kind.REORDERED_ROWS, f"the rows signed at positions {here.row[0]} and {other.row[0]} "
                           f"(leaves {first} and {other.index}) were swapped", leaf=first, position=here.row[0])
    # 3. one column of this row
    found = _column_changed(here, signed)
    if found is not None:
        return found
    if here.malformed is not None:
        return Finding(Kind.CHANGED_ROW, f"the row holds a value the ledger never writes ({here.malformed})",
                       leaf=first, position=here.row[0], column=here.malformed.column)
    # 4. inserted before the next row
    if len(window) > 1 and window[1].leaf is not None and window[1].leaf == signed.leaf(first):
        return Finding(Kind.INSERTED_ROW, f"the row at position {here.row[0]} is not signed, and the signed leaf "
                       f"{first} is the next row (position {window[1].row[0]})", leaf=first, position=here.row[0])
    # 5. the signed row of this leaf is gone (or moved by a changed position)
    if here.leaf is not None and here.leaf == signed.leaf(first + 1):
        expected = signed.position(first)
        if expected is not None:
            candidates = {expected ^ (1 << k) for k in range(63)} | {(expected ^ (1 << 63)) - (1 << 64)}
            for row in find_rows(candidates):
                if _leaf((expected, *_content(row))) == signed.leaf(first):
                    return Finding(Kind.CHANGED_ROW, f"one bit of the position changed: was {expected}, now {row[0]} "
                                   "(the row moved in log order)", leaf=first, position=expected, column="position")
        between = (f"between positions {previous_position} and {here.row[0]}" if previous_position is not None
                   else f"before position {here.row[0]}")
        return Finding(Kind.MISSING_ROW, f"the row signed at leaf {first} is not in the table ({between}"
                       + (f"; stored leaf positions say {expected}" if expected is not None else "") + ")",
                       leaf=first, position=expected)
    # 6. changed, column not told
    same_next = len(window) > 1 and window[1].leaf is not None and window[1].leaf == signed.leaf(first + 1)
    how = ("changed in place (the row after it is as signed)" if same_next
           else "changed, and the rows after it differ from the signed ones too")
    return Finding(Kind.CHANGED_ROW, f"the row was {how}; no single-bit change of one column gives back the "
                   "signed leaf (several bits, or several columns, changed)", leaf=first, position=here.row[0])
