"""`python -m bench.verify [--events N] [--url URL]`: how fast `gakuseki verify` audits a large log.

Issue 12 asks the offline audit of the whole bench log to run at >= 100,000 events/s. This seeds a
log of N events (default 300,000) in a fresh SQLite file (or a fresh schema of the PostgreSQL at
--url), of the bench's shape: streams of 30 events, the attendance topic, 400-byte states, saved
raw through the library's recorder (``insert_events``, 5,000 a transaction: no rule is decided,
the auditor reads the rows only as stored). Then the Merkle projection (projections/merkle_log.py)
builds the tree and the checkpoint publisher signs it, and it measures:

1. the Merkle projection catching up (events/s), for reference;
2. the audit of the database, read-only, on a connection of its own (domain/transparency/audit.py:
   every leaf and the tree recomputed, every tile compared, every checkpoint and its root checked):
   events/s, the issue's figure;
3. `gakuseki export-log` to a file and the audit of that file (events/s each).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import StoredEvent

from domain.backend import Backend
from domain.ledger import Ledger
from domain.storage.audit_reads import AuditDatabase
from domain.transparency.audit import audit
from domain.transparency.audit_checkpoints import AuditKeys
from domain.transparency.export_log import ExportedLog, write_export
from domain.transparency.note import NoteSigner
from migrations.apply import apply

TOPIC = "domain.attendance:AttendanceMarked"
ORIGIN = "bench-verify"


def seed(ledger: Ledger, events: int, state_bytes: int = 400) -> None:
    filler = os.urandom(state_bytes)
    batch: list[StoredEvent] = []
    stream = uuid.uuid4()
    for i in range(events):
        if i % 30 == 0:
            stream = uuid.uuid4()
        state = i.to_bytes(8, "big") + filler[8:]
        batch.append(StoredEvent(originator_id=stream, originator_version=i % 30 + 1, topic=TOPIC, state=state))
        if len(batch) == 5000:
            ledger.recorder.insert_events(batch)
            batch = []
    if batch:
        ledger.recorder.insert_events(batch)


def _backend(url: str | None, folder: Path) -> Backend:
    if url is None:
        return Backend.from_url(f"sqlite:///{folder}/bench-verify.sqlite3")
    return Backend.from_url(url.split("?")[0] + f"?schema=bench_verify_{uuid.uuid4().hex[:8]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--url", help="a PostgreSQL URL (a schema of its own is made and dropped); default SQLite")
    args = parser.parse_args(argv)
    from projections.checkpoints import CheckpointPublisher
    from projections.merkle_log import MerkleLog

    with tempfile.TemporaryDirectory() as folder:
        backend = _backend(args.url, Path(folder))
        if backend.kind == "postgresql":
            import psycopg

            with psycopg.connect(backend.psycopg_conninfo(), autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{backend.schema}"')
        try:
            apply(backend)
            signer = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
            started = time.perf_counter()
            with Ledger.open(backend) as ledger:
                seed(ledger, args.events)
                seeded = time.perf_counter() - started
                started = time.perf_counter()
                MerkleLog(ledger).catch_up()
                projected = time.perf_counter() - started
                kept = CheckpointPublisher(ledger, signer, every=0.001).publish()
                assert kept is not None
                assert kept.tree_size == args.events
            print(f"{backend.describe()}: seeded {args.events:,} events in {seeded:.1f} s")
            print(f"Merkle projection: {args.events:,} events in {projected:.2f} s = "
                  f"{args.events / projected:,.0f} events/s")
            keys = AuditKeys(signer.key)
            started = time.perf_counter()
            with AuditDatabase.open(backend) as db:
                report = audit(db, keys)
            seconds = time.perf_counter() - started
            assert report.status == 0, report.summary()
            print(f"verify, the database read-only: {report.events:,} events in {seconds:.2f} s = "
                  f"{report.events / seconds:,.0f} events/s")
            exported = Path(folder) / "bench.gakuseki-log"
            started = time.perf_counter()
            with AuditDatabase.open(backend) as db:
                write_export(exported, db, origin=ORIGIN, log_key=signer.key.vkey, backend=backend.kind)
            seconds = time.perf_counter() - started
            print(f"export-log: {args.events:,} events in {seconds:.2f} s = {args.events / seconds:,.0f} events/s "
                  f"({exported.stat().st_size / 1e6:,.0f} MB)")
            started = time.perf_counter()
            report = audit(ExportedLog(exported), keys)
            seconds = time.perf_counter() - started
            assert report.status == 0, report.summary()
            print(f"verify, the exported file: {report.events:,} events in {seconds:.2f} s = "
                  f"{report.events / seconds:,.0f} events/s")
        finally:
            if backend.kind == "postgresql":
                import psycopg

                with psycopg.connect(backend.psycopg_conninfo(), autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA "{backend.schema}" CASCADE')


if __name__ == "__main__":
    main()
