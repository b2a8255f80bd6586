"""A small ledger whose Merkle log is stored and signed, and the means to tamper with it as an attacker
with database rights would (the event table's triggers dropped or disabled in a transaction that is
rolled back afterwards), for the audit's tests.

The events are written through the ledger's own commands. The tiles and checkpoints are made here
with the pure core (domain/transparency: leaf.py, tiles.py, note.py) and stored with
domain/storage/merkle_log.py, exactly as the Merkle projection stores them; the leaves are computed
with ``leaf.leaf_bytes`` from the rows the library reads back, independently of the auditor's raw
reading (``audit_rows``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.backend import Backend
from domain.ledger import Ledger
from domain.storage import merkle_log
from domain.storage.audit_reads import AuditDatabase
from domain.transparency.audit import AuditReport, audit
from domain.transparency.audit_checkpoints import AuditKeys
from domain.transparency.leaf import event_leaf_hash
from domain.transparency.note import COSIGNATURE_V1, Checkpoint, NoteSigner, cosign, sign_checkpoint
from domain.transparency.tiles import TILE_WIDTH, TileBuilder
from tests.builders import ELEMENTARY, YEAR, class_with_students, school_with_calendar

ORIGIN = "gakuseki-audit-test"
AT = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


@dataclass
class SignedLedger:
    backend: Backend
    signer: NoteSigner
    witness: NoteSigner
    rows: list[tuple[int, UUID, int, str, bytes]]  # as the library reads them back, in log order
    sizes: list[int]  # the checkpoints signed

    @property
    def keys(self) -> AuditKeys:
        return AuditKeys(self.signer.key, (self.witness.key,), ORIGIN)


def _events(ledger: Ledger) -> list[tuple[int, UUID, int, str, bytes]]:
    storage = ledger.storage
    sql = ("SELECT rowid, originator_id, originator_version, topic, state FROM {events} ORDER BY rowid" if storage.sqlite
           else "SELECT notification_id, originator_id, originator_version, topic, state FROM {events} "
                "ORDER BY notification_id")
    return [(int(p), s if isinstance(s, UUID) else UUID(s), int(v), t, bytes(st)) for p, s, v, t, st in storage.query(sql)]


def write_events(ledger: Ledger, students: int) -> None:
    """A school, its calendar, a class, ``students`` admitted, and two days' rolls of the class."""
    school_with_calendar(ledger)
    ids = class_with_students(ledger, count=students)
    for day in (date(2026, 4, 7), date(2026, 4, 8)):
        ledger.record_roll(ELEMENTARY, YEAR, 1, "1", on=day, marks=[(s, {"code": "present"}) for s in ids],
                           recorded_by="T-0001")


def sign(ledger: Ledger, signer: NoteSigner, witness: NoteSigner, sizes: Sequence[int]) -> list[tuple[int, UUID, int, str, bytes]]:
    """Store the tree of the log's events as the projection does, sign a checkpoint at each size (the last
    is the whole log), and keep the witness's cosignature of each."""
    rows = _events(ledger)
    builder = TileBuilder()
    storage = ledger.storage
    done = 0
    for size in sorted({*sizes, len(rows)}):
        for position, stream, version, topic, state in rows[done:size]:
            builder.append(event_leaf_hash(position, stream, version, topic, state))
        positions = [r[0] for r in rows[:size]]
        tiles = builder.take()
        level0 = [(n, positions[n * TILE_WIDTH:(n + 1) * TILE_WIDTH])
                  for n in range(done // TILE_WIDTH, (size + TILE_WIDTH - 1) // TILE_WIDTH)]
        with storage.writing() as tx:
            merkle_log.put_tiles(tx, tiles, level0)
        done = size
        if size in sizes:
            note = sign_checkpoint(Checkpoint(ORIGIN, size, builder.root()), signer)
            merkle_log.keep_checkpoint(storage, size, builder.root(), note, AT)
            line = cosign(note, witness, 1_800_000_000 + size)
            merkle_log.keep_cosignature(storage, size, witness.key.key_id, witness.name, 1_800_000_000 + size,
                                        line.line, AT)
    return rows


def signed_ledger(backend: Backend, clock: Any, students: int = 80, sizes: Sequence[int] | None = None) -> SignedLedger:
    signer = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    witness = NoteSigner("board-312011", Ed25519PrivateKey.generate(), COSIGNATURE_V1)
    with Ledger.open(backend, clock=clock) as ledger:
        write_events(ledger, students)
        count = len(_events(ledger))
        chosen = list(sizes) if sizes is not None else [count // 3, count // 2 + 1, count]
        rows = sign(ledger, signer, witness, chosen)
    return SignedLedger(backend, signer, witness, rows, chosen)


# ---------------------------------------------------------------- an attacker with database rights


@contextmanager
def tampering(backend: Backend) -> Iterator[Any]:
    """A connection to the ledger's database, in a transaction, with the event table's (and the Merkle
    tables') triggers out of the way; everything is rolled back when the block ends."""
    if backend.kind == "sqlite":
        conn = sqlite3.connect(str(backend.sqlite_path), isolation_level=None)
        conn.execute("BEGIN")
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            conn.execute(f'DROP TRIGGER "{name}"')
        try:
            yield conn
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    import psycopg

    pg = psycopg.connect(backend.psycopg_conninfo())
    for table in ("gakuseki_events", "merkle_checkpoints", "merkle_cosignatures"):
        pg.execute(f'ALTER TABLE "{backend.schema}".{table} DISABLE TRIGGER USER')
    try:
        yield pg
    finally:
        pg.rollback()
        pg.close()


def events_table(backend: Backend) -> str:
    return "stored_events" if backend.kind == "sqlite" else f'"{backend.schema}".gakuseki_events'


def position_column(backend: Backend) -> str:
    return "rowid" if backend.kind == "sqlite" else "notification_id"


def execute(conn: Any, backend: Backend, statement: str, params: Sequence[Any] = ()) -> None:
    """A statement written with ``?`` and ``{events}`` / ``{position}``, on either backend."""
    statement = statement.replace("{events}", events_table(backend)).replace("{position}", position_column(backend))
    if backend.kind == "postgresql":
        statement = statement.replace("?", "%s").replace("{schema}", f'"{backend.schema}".')
    else:
        statement = statement.replace("{schema}", "")
    conn.execute(statement, params)


def audit_on(conn: Any, ledger: SignedLedger, keys: AuditKeys | None = None,
             held: Sequence[tuple[str, str]] = ()) -> AuditReport:
    """The audit of what ``conn`` sees (its own uncommitted changes included)."""
    backend = ledger.backend
    log = AuditDatabase.on(conn, sqlite=backend.kind == "sqlite", schema=backend.schema)
    return audit(log, keys or ledger.keys, held)
