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
3. `gakuseki export-log` to a file and the audit of that file (events/s each);
4. with ``--before DIR`` (a code tree, e.g. ``git archive main | tar -x -C DIR``): the audit of the
   same database by this tree's code and by DIR's, each in a fresh process, alternately for
   ``--rounds`` rounds: events/s and the auditing process's CPU per event (the server's not counted).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

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


def _url(url: str | None, folder: Path) -> str:
    if url is None:
        return f"sqlite:///{folder}/bench-verify.sqlite3"
    return url.split("?")[0] + f"?schema=bench_verify_{uuid.uuid4().hex[:8]}"


# `gakuseki verify`'s audit of the database, as the CLI runs it, in a process of its own (the code tree's).
_AUDIT = """
import json, sys, time
from domain.backend import Backend
from domain.storage.audit_reads import AuditDatabase
from domain.transparency.audit import audit
from domain.transparency.audit_checkpoints import AuditKeys
from domain.transparency.note import NoteKey
keys = AuditKeys(NoteKey.from_vkey(sys.argv[2]))
started, cpu = time.perf_counter(), time.process_time()
with AuditDatabase.open(Backend.from_url(sys.argv[1])) as db:
    report = audit(db, keys)
print(json.dumps({"events": report.events, "status": report.status, "seconds": time.perf_counter() - started,
                  "cpu_seconds": time.process_time() - cpu}))
"""


def audit_in(tree: Path, url: str, vkey: str) -> dict[str, Any]:
    """The audit of the database at ``url`` by the code of ``tree``, in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", _AUDIT, url, vkey], cwd=tree, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(tree)}, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the audit by {tree} failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["status"] != 0:
        raise RuntimeError(f"the audit by {tree} did not verify the bench log: {result}")
    return result


def compare(trees: dict[str, Path], url: str, vkey: str, rounds: int) -> None:
    """The audit by each tree, alternately, ``rounds`` times; medians, and each tree's against the first's."""
    seen: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    for r in range(rounds):
        for name, tree in (trees.items() if r % 2 == 0 else reversed(trees.items())):
            result = audit_in(tree, url, vkey)
            seen[name].append(result)
            print(f"  round {r + 1}, {name}: {result['events'] / result['seconds']:,.0f} events/s, "
                  f"{result['cpu_seconds'] / result['events'] * 1e6:.2f} µs of the auditor's CPU an event", flush=True)
    medians: dict[str, tuple[float, float]] = {}
    for name, results in seen.items():
        rates = sorted(x["events"] / x["seconds"] for x in results)
        cpus = sorted(x["cpu_seconds"] / x["events"] * 1e6 for x in results)
        medians[name] = (rates[len(rates) // 2], cpus[len(cpus) // 2])
    first = next(iter(medians))
    for name, (rate, cpu) in medians.items():
        ratio = "" if name == first else (f" ({rate / medians[first][0]:.2f}x the events/s of {first}, "
                                          f"{cpu / medians[first][1]:.2f}x its CPU)")
        print(f"verify by {name} (median of {rounds}): {rate:,.0f} events/s, {cpu:.2f} µs CPU an event{ratio}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--url", help="a PostgreSQL URL (a schema of its own is made and dropped); default SQLite")
    parser.add_argument("--before", type=Path, metavar="DIR", help="also audit with the code tree in DIR, alternately")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the --before comparison")
    parser.add_argument("--no-export", action="store_true", help="skip export-log and the audit of the file")
    args = parser.parse_args(argv)
    from projections.checkpoints import CheckpointPublisher
    from projections.merkle_log import MerkleLog

    with tempfile.TemporaryDirectory() as folder:
        url = _url(args.url, Path(folder))
        backend = Backend.from_url(url)
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
            started, cpu = time.perf_counter(), time.process_time()
            with AuditDatabase.open(backend) as db:
                report = audit(db, keys)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            assert report.status == 0, report.summary()
            print(f"verify, the database read-only: {report.events:,} events in {seconds:.2f} s = "
                  f"{report.events / seconds:,.0f} events/s ({cpu / report.events * 1e6:.2f} µs of this process's "
                  "CPU an event)")
            if args.before:
                here = Path(__file__).resolve().parent.parent
                compare({"this": here, "before": args.before.resolve()}, url, signer.key.vkey, args.rounds)
            if args.no_export:
                return
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
