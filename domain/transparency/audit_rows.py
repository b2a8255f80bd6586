"""The leaf of an event row exactly as the database returned it, or why the row is not one the ledger wrote.

The auditor reads the event table's columns raw (``domain/storage/audit_reads.py``): on SQLite the
stream id is the text the library wrote (``uuid.hex``: 32 lowercase hex digits) and the topic comes
as bytes, so that a changed byte the leaf would not see is still caught here. For example an
upper-case hex digit names the same UUID (the leaf would be unchanged) but the library looks the
stream up by its lowercase text, so the event silently leaves its stream: that row is changed.

``row_leaf`` answers the leaf hash, or raises ``Malformed`` naming the column.

The audit walks the log a page of rows at a time (``LeafPage``: the rows' leaf hashes, and each row
decoded on demand, for the few the diagnosis looks at). ``row_pages`` makes pages of decoded rows
(SQLite, an exported file); on PostgreSQL the rows come as the server's binary ``COPY`` sends them,
one message a row, and ``copy_leaves`` hashes them where they lie, with no object per column
(``CopyPage``; see ``copy_leaves`` for why the two give the same leaves).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import struct
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from domain.transparency.leaf import LEAF_VERSION

__all__ = ["BAD_LEAF", "COLUMNS", "PAGE", "CopyPage", "LeafPage", "Malformed", "RawRow", "RowPage", "copy_leaves",
           "copy_row", "row_leaf", "row_leaf_bytes", "row_pages"]

# The stored columns of an event row, as the auditor names them (the leaf's fields, in its order).
COLUMNS = ("position", "stream id", "version", "topic", "state")

# position, stream id (UUID on PostgreSQL, text or bytes on SQLite), version, topic (str or bytes), state
RawRow = tuple[int, Any, int, Any, Any]

_HEX_ID = re.compile(rb"[0-9a-f]{32}")
_HEAD = struct.Struct(">BQ16sQH")
_U64 = 1 << 64
_sha256 = hashlib.sha256


@dataclass(frozen=True)
class Malformed(Exception):
    """A stored column holds a value the ledger never writes (so the row was changed)."""

    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.column}: {self.reason}"


def _stream_bytes(value: Any) -> bytes:
    if isinstance(value, uuid.UUID):
        return value.bytes
    if isinstance(value, str):
        try:
            value = value.encode("ascii")
        except UnicodeEncodeError:
            raise Malformed("stream id", "not ASCII")
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value)
        if not _HEX_ID.fullmatch(value):
            raise Malformed("stream id", f"{value[:40]!r} is not the 32 lowercase hex digits the ledger writes")
        return bytes.fromhex(value.decode("ascii"))
    raise Malformed("stream id", f"a {type(value).__name__}, not a UUID")


def _topic_bytes(value: Any) -> bytes:
    if isinstance(value, str):
        try:
            data = value.encode("utf-8")
        except UnicodeEncodeError:
            raise Malformed("topic", "not UTF-8 text")
    elif isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise Malformed("topic", "not UTF-8 text")
    else:
        raise Malformed("topic", f"a {type(value).__name__}, not text")
    if not data or len(data) > 0xFFFF:
        raise Malformed("topic", f"{len(data)} bytes (a topic is 1 to 65535)")
    return data


def row_leaf_bytes(row: RawRow) -> bytes:
    """``leaf.leaf_bytes`` of a raw row (the same bytes; see leaf.py), or Malformed."""
    position, stream, version, topic, state = row
    if type(position) is not int or not 0 <= position < _U64:
        raise Malformed("position", f"{position!r} is not an unsigned 64-bit integer")
    if type(version) is not int or not 0 <= version < _U64:
        raise Malformed("version", f"{version!r} is not an unsigned 64-bit integer")
    if not isinstance(state, bytes):
        if not isinstance(state, bytearray | memoryview):
            raise Malformed("state", f"a {type(state).__name__}, not bytes")
        state = bytes(state)
    encoded = _topic_bytes(topic)
    return (_HEAD.pack(LEAF_VERSION, position, _stream_bytes(stream), version, len(encoded)) + encoded
            + _sha256(state).digest())


class _Cache(dict[Any, bytes]):
    """Decoded stream ids and topics, by their stored value: a stream's events and a topic's repeat."""

    def __init__(self, decode: Any) -> None:
        super().__init__()
        self.decode = decode

    def __missing__(self, key: Any) -> bytes:
        if len(self) > 200_000:
            self.clear()
        value = self[key] = self.decode(key)
        return value


def _topic_field(value: Any) -> bytes:
    encoded = _topic_bytes(value)
    return struct.pack(">H", len(encoded)) + encoded


_streams = _Cache(_stream_bytes)
_topics = _Cache(_topic_field)
_HEAD_FAST = struct.Struct(">BBQ16sQ")  # the 0x00 leaf prefix, then the leaf's head up to the topic length


def row_leaf(row: RawRow) -> bytes:
    """The tree's hash of a raw row's leaf (``SHA-256(0x00 || leaf)``), or Malformed.

    The auditor's hot path (every event of the log): stream ids and topics are decoded once each,
    and anything unexpected falls back to ``row_leaf_bytes``, which says which column is wrong."""
    position, stream, version, topic, state = row
    try:
        head = _HEAD_FAST.pack(0, LEAF_VERSION, position, _streams[stream], version)
        return _sha256(head + _topics[topic] + _sha256(state).digest()).digest()
    except (struct.error, TypeError, Malformed):
        pass
    return _sha256(b"\x00" + row_leaf_bytes(row)).digest()


# ---------------------------------------------------------------- pages of rows

PAGE = 4096  # rows a page: 16 level-0 tiles; the tree is built a page at a time (audit.py)
BAD_LEAF = b"\xff" * 32  # stands for a row that has no leaf (malformed) in the recomputed tree


class LeafPage(Protocol):
    """Consecutive rows of the log: their leaf hashes (``BAD_LEAF`` or, see ``copy_leaves``, a hash no
    signed leaf has, for a row that is not one the ledger writes), and each row as stored."""

    @property
    def leaves(self) -> list[bytes]: ...

    def row(self, k: int) -> RawRow: ...


@dataclass(frozen=True, slots=True)
class RowPage:
    rows: list[RawRow]
    leaves: list[bytes]

    def row(self, k: int) -> RawRow:
        return self.rows[k]


def row_pages(rows: Iterable[RawRow], size: int = PAGE) -> Iterator[RowPage]:
    """Decoded rows in pages of ``size`` (the last may be shorter), each with its leaves (``row_leaf``)."""
    page: list[RawRow] = []
    for row in rows:
        page.append(row)
        if len(page) == size:
            yield RowPage(page, _leaves(page))
            page = []
    if page:
        yield RowPage(page, _leaves(page))


def _leaves(rows: list[RawRow]) -> list[bytes]:
    out: list[bytes] = []
    for row in rows:
        try:
            out.append(row_leaf(row))
        except Malformed:
            out.append(BAD_LEAF)
    return out


# PostgreSQL's binary COPY of (position int8, stream id uuid, version int8, topic text, state bytea), one
# row (a CopyData message): a 16-bit field count, then each field as a signed 32-bit length (-1: NULL)
# and its bytes, big-endian: https://www.postgresql.org/docs/15/sql-copy.html#id-1.9.3.55.9.4
#
#   0 count(2)  2 len(4)=8  6 position(8)  14 len=16  18 stream id(16)  34 len=8  38 version(8)
#   46 len=L  50 topic(L)  50+L len=S  54+L state(S)
#
# The leaf's head (layout version, position, stream id, version, 16-bit topic length) is these bytes.
_COPY_FIELDS = struct.Struct(">2xi8si16si8si")
_I32 = struct.Struct(">i").unpack_from
_COPY_LEAF_PREFIX = bytes((0, LEAF_VERSION))  # the tree's 0x00 leaf prefix, then the layout version


def copy_leaves(rows: Sequence[bytes | bytearray | memoryview]) -> list[bytes]:
    """The leaf hash of each row of a binary COPY (layout above): ``row_leaf(copy_row(r))`` for every
    row ``row_leaf`` takes, computed from the bytes as they lie (the position, stream id and version
    are already the leaf's big-endian fields): no object per column, 2 SHA-256 a row.

    A row whose columns cannot be placed as the ledger writes them (a NULL, a negative position or
    version, a topic of 0 or more than 65535 bytes) gives ``BAD_LEAF``. A topic that is not UTF-8
    is hashed as it is: no signed leaf has one (the Merkle projection encodes the topic it decoded),
    so the row still differs from the signed tree, and the audit's diagnosis, which decodes the rows it
    reports (``copy_row``, ``row_leaf``), names the column."""
    out: list[bytes] = []
    add = out.append
    join = b"".join
    sha256 = _sha256
    for r in rows:
        try:
            lp, position, lu, stream, lv, version, length = _COPY_FIELDS.unpack_from(r)
            t = 50 + length
            if (lp == 8 and lu == 16 and lv == 8 and 0 < length <= 0xFFFF and position[0] < 0x80
                    and version[0] < 0x80 and (len(r) > t + 4 or _I32(r, t)[0] == 0)):
                add(sha256(join((_COPY_LEAF_PREFIX, position, stream, version, r[48:t],
                                 sha256(r[t + 4:]).digest()))).digest())
                continue
        except struct.error:  # NULLs make a row shorter than the fixed fields
            pass
        add(BAD_LEAF)
    return out


def copy_row(data: bytes | bytearray | memoryview) -> RawRow:
    """One row of a binary COPY (layout above) decoded as psycopg decodes those columns: ints, a UUID, the
    topic as text (as bytes when it is not UTF-8), the state as bytes; None for a NULL."""
    raw = bytes(data)
    values: list[Any] = []
    at = 2
    for _ in range(5):
        (length,) = _I32(raw, at)
        at += 4
        if length < 0:
            values.append(None)
        else:
            values.append(raw[at:at + length])
            at += length
    position, stream, version, topic, state = values
    if position is not None and len(position) == 8:
        position = int.from_bytes(position, "big", signed=True)
    if version is not None and len(version) == 8:
        version = int.from_bytes(version, "big", signed=True)
    if stream is not None and len(stream) == 16:
        stream = uuid.UUID(bytes=stream)
    if topic is not None:
        with contextlib.suppress(UnicodeDecodeError):  # kept as bytes: row_leaf names it
            topic = topic.decode("utf-8")
    return position, stream, version, topic, state


class CopyPage:
    """A page of binary COPY rows (``copy_leaves``), each decoded only when asked for."""

    __slots__ = ("leaves", "raw")

    def __init__(self, raw: Sequence[bytes | bytearray | memoryview]) -> None:
        self.raw = raw
        self.leaves = copy_leaves(raw)

    def row(self, k: int) -> RawRow:
        return copy_row(self.raw[k])
