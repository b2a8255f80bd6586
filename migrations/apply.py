"""Applies the SQL files of migrations/<backend>/ in order, once each.

Every applied file is recorded with its SHA-256 in ``schema_migrations``; a file that changed
after it was applied stops the ledger (migrations, like events, are never edited: add one).
Each file runs in one transaction with its record, so a failure leaves nothing half-applied.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from domain.backend import Backend

HERE = Path(__file__).parent
TRACKING = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version TEXT PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL, applied_at TEXT NOT NULL)"""


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def migrations_for(kind: str) -> list[Migration]:
    found = []
    for path in sorted((HERE / kind).glob("[0-9][0-9][0-9][0-9]_*.sql")):
        version, _, name = path.stem.partition("_")
        found.append(Migration(version, name, path.read_text(encoding="utf-8")))
    return found


def _check(applied: dict[str, str], pending: list[Migration]) -> list[Migration]:
    todo = []
    for m in pending:
        if m.version in applied:
            if applied[m.version] != m.sha256:
                raise MigrationError(
                    f"migration {m.version}_{m.name} was edited after it was applied; "
                    "migrations are never edited: add a new one"
                )
        else:
            todo.append(m)
    return todo


def apply(backend: Backend) -> list[str]:
    """Bring the schema up to date; returns the migrations it applied."""
    if backend.kind == "sqlite":
        return _apply_sqlite(backend)
    return _apply_postgresql(backend)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _apply_sqlite(backend: Backend) -> list[str]:
    assert backend.sqlite_path is not None
    backend.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(backend.sqlite_path, isolation_level=None, timeout=30)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(TRACKING)
        conn.execute("BEGIN IMMEDIATE")  # one migrator at a time
        applied = dict(conn.execute("SELECT version, sha256 FROM schema_migrations").fetchall())
        conn.execute("COMMIT")
        done = []
        for m in _check(applied, migrations_for("sqlite")):
            # executescript runs the whole file inside our explicit transaction.
            record = (m.version, m.name, m.sha256, _now())
            try:
                conn.executescript(
                    "BEGIN IMMEDIATE;\n" + m.sql + "\n;INSERT INTO schema_migrations VALUES "
                    + "(" + ",".join(_sqlite_literal(v) for v in record) + ");\nCOMMIT;"
                )
            except sqlite3.Error as e:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise MigrationError(f"migration {m.version}_{m.name} failed: {e}") from e
            done.append(f"{m.version}_{m.name}")
        return done
    finally:
        conn.close()


def _sqlite_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _apply_postgresql(backend: Backend) -> list[str]:
    import psycopg
    from psycopg import sql

    done = []
    with psycopg.connect(backend.psycopg_conninfo(), autocommit=True) as conn:
        schema = sql.Identifier(backend.schema)
        with conn.transaction():
            # One migrator at a time across every process of the deployment.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('gakuseki-migrations'))")
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
            conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(schema))
            conn.execute(TRACKING)
            rows = conn.execute("SELECT version, sha256 FROM schema_migrations").fetchall()
            for m in _check(dict(rows), migrations_for("postgresql")):
                try:
                    with conn.transaction():
                        conn.execute(m.sql.encode())
                        conn.execute("INSERT INTO schema_migrations VALUES (%s, %s, %s, %s)",
                                     (m.version, m.name, m.sha256, _now()))
                except psycopg.Error as e:
                    raise MigrationError(f"migration {m.version}_{m.name} failed: {e}") from e
                done.append(f"{m.version}_{m.name}")
    return done


def pending(backend: Backend) -> list[str]:
    """Migrations not yet applied (an unreachable or empty database has them all pending)."""
    todo = migrations_for(backend.kind)
    try:
        if backend.kind == "sqlite":
            assert backend.sqlite_path is not None
            if not backend.sqlite_path.exists():
                return [f"{m.version}_{m.name}" for m in todo]
            with sqlite3.connect(backend.sqlite_path) as conn:
                rows = conn.execute("SELECT version, sha256 FROM schema_migrations").fetchall()
        else:
            import psycopg
            from psycopg import sql

            with psycopg.connect(backend.psycopg_conninfo(), autocommit=True) as conn:
                conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(backend.schema)))
                rows = conn.execute("SELECT version, sha256 FROM schema_migrations").fetchall()
    except (sqlite3.OperationalError, ImportError):
        return [f"{m.version}_{m.name}" for m in todo]
    except Exception as e:  # psycopg.errors.UndefinedTable and friends
        if "schema_migrations" in str(e):
            return [f"{m.version}_{m.name}" for m in todo]
        raise
    return [f"{m.version}_{m.name}" for m in _check(dict(rows), todo)]
