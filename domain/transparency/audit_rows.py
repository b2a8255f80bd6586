"""The leaf of an event row exactly as the database returned it, or why the row is not one the ledger wrote.

The auditor reads the event table's columns raw (``domain/storage/audit_reads.py``): on SQLite the
stream id is the text the library wrote (``uuid.hex``: 32 lowercase hex digits) and the topic comes
as bytes, so that a changed byte the leaf would not see is still caught here. For example an
upper-case hex digit names the same UUID (the leaf would be unchanged) but the library looks the
stream up by its lowercase text, so the event silently leaves its stream: that row is changed.

``row_leaf`` answers the leaf hash, or raises ``Malformed`` naming the column.
"""

from __future__ import annotations

import hashlib
import re
import struct
import uuid
from dataclasses import dataclass
from typing import Any

from domain.transparency.leaf import LEAF_VERSION

__all__ = ["COLUMNS", "Malformed", "RawRow", "row_leaf", "row_leaf_bytes"]

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


def row_leaf(row: RawRow) -> bytes:
    """The tree's hash of a raw row's leaf (``SHA-256(0x00 || leaf)``), or Malformed."""
    return _sha256(b"\x00" + row_leaf_bytes(row)).digest()
