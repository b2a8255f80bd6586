"""Fixtures: a migrated ledger on SQLite and on PostgreSQL, with a clock the test controls.

PostgreSQL is found in this order, and never skipped:
1. GAKUSEKI_TEST_POSTGRES_URL (CI sets it to the machine's server);
2. a testcontainers PostgreSQL, where a Docker engine answers;
3. the conventional local server, postgresql://postgres@127.0.0.1:5432/postgres, if it answers;
otherwise the session fails and says how to provide one.
Each test session works in a database of its own, and each test in a schema of its own.
"""

from __future__ import annotations

import itertools
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from domain.backend import Backend
from domain.ledger import Ledger
from migrations.apply import apply

LOCAL_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"


_ROOT_HANDLERS = set(logging.getLogger().handlers)  # as the session found them


@pytest.fixture(autouse=True)
def _no_handler_left_on_a_closed_stream() -> Iterator[None]:
    """An app or a command run in process (Litestar's logging config, ``logging.basicConfig`` of
    `gakuseki projections run` or `gakuseki witness`) hands the root logger a handler on the captured
    stderr of the test that made it; pytest closes that stream when the test ends, and a later test's log
    record (of a background thread) then printed "--- Logging error ---" into the suite's output. After
    every test the root logger keeps only the handlers the session began with (and pytest's own)."""
    yield
    root = logging.getLogger()
    for handler in root.handlers[:]:
        if handler not in _ROOT_HANDLERS and not type(handler).__module__.startswith("_pytest"):
            root.removeHandler(handler)


class Clock:
    """A clock that moves one second per reading, so recording times are distinct and repeatable.

    It starts on the last day of school year 2026 (00:00 in Japan): every day of that year has come,
    so a test may record a roll or mark of any of them (a day after the clock's is refused). A test
    that needs another moment sets ``current``."""

    def __init__(self, start: datetime = datetime(2027, 3, 30, 15, 0, tzinfo=UTC)) -> None:
        self.current = start

    def __call__(self) -> datetime:
        self.current += timedelta(seconds=1)
        return self.current


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def _docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server the tests may create databases on."""
    explicit = os.environ.get("GAKUSEKI_TEST_POSTGRES_URL")
    if explicit:
        if not _answers(explicit):
            pytest.fail(f"GAKUSEKI_TEST_POSTGRES_URL={explicit} does not answer", pytrace=False)
        yield explicit
        return
    if _docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:15", driver=None) as pg:
            yield pg.get_connection_url()
        return
    if _answers(LOCAL_DEFAULT):
        yield LOCAL_DEFAULT
        return
    pytest.fail(
        "No PostgreSQL for the tests: set GAKUSEKI_TEST_POSTGRES_URL=postgresql://USER@HOST:PORT/DB, "
        "start a Docker engine for testcontainers, or run PostgreSQL at 127.0.0.1:5432 (user postgres, trust).",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def postgres_database(postgres_server: str) -> Iterator[Backend]:
    """A database of this test session's own, dropped at the end."""
    server = Backend.from_url(postgres_server)
    name = f"gakuseki_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(server.psycopg_conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield Backend.from_url(postgres_server.rsplit("/", 1)[0] + f"/{name}")
    finally:
        with psycopg.connect(server.psycopg_conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_schemas = itertools.count(1)


@pytest.fixture
def postgres_backend(postgres_database: Backend) -> Backend:
    """A fresh schema for one test, migrated."""
    url = postgres_database.url.split("?")[0] + f"?schema=t{next(_schemas)}_{uuid.uuid4().hex[:6]}"
    backend = Backend.from_url(url)
    apply(backend)
    return backend


@pytest.fixture
def sqlite_backend(tmp_path) -> Backend:  # type: ignore[no-untyped-def]
    backend = Backend.from_url(f"sqlite:///{tmp_path}/ledger.sqlite3")
    apply(backend)
    return backend


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Backend:
    """A migrated ledger backend: the test runs once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_backend")  # type: ignore[no-any-return]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def open_ledger(clock: Clock) -> Iterator[Callable[[Backend], Ledger]]:
    opened: list[Ledger] = []

    def _open(backend: Backend) -> Ledger:
        ledger = Ledger.open(backend, clock=clock)
        opened.append(ledger)
        return ledger

    yield _open
    for ledger in opened:
        ledger.close()


@pytest.fixture
def ledger(backend: Backend, open_ledger: Callable[[Backend], Ledger]) -> Ledger:
    return open_ledger(backend)
