"""The exported log: the event rows as stored, the Merkle log's tables and the ledger's public key, in one
file an auditor verifies offline with `gakuseki verify --log FILE` (format: docs/audit.md).

The file is a sequence of records, each a 4-byte unsigned big-endian length then that many bytes of
MessagePack (https://msgpack.org): an array whose first item says what the record is.

    ["gakuseki-log/1", {header}]       first; header: origin, log_key (the ledger's vkey), backend,
                                       stream_ids ("uuid": 16 bytes; "text": the stored text's bytes),
                                       events (count), exported_at (ISO 8601)
    ["checkpoint", tree_size, root, note, signed_at]
    ["cosignature", tree_size, key_id, witness, cosigned_at, line, received_at]
    ["tile", tile_index, hashes]       the stored level-0 tiles (leaf hashes), in index order
    ["positions", tile_index, packed]  the stored log positions of each level-0 tile's leaves (u64 BE)
    ["event", position, stream_id, version, topic, state]   in log order, each column as stored
    ["end", events]                    last: a file cut short is refused

Nothing is decoded or normalised on the way: a stream id or topic the ledger would never write is
exported as it is stored, so the auditor sees it (``audit_rows``). Compress the file as you like;
a name ending in ``.gz`` is read and written through gzip.
"""

from __future__ import annotations

import gzip
import struct
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import msgspec

from domain.transparency.audit import AuditedLog
from domain.transparency.audit_rows import LeafPage, RawRow, row_pages

__all__ = ["FORMAT", "ExportedCheckpoint", "ExportedCosignature", "ExportedLog", "write_export"]

FORMAT = "gakuseki-log/1"
_LENGTH = struct.Struct(">I")
_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder().decode


@dataclass(frozen=True)
class ExportedCheckpoint:
    tree_size: int
    root: bytes
    note: str
    signed_at: str


@dataclass(frozen=True)
class ExportedCosignature:
    tree_size: int
    key_id: int
    witness: str
    cosigned_at: int
    line: str
    received_at: str


def _open(path: Path | str, mode: str) -> IO[bytes]:
    path = Path(path)
    if path.suffix == ".gz":
        return gzip.open(path, mode + "b")  # type: ignore[return-value]
    return open(path, mode + "b")


