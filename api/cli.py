"""The `gakuseki` command: serve, migrate, demo, projections, token, keys, print, witness-key, witness,
verify, export-log (the auditor's two: api/audit_cli.py).

Settings come from the environment (GAKUSEKI_DATABASE_URL, GAKUSEKI_HOST, GAKUSEKI_PORT),
read here once; flags override them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from api.audit_cli import add_commands as add_audit_commands
from api.config import Settings, replace

if TYPE_CHECKING:
    from api.security import SecuredLitestar
from domain.backend import Backend
from migrations.apply import MigrationError, apply, pending


def _prepare(backend: Backend) -> None:
    """The embedded default migrates itself; a PostgreSQL deployment is migrated on purpose."""
    if backend.kind == "sqlite":
        apply(backend)
        return
    todo = pending(backend)
    if todo:
        raise SystemExit(f"gakuseki: the database schema is behind ({', '.join(todo)}): run `gakuseki migrate`")


def cmd_migrate(settings: Settings, _: argparse.Namespace) -> int:
    backend = settings.backend
    done = apply(backend)
    print(f"{backend.describe()}: " + (f"applied {', '.join(done)}" if done else "up to date"))
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from api.demo import seed_demo
    from domain.ledger import Ledger

    backend = settings.backend
    _prepare(backend)
    with Ledger.open(backend) as ledger:
        today = ledger.today()
        if args.today is not None and args.today > today:  # the ledger refuses a roll of a day not yet come
            raise SystemExit(f"gakuseki: --today {args.today} has not come yet (today in Japan is {today})")
        summary = seed_demo(ledger, today=args.today or today, progress=not args.no_progress)
    print(f"{backend.describe()}: demo jurisdiction ready: {summary}")
    return 0


def build_app(settings: Settings) -> SecuredLitestar:
    """The app `gakuseki serve` runs, from the settings (in each worker with ``--workers``), its heap settled."""
    from api.app import create_app
    from api.heap import settle
    from api.request_lines import RequestLines
    from domain.ledger import Ledger

    backend = settings.backend
    verifier = settings.verifier()
    # The embedded default runs its read models inside the server (no subscriptions on SQLite);
    # a PostgreSQL deployment runs `gakuseki projections run` as its own process.
    key = settings.ledger_key()  # signs the transfer packets this ledger issues (made on first use)
    app = create_app(Ledger.open(backend), backend, verifier, run_projections=backend.kind == "sqlite",
                     signing=key, trust=settings.trust(key), witnesses=settings.witness_keys,
                     idempotency_retention=timedelta(hours=settings.idempotency_hours),
                     checkpoint_seconds=settings.checkpoint_seconds)
    app.request_lines = RequestLines(sys.stdout)  # uvicorn's access log line, written without logging (ADR 0046)
    settle()  # the start-up heap frozen out of the cycle collector's way (api/heap.py, ADR 0046)
    return app


def worker_app() -> SecuredLitestar:
    """What each worker process of `gakuseki serve --workers N` serves: the app of the environment's settings
    (`serve` put its --database-url there)."""
    return build_app(Settings.from_env())


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import os

    import uvicorn

    backend = settings.backend
    workers = args.workers
    if workers < 1:
        print("gakuseki: --workers is at least 1", file=sys.stderr)
        return 2
    if workers > 1 and backend.kind != "postgresql":
        # The embedded ledger's read models, Merkle log and group commit live in its one server process.
        print("gakuseki: --workers needs PostgreSQL: the embedded SQLite ledger is served by one process "
              "(its read models run inside it)", file=sys.stderr)
        return 2
    _prepare(backend)
    host, port = args.host or settings.host, args.port or settings.port
    if workers == 1:
        app: SecuredLitestar | str = build_app(settings)
    else:
        settings.verifier()  # the development key made once, here, not by each worker at the same moment
        settings.ledger_key()
        os.environ["GAKUSEKI_DATABASE_URL"] = settings.database_url  # what --database-url chose
        app = "api.cli:worker_app"
    print(f"gakuseki: serving {backend.describe()} at http://{host}:{port} (health: /health, API: /schema/reference)"
          + (f" in {workers} worker processes" if workers > 1 else ""), flush=True)
    if not settings.jwks:
        print(f"gakuseki: trusting the development key {settings.dev_key}; get a token with "
              "`gakuseki token --role principal --school CODE`", flush=True)
    from api.one_send import OneSendProtocol

    # each answer's head and body in one socket write (api/one_send.py, ADR 0050)
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False, workers=workers,
                factory=workers > 1, http=OneSendProtocol)
    return 0


def cmd_projections(settings: Settings, args: argparse.Namespace) -> int:
    """status: each read model's (and the Merkle log's) position and lag; rebuild [NAME]: from scratch;
    run: keep polling, and sign the Merkle log's checkpoints with the ledger's key on their cadence."""
    import time

    from domain.ledger import Ledger
    from projections import runner_for

    backend = settings.backend
    _prepare(backend)
    # The process that keeps the Merkle log signs its checkpoints, with the key the server signs packets with.
    signer = settings.checkpoint_signer() if args.action == "run" else None
    with Ledger.open(backend) as ledger:
        runner = runner_for(ledger, backend, signer, settings.checkpoint_seconds)
        if args.action in ("rebuild", "run"):
            for name in runner.upgrade():
                print(f"{name}: built by another version of the projection; cleared, to be built again", flush=True)
        if args.action == "rebuild":
            names = [args.name] if args.name else runner.names()
            unknown = [n for n in names if n not in runner.names()]
            if unknown:
                print(f"gakuseki: no projection {unknown[0]!r}; there are {', '.join(runner.names())}",
                      file=sys.stderr)
                return 2
            # A rebuild must reproduce what was there, byte for byte (promise 2).
            before = {name: (runner.store.position(name), runner.fingerprint(name)) for name in names}
            started = time.monotonic()
            parts = runner.rebuild_parts(names, args.processes)
            if len(parts) > 1:
                print("rebuilding in two processes at once: " + "; ".join(", ".join(p) for p in parts), flush=True)
            read = runner.rebuild(names, processes=len(parts))  # one pass over the log for each part
            seconds = time.monotonic() - started
            for name in names:
                applied, was = before[name]
                after = runner.fingerprint(name)
                if applied and runner.store.position(name) >= applied and was != after:
                    print(f"{name}: REBUILT DOCUMENTS DIFFER (sha256 {was[:16]} before, {after[:16]} after)",
                          file=sys.stderr)
                    return 1
                same = "identical to before" if applied else "first build"
                print(f"{name}: rebuilt, sha256 {after[:16]} ({same})")
            print(f"rebuilt {len(names)} projections from {read} events in {seconds:.1f} s")
        elif args.action == "run":
            import logging
            import signal
            import threading

            # Lost connections, restarts and refused pages are logged and retried; it never exits on
            # them (ADR 0022). SIGTERM or Ctrl-C stops it after the page it is applying.
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
            print(f"gakuseki: projecting {backend.describe()} (Ctrl-C to stop)", flush=True)
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            try:
                runner.poll(stop, args.interval)
            except KeyboardInterrupt:
                return 0
        for row in runner.status():
            print(f"{row['projection']}: position {row['position']} of {row['head']} (lag {row['lag']})")
    return 0


def cmd_token(settings: Settings, args: argparse.Namespace) -> int:
    """Print a development token, alone on the last line."""
    from api.auth import ROLES
    from api.devkeys import DevKey

    if args.role not in ROLES:
        print(f"gakuseki: --role is one of {', '.join(ROLES)}", file=sys.stderr)
        return 2
    grant: dict[str, object] = {"role": args.role}
    if args.school:
        grant["school"] = args.school
    if args.board:
        grant["board"] = args.board
    if args.class_:
        grant["classes"] = args.class_
    if args.subject:
        grant["subjects"] = args.subject
    key = DevKey.load_or_create(Path(settings.dev_key))
    print(f"# {args.role} {args.staff}, signed by {settings.dev_key} (kid {key.kid}), valid {args.hours} h",
          file=sys.stderr)
    print(key.token(args.staff, [grant], mfa=not args.no_mfa, ttl=args.hours * 3600))
    return 0


def cmd_keys(settings: Settings, args: argparse.Namespace) -> int:
    """generate [--force]: make the packet signing key; show: the entry other ledgers put in their trust list.

    With --json only the JSON is printed (the public JWK, or the trust list entry); with --vkey only the
    checkpoint verifier key (note vkey) auditors and witnesses give `gakuseki verify` / `gakuseki witness`.
    """
    import json

    from api.keys import LedgerKey

    if args.vkey and args.action == "show":
        key = settings.ledger_key(create=False)
        print(key.checkpoint_key().vkey)
        return 0
    if args.action == "generate":
        key = LedgerKey.generate(settings.signing_key, settings.ledger_id, force=args.force)
        document = key.public_jwk()
        print(f"# ledger {key.ledger_id}: new packet signing key in {settings.signing_key}", file=sys.stderr)
    else:
        key = settings.ledger_key(create=False)
        document = key.trust_entry()
        print(f"# the entry another ledger adds to the \"ledgers\" list of its trust list "
              f"($GAKUSEKI_TRUST_LIST) to accept the packets this ledger signs with {settings.signing_key}",
              file=sys.stderr)
    # What a witness passes as --log-key: the same key verifies the Merkle log's checkpoints (ADR 0031).
    print(f"# checkpoint vkey (gakuseki witness --log-key): {key.checkpoint_key().vkey}",
          file=sys.stderr)
    if not args.json:
        print(f"ledger: {key.ledger_id}")
        print(f"kid: {key.kid}")

    print(json.dumps(document, indent=2, ensure_ascii=False))
    return 0


def cmd_witness_key(settings: Settings, args: argparse.Namespace) -> int:
    """Make a witness's cosignature key (note skey, mode 0600) and print its vkey, for GAKUSEKI_WITNESS_KEYS."""
    from api.witness import generate_key

    signer = generate_key(args.key, args.name)
    print(f"# witness {signer.name}: new cosignature key in {args.key}; the ledger accepts its cosignatures "
          "once this vkey is in its GAKUSEKI_WITNESS_KEYS", file=sys.stderr)
    print(signer.key.vkey)
    return 0


