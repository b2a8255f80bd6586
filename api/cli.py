"""The `gakuseki` command: serve, migrate, demo.

Settings come from the environment (GAKUSEKI_DATABASE_URL, GAKUSEKI_HOST, GAKUSEKI_PORT),
read here once; flags override them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from api.config import Settings
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
        summary = seed_demo(ledger, progress=not args.no_progress)
    print(f"{backend.describe()}: demo jurisdiction ready: {summary}")
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from domain.ledger import Ledger

    backend = settings.backend
    _prepare(backend)
    app = create_app(Ledger.open(backend), backend)
    host, port = args.host or settings.host, args.port or settings.port
    print(f"gakuseki: serving {backend.describe()} at http://{host}:{port} (health: /health)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="info")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gakuseki", description="The official student register as an event ledger.")
    p.add_argument("--database-url", help="sqlite:///FILE or postgresql://USER@HOST:PORT/DB[?schema=S] "
                   "(default: $GAKUSEKI_DATABASE_URL, else sqlite:///gakuseki.sqlite3 in this folder)")
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", help="address to bind (default $GAKUSEKI_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default $GAKUSEKI_PORT or 8000)")
    serve.set_defaults(run=cmd_serve)
    sub.add_parser("migrate", help="apply the schema migrations").set_defaults(run=cmd_migrate)
    demo = sub.add_parser("demo", help="seed a demo jurisdiction (running it again adds nothing)")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    demo.set_defaults(run=cmd_demo)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = Settings.from_env()
    if args.database_url:
        settings = Settings(args.database_url, settings.host, settings.port)
    try:
        return int(args.run(settings, args))
    except (MigrationError, ValueError) as e:
        print(f"gakuseki: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