def _moment(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def write_export(path: Path | str, log: AuditedLog, *, origin: str, log_key: str | None, backend: str,
                 progress: Callable[[int], None] | None = None) -> int:
    """Write ``log`` (the database, read-only) to ``path``; the number of events written."""
    count = log.count_events()
    with _open(path, "w") as out:
        def put(record: Any) -> None:
            data = _encode(record)
            out.write(_LENGTH.pack(len(data)) + data)

        put([FORMAT, {"origin": origin, "log_key": log_key, "backend": backend,
                      "stream_ids": "text" if backend == "sqlite" else "uuid", "events": count,
                      "exported_at": datetime.now(UTC).isoformat()}])
        for c in log.checkpoints():
            put(["checkpoint", c.tree_size, c.root, c.note, _moment(getattr(c, "signed_at", ""))])
        for s in log.cosignatures():
            put(["cosignature", s.tree_size, getattr(s, "key_id", 0), s.witness, getattr(s, "cosigned_at", 0),
                 s.line, _moment(getattr(s, "received_at", ""))])
        for index, hashes in log.leaf_tiles():
            put(["tile", index, hashes])
        for index, packed in log.leaf_positions():
            put(["positions", index, packed])
        written = 0
        buffer: list[bytes] = []
        for position, stream, version, topic, state in log.events():
            if isinstance(stream, uuid.UUID):
                stream = stream.bytes
            data = _encode(("event", position, stream, version, topic, state))
            buffer.append(_LENGTH.pack(len(data)))
            buffer.append(data)
            written += 1
            if len(buffer) >= 8192:
                out.write(b"".join(buffer))
                buffer.clear()
                if progress is not None:
                    progress(written)
        out.write(b"".join(buffer))
        put(["end", written])
    if progress is not None:
        progress(written)
    return written


def _records(f: IO[bytes]) -> Iterator[list[Any]]:
    read = f.read
    while True:
        head = read(4)
        if not head:
            return
        if len(head) < 4:
            raise ValueError("the exported log is cut short (in a record's length)")
        (n,) = _LENGTH.unpack(head)
        data = read(n)
        if len(data) < n:
            raise ValueError("the exported log is cut short (in a record)")
        try:
            record = _decode(data)
        except msgspec.DecodeError as e:
            raise ValueError(f"the exported log holds a record that is not MessagePack: {e}")
        if not isinstance(record, list) or not record:
            raise ValueError("each record of an exported log is a non-empty array")
        yield record


class ExportedLog:
    """An exported log file, read as the audit reads a database (``audit.AuditedLog``)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.checkpoint_rows: list[ExportedCheckpoint] = []
        self.cosignature_rows: list[ExportedCosignature] = []
        self.tiles: list[tuple[int, bytes]] = []
        self.positions: list[tuple[int, bytes]] = []
        with _open(self.path, "r") as f:
            records = _records(f)
            try:
                first = next(records)
            except StopIteration:
                raise ValueError(f"{self.path} is empty")
            if first[0] != FORMAT or len(first) != 2 or not isinstance(first[1], dict):
                raise ValueError(f"{self.path} is not a {FORMAT} file")
            self.header: dict[str, Any] = first[1]
            for record in records:
                tag = record[0]
                try:
                    if tag == "checkpoint":
                        self.checkpoint_rows.append(ExportedCheckpoint(*record[1:]))
                    elif tag == "cosignature":
                        self.cosignature_rows.append(ExportedCosignature(*record[1:]))
                    elif tag == "tile":
                        self.tiles.append((int(record[1]), bytes(record[2])))
                    elif tag == "positions":
                        self.positions.append((int(record[1]), bytes(record[2])))
                    elif tag in ("event", "end"):
                        break
                    else:
                        raise ValueError(f"unknown record {tag!r}")
                except TypeError:
                    raise ValueError(f"a {tag!r} record of {self.path} has the wrong fields")
        self.text_ids = self.header.get("stream_ids") == "text"

    @property
    def origin(self) -> str | None:
        value = self.header.get("origin")
        return value if isinstance(value, str) else None

    @property
    def log_key(self) -> str | None:
        value = self.header.get("log_key")
        return value if isinstance(value, str) else None

    def count_events(self) -> int:
        return int(self.header.get("events") or 0)

    def events(self) -> Iterator[RawRow]:
        text_ids = self.text_ids
        ids: dict[bytes, uuid.UUID] = {}  # a stream's events repeat its id: one UUID object each
        ended = False
        with _open(self.path, "r") as f:
            for record in _records(f):
                tag = record[0]
                if tag == "event":
                    _, position, stream, version, topic, state = record
                    if not text_ids and isinstance(stream, bytes) and len(stream) == 16:
                        known = ids.get(stream)
                        if known is None:
                            if len(ids) > 200_000:
                                ids.clear()
                            known = ids[stream] = uuid.UUID(bytes=stream)
                        stream = known
                    yield position, stream, version, topic, state
                elif tag == "end":
                    ended = True
                    break
        if not ended:
            raise ValueError(f"{self.path} is cut short: no end record (the events may be incomplete)")

    def leaf_pages(self) -> Iterator[LeafPage]:
        return row_pages(self.events())

    def events_at(self, positions: Iterable[int]) -> list[RawRow]:
        wanted = set(positions)
        return [row for row in self.events() if row[0] in wanted]

    def leaf_tiles(self) -> Iterator[tuple[int, bytes]]:
        return iter(self.tiles)

    def leaf_positions(self) -> Iterator[tuple[int, bytes]]:
        return iter(self.positions)

    def checkpoints(self) -> list[ExportedCheckpoint]:
        return self.checkpoint_rows

    def cosignatures(self) -> list[ExportedCosignature]:
        return self.cosignature_rows
