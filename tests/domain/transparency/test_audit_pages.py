"""The audit's pass a page of rows at a time (ADR 0049): the leaves of PostgreSQL's binary COPY rows as
they lie equal ``row_leaf`` of the decoded rows, a row the ledger never writes has no signed leaf,
and the tree built a page at a time gives the roots (and the first difference) a leaf at a time does."""

from __future__ import annotations

import random
import struct
import uuid
from typing import Any

import pytest

from domain.transparency.audit import _walk
from domain.transparency.audit_rows import (
    BAD_LEAF,
    PAGE,
    CopyPage,
    Malformed,
    RawRow,
    copy_leaves,
    copy_row,
    row_leaf,
    row_pages,
)
from domain.transparency.merkle import root_of


def copy_bytes(position: int | None, stream: bytes | None, version: int | None, topic: bytes | None,
               state: bytes | None) -> bytes:
    """One row as PostgreSQL's binary COPY sends it: a field count, then each field's length (-1: NULL) and bytes."""
    fields = [None if position is None else struct.pack(">q", position), stream,
              None if version is None else struct.pack(">q", version), topic, state]
    out = struct.pack(">h", len(fields))
    for value in fields:
        out += struct.pack(">i", -1) if value is None else struct.pack(">i", len(value)) + value
    return out


def some_rows(n: int, seed: int = 7) -> list[tuple[int, bytes, int, bytes, bytes]]:
    rng = random.Random(seed)
    topics = [b"domain.attendance:AttendanceMarked", "domain.student:生徒が入学した".encode(), b"t"]
    rows = []
    position = 0
    for i in range(n):
        position += rng.choice((1, 1, 1, 2, 17))  # positions may have gaps
        state = rng.randbytes(rng.choice((0, 1, 40, 400, 3000)))
        rows.append((position, rng.randbytes(16), i % 30 + 1, rng.choice(topics), state))
    return rows


def test_the_leaves_of_copy_rows_are_those_of_the_rows_decoded() -> None:
    rows = some_rows(500)
    raw = [copy_bytes(*row) for row in rows]
    decoded = [copy_row(r) for r in raw]
    assert decoded == [(p, uuid.UUID(bytes=s), v, t.decode(), st) for p, s, v, t, st in rows]
    assert copy_leaves(raw) == [row_leaf(r) for r in decoded]
    assert copy_leaves([memoryview(r) for r in raw]) == copy_leaves(raw)  # as libpq hands them over
    page = CopyPage(raw)
    assert page.leaves == copy_leaves(raw)
    assert page.row(3) == decoded[3]


def test_the_largest_values_a_leaf_holds_are_taken() -> None:
    row = ((1 << 63) - 1, b"\xff" * 16, (1 << 63) - 1, b"x" * 0xFFFF, b"")
    (leaf,) = copy_leaves([copy_bytes(*row)])
    assert leaf == row_leaf(copy_row(copy_bytes(*row))) != BAD_LEAF


@pytest.mark.parametrize(("change", "column"), [
    ({"position": None}, "position"),
    ({"position": -1}, "position"),
    ({"stream": None}, "stream id"),
    ({"version": None}, "version"),
    ({"version": -(1 << 63)}, "version"),
    ({"topic": None}, "topic"),
    ({"topic": b""}, "topic"),
    ({"topic": b"x" * 0x10000}, "topic"),
    ({"state": None}, "state"),
    ({"position": None, "stream": None, "version": None, "topic": None, "state": None}, "position"),
])
def test_a_row_the_ledger_never_writes_has_no_leaf(change: dict[str, Any], column: str) -> None:
    fields = dict(zip(("position", "stream", "version", "topic", "state"), some_rows(1)[0], strict=True))
    raw = copy_bytes(**{**fields, **change})
    assert copy_leaves([raw]) == [BAD_LEAF]
    with pytest.raises(Malformed) as refused:
        row_leaf(copy_row(raw))
    assert refused.value.column == column


def test_a_topic_that_is_not_utf8_is_no_signed_leaf_and_is_named_when_decoded() -> None:
    position, stream, version, topic, state = some_rows(1)[0]
    good = copy_bytes(position, stream, version, topic, state)
    bad = copy_bytes(position, stream, version, b"\xff" + topic[1:], state)
    assert copy_leaves([bad]) != copy_leaves([good])
    decoded = copy_row(bad)
    assert decoded[3] == b"\xff" + topic[1:]  # kept as the bytes it is
    with pytest.raises(Malformed) as refused:
        row_leaf(decoded)
    assert refused.value.column == "topic"


# ---------------------------------------------------------------- the tree a page at a time


def _decoded(rows: list[tuple[int, bytes, int, bytes, bytes]]) -> list[RawRow]:
    return [(p, uuid.UUID(bytes=s), v, t.decode(), st) for p, s, v, t, st in rows]


N = 2 * PAGE + 300


@pytest.fixture(scope="module")
def log() -> tuple[list[RawRow], list[bytes]]:
    rows = _decoded(some_rows(N, seed=3))
    return rows, [row_leaf(r) for r in rows]


def test_the_roots_at_every_kind_of_size_are_those_of_the_whole_tree(log: tuple[list[RawRow], list[bytes]]) -> None:
    rows, leaves = log
    sizes = [0, 1, 2, 255, 256, 257, PAGE - 1, PAGE, PAGE + 1, 2 * PAGE - 1, 2 * PAGE, 2 * PAGE + 1, N]
    walk = _walk(row_pages(rows), bytearray(b"".join(leaves)), [*sizes, N + 1], None)
    assert (walk.rows, walk.first, walk.mismatches) == (N, None, 0)
    assert walk.roots == {s: root_of(leaves[:s]) for s in sizes}  # N + 1 is not reached


@pytest.mark.parametrize("at", [0, PAGE - 3, PAGE, 2 * PAGE + 299])
def test_the_first_difference_and_the_rows_after_it_are_found_across_pages(
        log: tuple[list[RawRow], list[bytes]], at: int) -> None:
    rows, leaves = log
    stored = bytearray(b"".join(leaves))
    stored[at * 32] ^= 1
    stored[(at + 1) * 32 % len(stored)] ^= 1 if at + 1 < N else 0
    walk = _walk(row_pages(rows), stored, [N], None)
    assert walk.first == at
    assert walk.previous_position == (rows[at - 1][0] if at else None)
    assert [s.index for s in walk.window] == list(range(at, min(at + 8, N)))
    assert all(s.row == rows[s.index] and s.leaf == leaves[s.index] for s in walk.window)
    assert [s.index for s in walk.mismatched] == [at, at + 1][:min(2, N - at)]


def test_rows_that_end_before_the_stored_leaves_are_found(log: tuple[list[RawRow], list[bytes]]) -> None:
    rows, leaves = log
    walk = _walk(row_pages(rows[:PAGE]), bytearray(b"".join(leaves)), [N], None)
    assert (walk.rows, walk.first, walk.previous_position) == (PAGE, PAGE, rows[PAGE - 1][0])


def test_a_short_page_before_the_last_is_refused(log: tuple[list[RawRow], list[bytes]]) -> None:
    rows, leaves = log
    pages = [*row_pages(rows[:10]), *row_pages(rows[10:20])]
    with pytest.raises(ValueError, match="before the last"):
        _walk(pages, bytearray(b"".join(leaves)), [20], None)
