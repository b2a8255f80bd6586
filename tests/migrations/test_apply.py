"""Migrations own the schema: they apply once, refuse an edited file, and make the log append-only."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import psycopg
import pytest
from eventsourcing.persistence import PersistenceError
from psycopg import sql

from domain.backend import Backend
from domain.ledger import Ledger
from migrations import apply as migrations
from migrations.apply import Migration, MigrationError, apply
from tests import builders as b

ALL = [f"{m.version}_{m.name}" for m in migrations.migrations_for("sqlite")]


def test_both_backends_have_the_same_migrations() -> None:
    assert [f"{m.version}_{m.name}" for m in migrations.migrations_for("postgresql")] == ALL


@pytest.fixture
def unmigrated_postgres(postgres_database: Backend) -> Backend:
    url = postgres_database.url.split("?")[0] + f"?schema=bare_{uuid.uuid4().hex[:8]}"
    return Backend.from_url(url)


@pytest.fixture
def unmigrated_sqlite(tmp_path: Path) -> Backend:
    return Backend.from_url(f"sqlite:///{tmp_path}/bare.sqlite3")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def unmigrated(request: pytest.FixtureRequest) -> Backend:
    return request.getfixturevalue(f"unmigrated_{request.param}")


@contextmanager
def connect(backend: Backend) -> Iterator[Callable[[str], list[tuple[object, ...]]]]:
    """A plain connection to the backend's schema, outside the ledger; each statement commits."""
    if backend.kind == "sqlite":
        assert backend.sqlite_path is not None
        conn = sqlite3.connect(backend.sqlite_path, isolation_level=None)
        try:
            yield lambda q: conn.execute(q).fetchall()
        finally:
            conn.close()
    else:
        with psycopg.connect(backend.psycopg_conninfo(), autocommit=True) as pg:
            pg.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(backend.schema)))

            def execute(statement: str) -> list[tuple[object, ...]]:
                cursor = pg.execute(statement.encode())
                return cursor.fetchall() if cursor.description else []

            yield execute


def run(backend: Backend, statement: str) -> list[tuple[object, ...]]:
    with connect(backend) as execute:
        return execute(statement)


