"""`gakuseki verify` and `gakuseki export-log`: the offline auditor's commands (docs/audit.md).

The checks themselves are domain/transparency/audit*.py; this module reads the arguments, opens the
log (the database read-only, or an exported file), shows progress on stderr (rich) and prints one
summary line on stdout. Exit statuses: ``audit_findings.Kind`` (0 everything verifies; 2 the input
could not be read).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from api.config import Settings
from domain import errors
from domain.transparency.audit_findings import Finding, Kind, exit_status
from domain.transparency.note import NoteKey

__all__ = ["add_commands"]


def _vkey(value: str) -> str:
    """A vkey given as itself or as a file holding it."""
    path = Path(value)
    return path.read_text(encoding="utf-8").strip() if "+" not in value and path.exists() else value.strip()


def _key(value: str, what: str) -> NoteKey:
    try:
        return NoteKey.from_vkey(_vkey(value))
    except (ValueError, OSError) as e:
        raise ValueError(f"{what} {value[:80]!r}: {e}")


@contextmanager
def _progress(enabled: bool, what: str, total: int | None) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr (when it is a terminal or asked for), updated with the count done."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(what, total=total or None)
        yield lambda done: bar.update(task, completed=done)


def _readable(command: Callable[[Settings, argparse.Namespace], int]) -> Callable[[Settings, argparse.Namespace], int]:
    """A file or database that cannot be read is exit status 2 with its reason, as bad arguments are."""
    def run(settings: Settings, args: argparse.Namespace) -> int:
        import sqlite3

        import psycopg

        try:
            return command(settings, args)
        except (OSError, UnicodeDecodeError, sqlite3.Error, psycopg.Error) as e:
            raise ValueError(f"cannot read the log: {e}")
    return run


def _show_progress(args: argparse.Namespace) -> bool:
    return not args.no_progress and sys.stderr.isatty()


@_readable
def cmd_verify(settings: Settings, args: argparse.Namespace) -> int:
    if args.proof:
        return _verify_proof(args)
    from domain.storage.audit_reads import AuditDatabase
    from domain.transparency.audit import audit
    from domain.transparency.audit_checkpoints import AuditKeys
    from domain.transparency.export_log import ExportedLog

    # A checkpoint kept in a file (copied from the API or a witness): trailing blank lines are not the note's.
    held = [(path, Path(path).read_text(encoding="utf-8").rstrip("\n") + "\n") for path in args.checkpoint]
    witnesses = tuple(_key(w, "--witness-key") for w in args.witness_key)
    if args.log:
        log = ExportedLog(args.log)
        vkey = args.log_key or log.log_key
        if not vkey:
            raise ValueError(f"{args.log} names no ledger key: give --log-key")
        if not args.log_key:
            print(f"gakuseki verify: using the ledger key written in {args.log} ({vkey}); give --log-key to "
                  "check against a key you got from elsewhere", file=sys.stderr)
        keys = AuditKeys(_key(vkey, "the ledger key"), witnesses, args.origin)
        started = time.monotonic()
        with _progress(_show_progress(args), "verifying", log.count_events()) as progress:
            report = audit(log, keys, held, progress)
        source = str(args.log)
    else:
        if not args.log_key:
            raise ValueError("give the ledger's checkpoint key: --log-key VKEY (or a file holding it)")
        keys = AuditKeys(_key(args.log_key, "--log-key"), witnesses, args.origin)
        with AuditDatabase.open(settings.backend) as db:
            started = time.monotonic()
            with _progress(_show_progress(args), "verifying", db.count_events()) as progress:
                report = audit(db, keys, held, progress)
        source = settings.backend.describe()
    seconds = time.monotonic() - started
    for finding in report.findings:
        if finding is not report.first:
            print(f"gakuseki verify: also: {finding}", file=sys.stderr)
    rate = f", {report.events / seconds:,.0f} events/s" if seconds > 0 and report.events else ""
    print(f"gakuseki verify: {source}: {report.events} events in {seconds:.2f} s{rate}", file=sys.stderr)
    print(report.summary())
    return report.status


def _verify_proof(args: argparse.Namespace) -> int:
    """A proof file alone: c2sp.org/tlog-proof@v1 text (one or more entries) or gakuseki-proof/1 or /2 JSON."""
    import msgspec

    from domain.transparency.proof import (
        TLOG_PROOF_HEADER,
        ProofFile,
        TlogProof,
        verify_proof_file,
        verify_tlog_proof,
    )

    if not args.log_key:
        raise ValueError("give the ledger's checkpoint key: --log-key VKEY (or a file holding it)")
    log_key = _key(args.log_key, "--log-key")
    witnesses = tuple(_key(w, "--witness-key") for w in args.witness_key)
    text = Path(args.proof).read_text(encoding="utf-8")
    findings: list[Finding] = []
    entries = 0
    cosigners: set[str] = set()
    try:
        if text.startswith(TLOG_PROOF_HEADER):
            # Several proofs may follow one another in one file: each starts with the header line.
            parts: list[list[str]] = []
            for line in text.splitlines(keepends=True):
                if line.rstrip("\n") == TLOG_PROOF_HEADER or not parts:
                    parts.append([])
                parts[-1].append(line)
            for part in ("".join(p) for p in parts):
                proof = TlogProof.parse(part)
                checkpoint, cosigned, leaf = verify_tlog_proof(proof, log_key, witnesses, args.origin)
                entries += 1
                cosigners.update(c.key.name for c in cosigned)
                print(f"gakuseki verify: leaf {proof.index} (position {leaf.position}, stream "
                      f"{leaf.stream_id}, version {leaf.version}) is in the checkpoint of {checkpoint.size} leaves",
                      file=sys.stderr)
        else:
            try:
                proof_file = msgspec.json.decode(text.encode("utf-8"), type=ProofFile)
            except msgspec.DecodeError as e:
                raise ValueError(f"{args.proof} is neither a {TLOG_PROOF_HEADER} file nor a gakuseki-proof/1 or /2 "
                                 f"file: {e}")
            checkpoint, cosigned = verify_proof_file(proof_file, log_key, witnesses, args.origin)
            entries = len(proof_file.entries)
            cosigners.update(c.key.name for c in cosigned)
    except (errors.NoteSignatureInvalid, errors.NoteUnverified, errors.CheckpointWrongOrigin) as e:
        findings.append(Finding(Kind.BAD_SIGNATURE, e.message))
    except errors.NoteMalformed as e:
        raise ValueError(f"{args.proof}: {e.message}")
    except errors.CheckpointRefused as e:
        findings.append(Finding(Kind.BAD_PROOF, e.message))
    if not findings and len(cosigners) < args.min_witnesses:
        findings.append(Finding(Kind.TOO_FEW_WITNESSES, f"cosigned by {len(cosigners)} of the witnesses given "
                                f"({', '.join(sorted(cosigners)) or 'none'}), fewer than --min-witnesses "
                                f"{args.min_witnesses}"))
    if findings:
        print(f"{findings[0]} [exit {exit_status(findings)}]")
    else:
        what = "1 entry" if entries == 1 else f"{entries} entries"
        verb = "is" if entries == 1 else "are"
        print(f"VERIFIED: {what} of {args.proof} {verb} in the checkpoint of {checkpoint.size} leaves signed "
              f"by {log_key.name}" + (f", cosigned by {', '.join(sorted(cosigners))}" if cosigners else
                                       ", cosigned by none of the witnesses given"))
    return exit_status(findings)


@_readable
def cmd_export_log(settings: Settings, args: argparse.Namespace) -> int:
    from domain.storage.audit_reads import AuditDatabase
    from domain.transparency.export_log import write_export

    vkey = _vkey(args.log_key) if args.log_key else None
    if vkey is None and Path(settings.signing_key).exists():
        key = settings.ledger_key(create=False)
        vkey = key.checkpoint_key().vkey
    backend = settings.backend
    started = time.monotonic()
    with AuditDatabase.open(backend) as db, _progress(_show_progress(args), "exporting",
                                                      db.count_events()) as progress:
        count = write_export(args.file, db, origin=args.origin or settings.ledger_id, log_key=vkey,
                             backend=backend.kind, progress=progress)
    print(f"gakuseki export-log: {backend.describe()}: {count} events in {time.monotonic() - started:.2f} s",
          file=sys.stderr)
    print(f"exported {count} events to {args.file}" + ("" if vkey else " (no ledger key written: give --log-key "
                                                        "to `gakuseki verify`)"))
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    verify = sub.add_parser("verify", help="audit the log offline: every row against the signed checkpoints "
                            "(the database read-only, or --log FILE), or one proof file (--proof FILE)")
    verify.add_argument("--log", metavar="FILE", help="an exported log (`gakuseki export-log`) instead of the database")
    verify.add_argument("--proof", metavar="FILE", help="verify this proof file alone (c2sp.org/tlog-proof@v1 or "
                        "gakuseki-proof/1 or /2)")
    verify.add_argument("--log-key", metavar="VKEY", help="the ledger's checkpoint verifier key (note vkey), or a "
                        "file holding it; for --log, defaults to the key written in the export")
    verify.add_argument("--witness-key", metavar="VKEY", action="append", default=[],
                        help="a witness's verifier key (repeatable): its cosignatures are checked")
    verify.add_argument("--origin", help="the ledger id the checkpoints must name (default: the ledger key's name)")
    verify.add_argument("--checkpoint", metavar="FILE", action="append", default=[],
                        help="a signed checkpoint you hold (e.g. one a witness cosigned): it must agree with the log")
    verify.add_argument("--min-witnesses", type=int, default=0, metavar="N",
                        help="--proof: refuse unless at least N of the witnesses given cosigned (exit 13)")
    verify.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    verify.set_defaults(run=cmd_verify)
    export = sub.add_parser("export-log", help="write the event rows, the Merkle log's tiles, checkpoints, "
                            "cosignatures and the ledger's key to FILE, for `gakuseki verify --log FILE`")
    export.add_argument("file", help="the file to write (.gz: compressed)")
    export.add_argument("--log-key", metavar="VKEY", help="the ledger's checkpoint verifier key to write in it "
                        "(default: made from $GAKUSEKI_SIGNING_KEY and the ledger id)")
    export.add_argument("--origin", help="the ledger id (default $GAKUSEKI_LEDGER_ID)")
    export.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    export.set_defaults(run=cmd_export_log)
