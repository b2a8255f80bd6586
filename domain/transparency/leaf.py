"""One leaf of the transparency log: the bytes that commit to one stored event (ADR 0030).

A leaf commits to the event exactly as the event table stores it, so that changing any stored
column of the row (its position, stream, version, topic, or one bit of its state bytes) changes
the leaf and hence the tree:

    offset  size  field
    0       1     layout version, 0x01
    1       8     position: the event's notification id in the log, unsigned big-endian
    9       16    stream id: the originator UUID, its 16 bytes in RFC 9562 (network) order
    25      8     version: the originator version, unsigned big-endian
    33      2     topic length L in bytes, unsigned big-endian
    35      L     topic, UTF-8
    35 + L  32    SHA-256 of the stored state bytes (as stored: after the mapper's compression or
                  encryption, so a verifier needs no key to recompute it)

67 + L bytes in all. The leaf's hash in the tree is ``merkle.leaf_hash(leaf)``, i.e.
``SHA-256(0x00 || leaf)``. Leaves are numbered 0, 1, 2, ... in log order without gaps, even where
positions have gaps: the position inside the leaf is what ties a leaf to its row.
"""

from __future__ import annotations

import hashlib
import struct
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from domain.transparency.merkle import leaf_hash

__all__ = ["LEAF_VERSION", "Leaf", "event_leaf_hash", "leaf_bytes", "leaf_bytes_of_digest", "leaf_hash_of_digest",
           "leaf_hashes", "read_leaf"]

LEAF_VERSION = 1
_HEAD = struct.Struct(">BQ16sQH")  # version, position, stream id, originator version, topic length
_U64 = 1 << 64


def leaf_bytes(position: int, stream_id: uuid.UUID, version: int, topic: str, state: bytes) -> bytes:
    """The leaf of one stored event (layout in the module documentation). ``state`` is the stored bytes."""
    return leaf_bytes_of_digest(position, stream_id, version, topic, hashlib.sha256(state).digest())


def leaf_bytes_of_digest(position: int, stream_id: uuid.UUID, version: int, topic: str, state_sha256: bytes) -> bytes:
    """The same leaf from the SHA-256 of the stored state bytes (computed where they are: the Merkle
    projection has PostgreSQL hash them, rather than fetch them)."""
    if len(state_sha256) != 32:
        raise ValueError(f"a state's SHA-256 is 32 bytes, not {len(state_sha256)}")
    if not 0 <= position < _U64:
        raise ValueError(f"a position is an unsigned 64-bit integer, not {position}")
    if not 0 <= version < _U64:
        raise ValueError(f"a version is an unsigned 64-bit integer, not {version}")
    if not isinstance(stream_id, uuid.UUID):
        raise TypeError(f"the stream id is a UUID, not {type(stream_id).__name__}")
    encoded = topic.encode("utf-8")
    if not encoded or len(encoded) > 0xFFFF:
        raise ValueError(f"a topic is 1 to 65535 bytes of UTF-8, not {len(encoded)}")
    return _HEAD.pack(LEAF_VERSION, position, stream_id.bytes, version, len(encoded)) + encoded + state_sha256


def event_leaf_hash(position: int, stream_id: uuid.UUID, version: int, topic: str, state: bytes) -> bytes:
    """The tree's hash of an event's leaf: ``SHA-256(0x00 || leaf_bytes(...))``."""
    return leaf_hash(leaf_bytes(position, stream_id, version, topic, state))


def leaf_hash_of_digest(position: int, stream_id: uuid.UUID, version: int, topic: str, state_sha256: bytes) -> bytes:
    """``event_leaf_hash`` from the SHA-256 of the stored state bytes."""
    return leaf_hash(leaf_bytes_of_digest(position, stream_id, version, topic, state_sha256))


_LEAF_PREFIX = b"\x00"  # merkle.leaf_hash's prefix, written here once per page rather than per leaf


def leaf_hashes(rows: Iterable[tuple[int, uuid.UUID, int, str, bytes]], *, states: bool) -> list[bytes]:
    """The leaf hash of each row (position, stream id, version, topic, and the stored state bytes when
    ``states``, else their SHA-256): ``event_leaf_hash`` / ``leaf_hash_of_digest`` of each, the same
    bytes, for a page at a time (each topic's bytes checked once, no call per leaf; a rebuild hashes
    every event of the log). Raises as they do on a field out of its range."""
    topics: dict[str, bytes] = {}
    out: list[bytes] = []
    add = out.append
    for position, stream_id, version, topic, state in rows:
        encoded = topics.get(topic)
        if encoded is None:
            encoded = topics[topic] = leaf_bytes_of_digest(0, uuid.UUID(int=0), 0, topic, bytes(32))[_HEAD.size:-32]
        digest = hashlib.sha256(state).digest() if states else state
        if len(digest) != 32 or not 0 <= position < _U64 or not 0 <= version < _U64:
            raise ValueError(f"not a leaf: position {position}, version {version}, a {len(digest)}-byte SHA-256")
        add(hashlib.sha256(_LEAF_PREFIX + _HEAD.pack(LEAF_VERSION, position, stream_id.bytes, version, len(encoded))
                           + encoded + digest).digest())
    return out


@dataclass(frozen=True, slots=True)
class Leaf:
    """The fields a leaf commits to (the state by its SHA-256 only)."""

    position: int
    stream_id: uuid.UUID
    version: int
    topic: str
    state_sha256: bytes


def read_leaf(data: bytes) -> Leaf:
    """The fields of a leaf written by ``leaf_bytes`` (ValueError if the bytes are not one)."""
    if len(data) < _HEAD.size + 32:
        raise ValueError(f"a leaf is at least {_HEAD.size + 33} bytes, not {len(data)}")
    layout, position, stream, version, length = _HEAD.unpack_from(data)
    if layout != LEAF_VERSION:
        raise ValueError(f"unknown leaf layout version {layout}")
    if len(data) != _HEAD.size + length + 32 or length == 0:
        raise ValueError(f"a leaf with a {length}-byte topic is {_HEAD.size + length + 32} bytes, not {len(data)}")
    topic = data[_HEAD.size:_HEAD.size + length].decode("utf-8")
    return Leaf(position, uuid.UUID(bytes=stream), version, topic, data[_HEAD.size + length:])