def tables(backend: Backend) -> set[str]:
    if backend.kind == "sqlite":
        rows = run(backend, "SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        rows = run(backend, f"SELECT tablename FROM pg_tables WHERE schemaname = '{backend.schema}'")
    return {str(r[0]) for r in rows}


def events_table(backend: Backend) -> str:
    return "stored_events" if backend.kind == "sqlite" else "gakuseki_events"


def test_migrations_apply_to_an_empty_database(unmigrated: Backend) -> None:
    assert apply(unmigrated) == ALL

    assert tables(unmigrated) >= {"schema_migrations", events_table(unmigrated)}
    recorded = run(unmigrated, "SELECT version, name, sha256 FROM schema_migrations")
    assert recorded == [(m.version, m.name, m.sha256) for m in migrations.migrations_for(unmigrated.kind)]


def test_applying_twice_applies_nothing(backend: Backend) -> None:
    """The ``backend`` fixture is migrated already."""
    assert apply(backend) == []
    assert apply(backend) == []
    assert len(run(backend, "SELECT version FROM schema_migrations")) == len(ALL)


def test_an_edited_migration_is_refused(backend: Backend) -> None:
    run(backend, "UPDATE schema_migrations SET sha256 = '" + "0" * 64 + "' WHERE version = '0001'")

    with pytest.raises(MigrationError, match="0001_event_store was edited after it was applied"):
        apply(backend)


def test_a_failing_migration_leaves_nothing_of_itself(unmigrated: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    real = migrations.migrations_for(unmigrated.kind)
    broken = Migration("9999", "broken", "CREATE TABLE half_done (id INTEGER);\nINSERT INTO no_such_table VALUES (1);")
    monkeypatch.setattr(migrations, "migrations_for", lambda kind: [*real, broken])

    with pytest.raises(MigrationError, match="9999_broken failed"):
        apply(unmigrated)

    assert "half_done" not in tables(unmigrated)
    if unmigrated.kind == "sqlite":  # each file commits on its own: the good ones stay applied
        assert [v for (v,) in run(unmigrated, "SELECT version FROM schema_migrations")] == [
            m.split("_")[0] for m in ALL]
        resumed: list[str] = []
    else:  # one transaction for the whole run: nothing stays
        assert tables(unmigrated) == set()
        resumed = ALL
    monkeypatch.setattr(migrations, "migrations_for", lambda kind: real)
    assert apply(unmigrated) == resumed
    assert apply(unmigrated) == []


# ---------------------------------------------------------------- the log is append-only


@pytest.fixture
def recorded(backend: Backend, open_ledger: Callable[[Backend], Ledger]) -> Backend:
    """A backend whose log holds a school and its calendar."""
    ledger = open_ledger(backend)
    b.school_with_calendar(ledger)
    assert ledger.position() == 3
    return backend


def test_a_recorded_event_cannot_be_updated(recorded: Backend) -> None:
    table = events_table(recorded)
    refusal = sqlite3.IntegrityError if recorded.kind == "sqlite" else psycopg.errors.InsufficientPrivilege
    with pytest.raises(refusal, match="append-only"):
        run(recorded, f"UPDATE {table} SET topic = 'gakuseki:Forged'")
    assert {r[0] for r in run(recorded, f"SELECT topic FROM {table}")} == {
        "gakuseki:SchoolRegistered", "gakuseki:PrincipalAppointed", "gakuseki:SchoolCalendarSet"}


def test_a_recorded_event_cannot_be_deleted(recorded: Backend) -> None:
    table = events_table(recorded)
    refusal = sqlite3.IntegrityError if recorded.kind == "sqlite" else psycopg.errors.InsufficientPrivilege
    with pytest.raises(refusal, match="append-only"):
        run(recorded, f"DELETE FROM {table}")
    assert run(recorded, f"SELECT count(*) FROM {table}") == [(3,)]


def test_the_postgresql_log_cannot_be_truncated(postgres_backend: Backend,
                                                open_ledger: Callable[[Backend], Ledger]) -> None:
    b.school_with_calendar(open_ledger(postgres_backend))
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        run(postgres_backend, "TRUNCATE gakuseki_events")
    assert run(postgres_backend, "SELECT count(*) FROM gakuseki_events") == [(3,)]


def test_a_recorded_transaction_boundary_cannot_be_changed_or_deleted(recorded: Backend) -> None:
    refusal = sqlite3.IntegrityError if recorded.kind == "sqlite" else psycopg.errors.InsufficientPrivilege
    with pytest.raises(refusal, match="append-only"):
        run(recorded, "UPDATE log_transactions SET first_position = 1")
    with pytest.raises(refusal, match="append-only"):
        run(recorded, "DELETE FROM log_transactions")
    if recorded.kind == "postgresql":
        with pytest.raises(refusal, match="append-only"):
            run(recorded, "TRUNCATE log_transactions")
    assert run(recorded, "SELECT first_position, last_position FROM log_transactions ORDER BY last_position") == [
        (1, 1), (2, 2), (3, 3)]


def test_appending_is_still_allowed(recorded: Backend, open_ledger: Callable[[Backend], Ledger]) -> None:
    ledger = open_ledger(recorded)
    ledger.form_class(b.ELEMENTARY, b.YEAR, 1, "1", homeroom_teacher_id=b.STAFF, homeroom_teacher_name="山田 花子",
                      on=date(2026, 4, 6), recorded_by="admin")
    assert ledger.position() == 4


# ---------------------------------------------------------------- the library creates no tables


def test_a_ledger_on_an_unmigrated_database_fails(unmigrated: Backend,
                                                  open_ledger: Callable[[Backend], Ledger]) -> None:
    ledger = open_ledger(unmigrated)

    with pytest.raises(PersistenceError, match=r"gakuseki_events|stored_events"):
        ledger.register_school(b.ELEMENTARY, "鳥取市立みどり小学校", b.BOARD, recorded_by="admin")

    if unmigrated.kind == "postgresql":
        assert run(unmigrated, f"SELECT 1 FROM pg_namespace WHERE nspname = '{unmigrated.schema}'") == []
    else:
        assert tables(unmigrated) == set()
