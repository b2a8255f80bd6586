"""A small ledger whose Merkle log is stored and signed, and the means to tamper with it as an attacker
with database rights would (the event table's triggers dropped or disabled in a transaction that is
rolled back afterwards), for the audit's tests.

The events are written through the ledger's own commands; the Merkle projection (projections/
merkle_log.py) stores the tree and the checkpoint publisher (projections/checkpoints.py) signs it,
as in a running ledger; a witness's cosignature of each checkpoint is kept beside it.
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
from domain.transparency.note import COSIGNATURE_V1, NoteSigner, cosign
from projections.checkpoints import CheckpointPublisher
from projections.merkle_log import MerkleLog
from tests.builders import ELEMENTARY, YEAR, class_with_students, school_with_calendar

ORIGIN = "gakuseki-audit-test"
Row = tuple[int, UUID, int, str, bytes]  # position, stream id, version, topic, stored state
AT = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


@dataclass
class SignedLedger:
    backend: Backend
    signer: NoteSigner
    witness: NoteSigner
    rows: list[Row]  # as the library reads them back, in log order
    sizes: list[int]  # the checkpoints signed

    @property
    def keys(self) -> AuditKeys:
        return AuditKeys(self.signer.key, (self.witness.key,), ORIGIN)


def _events(ledger: Ledger) -> list[Row]:
    storage = ledger.storage
    position = "rowid" if storage.sqlite else "notification_id"
    sql = f"SELECT {position}, originator_id, originator_version, topic, state FROM {{events}} ORDER BY {position}"
    return [(int(p), s if isinstance(s, UUID) else UUID(s), int(v), t, bytes(st))
            for p, s, v, t, st in storage.query(sql)]


def write_events(ledger: Ledger, students: int) -> None:
    """A school, its calendar, a class, ``students`` admitted, and two days' rolls of the class."""
    school_with_calendar(ledger)
    ids = class_with_students(ledger, count=students)
    for day in (date(2026, 4, 7), date(2026, 4, 8)):
        ledger.record_roll(ELEMENTARY, YEAR, 1, "1", on=day, marks=[(s, {"code": "present"}) for s in ids],
                           recorded_by="T-0001")


def sign(ledger: Ledger, signer: NoteSigner, witness: NoteSigner, sizes: Sequence[int]) -> list[Row]:
    """Run the Merkle projection up to each size and let the checkpoint publisher sign it (the last size
    is the whole log); the witness cosigns each checkpoint and the ledger keeps the cosignature."""
    rows = _events(ledger)
    tree = MerkleLog(ledger)
    publisher = CheckpointPublisher(ledger, signer, every=0.5)  # the test clock moves 1 s a reading
    for size in sorted(set(sizes)):
        tree.catch_up(stop=rows[size - 1][0])
        kept = publisher.publish()
        assert kept is not None, size
        assert kept.tree_size == size, (size, kept)
        line = cosign(kept.note, witness, 1_800_000_000 + size)
        merkle_log.keep_cosignature(ledger.storage, size, witness.key.key_id, witness.name, 1_800_000_000 + size,
                                    line.line, AT)
    tree.catch_up()
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
def tampering(backend: Backend, *, keep: bool = False) -> Iterator[Any]:
    """A connection to the ledger's database, in a transaction, with the event table's (and the Merkle
    tables') triggers out of the way; everything is rolled back when the block ends (committed, the
    triggers' removal included, with ``keep``: for a test that runs the command line on it)."""
    if backend.kind == "sqlite":
        conn = sqlite3.connect(str(backend.sqlite_path), isolation_level=None)
        conn.execute("BEGIN")
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            conn.execute(f'DROP TRIGGER "{name}"')
        try:
            yield conn
        finally:
            conn.execute("COMMIT" if keep else "ROLLBACK")
            conn.close()
        return
    import psycopg

    pg = psycopg.connect(backend.psycopg_conninfo())
    for table in ("gakuseki_events", "merkle_checkpoints", "merkle_cosignatures"):
        pg.execute(f'ALTER TABLE "{backend.schema}".{table} DISABLE TRIGGER USER')
    try:
        yield pg
    finally:
        if keep:
            pg.commit()
        else:
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