def _vkey(value: str) -> str:
    """A vkey given as itself or as a file holding it."""
    path = Path(value)
    return path.read_text(encoding="utf-8").strip() if "+" not in value and path.exists() else value.strip()


def cmd_witness(settings: Settings, args: argparse.Namespace) -> int:
    """Cosign the ledger's checkpoints: once, or every --interval seconds (api/witness.py)."""
    import logging
    import os
    import signal
    import threading

    from api.witness import WitnessClient, load_key, run
    from domain.transparency.note import NoteKey

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log_key = NoteKey.from_vkey(_vkey(args.log_key))
    signer = load_key(args.key)
    token = args.token or os.environ.get("GAKUSEKI_WITNESS_TOKEN") or None
    client = WitnessClient(args.url, token)
    stop = threading.Event()
    if not args.once:
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        print(f"gakuseki witness: {signer.name} witnessing {log_key.name} at {args.url} every "
              f"{args.interval:g} s (Ctrl-C to stop)", flush=True)
    try:
        return run(client, log_key, signer, args.state, once=args.once, interval=args.interval, stop=stop)
    except KeyboardInterrupt:
        return 0


def cmd_print(settings: Settings, args: argparse.Namespace) -> int:
    """The PDFs of a class (名簿, 出席簿 of each month up to --through, each child's forms) or of one
    child, written to --out; asked of the app in this process with the caller's token (api/printing.py)."""
    import os

    from litestar.testing import TestClient

    from api.app import create_app
    from api.printing import Printer
    from domain import school_year as school_years
    from domain.ledger import Ledger
    from projections import runner_for

    token = args.token or os.environ.get("GAKUSEKI_TOKEN")
    if not token:
        print("gakuseki: print reads the forms as the holder of a token: --token or $GAKUSEKI_TOKEN "
              "(a development one from `gakuseki token --role principal --school CODE`)", file=sys.stderr)
        return 2
    backend = settings.backend
    _prepare(backend)
    with Ledger.open(backend) as ledger:
        runner_for(ledger, backend).catch_up()  # the read models, up to now, before the first form
        through = args.through or ledger.today()
        year = args.year or school_years.year_of(through)
        app = create_app(ledger, backend, settings.verifier(), run_projections=False)
        with TestClient(app=app) as client:
            headers = {"Authorization": f"Bearer {token}"}
            printer = Printer(lambda path: client.get(path, headers=headers), Path(args.out), ledger.position())
            if args.what == "class":
                school, grade, name = args.target
                printer.klass(school, year, int(grade), name, through)
            else:
                printer.student(args.target[0], year)
    for path, status, why in printer.printed.refused:
        print(f"gakuseki: {path}: {status} {why}", file=sys.stderr)
    print(f"gakuseki: wrote {len(printer.printed.written)} PDFs to {args.out}")
    return 1 if printer.printed.refused else 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gakuseki", description="The official student register as an event ledger.")
    p.add_argument("--database-url", help="sqlite:///FILE or postgresql://USER@HOST:PORT/DB[?schema=S] "
                   "(default: $GAKUSEKI_DATABASE_URL, else sqlite:///gakuseki.sqlite3 in this folder)")
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", help="address to bind (default $GAKUSEKI_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default $GAKUSEKI_PORT or 8000)")
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="server processes on the one port (default 1; more than one on PostgreSQL only)")
    serve.set_defaults(run=cmd_serve)
    sub.add_parser("migrate", help="apply the schema migrations").set_defaults(run=cmd_migrate)
    demo = sub.add_parser("demo", help="seed a demo jurisdiction (running it again adds nothing)")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    demo.add_argument("--today", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                      help="seed the year as it stands on this day (default: today in Japan)")
    demo.set_defaults(run=cmd_demo)
    proj = sub.add_parser("projections", help="read models: status, rebuild [NAME], run")
    proj.add_argument("action", choices=["status", "rebuild", "run"])
    proj.add_argument("name", nargs="?", help="one projection to rebuild (default: all)")
    proj.add_argument("--interval", type=float, default=0.5, help="seconds between polls when idle (run)")
    proj.add_argument("--processes", type=int, choices=[1, 2], default=None,
                      help="rebuild: processes sharing the work (default: 2 on PostgreSQL for a log of 100,000 "
                           "events or more, else 1; SQLite always 1)")
    proj.set_defaults(run=cmd_projections)
    token = sub.add_parser("token", help="print a development token signed by the local key")
    token.add_argument("--role", required=True, help="homeroom_teacher, subject_teacher, nurse, registrar, "
                       "principal, board, auditor or operator")
    token.add_argument("--school", help="the school code the role is scoped to")
    token.add_argument("--board", help="the board code (for --role board)")
    token.add_argument("--staff", default="dev-staff", help="staff id (the token's sub)")
    token.add_argument("--class", dest="class_", action="append", metavar="YEAR/GRADE/NAME",
                       help="a class of a teacher (repeatable), e.g. 2026/1/1")
    token.add_argument("--subject", action="append", help="a subject of a subject teacher (repeatable)")
    token.add_argument("--no-mfa", action="store_true", help="a token without multi-factor authentication")
    token.add_argument("--hours", type=int, default=8, help="hours until it expires")
    token.set_defaults(run=cmd_token)
    keys = sub.add_parser("keys", help="the key transfer packets are signed with "
                          "($GAKUSEKI_SIGNING_KEY, as ledger $GAKUSEKI_LEDGER_ID)")
    keys.add_argument("action", choices=["generate", "show"],
                      help="generate: a new key file; show: the kid and the trust list entry for other ledgers")
    keys.add_argument("--force", action="store_true", help="generate: replace an existing key file")
    keys.add_argument("--json", action="store_true", help="print the JSON alone")
    keys.add_argument("--vkey", action="store_true", help="show: print the checkpoint verifier key (note vkey) "
                      "alone, for `gakuseki verify --log-key` and `gakuseki witness --log-key`")
    keys.set_defaults(run=cmd_keys)
    wkey = sub.add_parser("witness-key", help="make a witness's cosignature key (note skey, mode 0600); "
                          "prints its vkey for the ledger's GAKUSEKI_WITNESS_KEYS")
    wkey.add_argument("--name", required=True, help="the witness's key name (no spaces or '+'), e.g. board-312011")
    wkey.add_argument("--key", default="gakuseki-witness.key", help="where to write it (never replaced)")
    wkey.set_defaults(run=cmd_witness_key)
    wit = sub.add_parser("witness", help="verify and cosign the ledger's checkpoints (C2SP tlog-cosignature)")
    wit.add_argument("--url", required=True, help="the ledger's base URL, e.g. http://127.0.0.1:8000")
    wit.add_argument("--log-key", required=True, metavar="VKEY",
                     help="the ledger's checkpoint verifier key (vkey), or a file holding it")
    wit.add_argument("--key", default="gakuseki-witness.key", help="this witness's key (from `gakuseki witness-key`)")
    wit.add_argument("--state", default="gakuseki-witness.state.json",
                     help="the last checkpoint this witness cosigned (made on the first round)")
    wit.add_argument("--token", help="a bearer token of the board or auditor role "
                     "(default $GAKUSEKI_WITNESS_TOKEN)")
    wit.add_argument("--once", action="store_true", help="one round; exit 0 cosigned or nothing new, "
                     "1 refused (fork, inconsistent, smaller, bad signature), 3 the ledger unreachable")
    wit.add_argument("--interval", type=float, default=60.0, help="seconds between rounds (default 60)")
    wit.set_defaults(run=cmd_witness)
    printing = sub.add_parser("print", help="write the PDFs of a class or of one child to a folder")
    printing.add_argument("what", choices=["class", "student"])
    printing.add_argument("target", nargs="+", metavar="ARG",
                          help="class: SCHOOL_CODE GRADE NAME (of --year); student: STUDENT_ID")
    printing.add_argument("--out", required=True, help="the folder to write to (made if missing)")
    printing.add_argument("--year", type=int, help="the school year (default: the year of --through)")
    printing.add_argument("--through", type=date.fromisoformat, metavar="YYYY-MM-DD",
                          help="print the 出席簿 of each month begun by this day (default: today in Japan)")
    printing.add_argument("--token", help="the token the forms are read with (default $GAKUSEKI_TOKEN)")
    printing.set_defaults(run=cmd_print)
    add_audit_commands(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "what", None) is not None and len(args.target) != (3 if args.what == "class" else 1):
        parser().error("print class takes SCHOOL_CODE GRADE NAME; print student takes STUDENT_ID")
    settings = Settings.from_env()
    if args.database_url:
        settings = replace(settings, database_url=args.database_url)
    try:
        return int(args.run(settings, args))
    except (MigrationError, ValueError) as e:
        print(f"gakuseki: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
