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
