"""The gakuseki command: migrate, and serve on the embedded default."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from api.cli import main
from domain.backend import Backend
from migrations.apply import migrations_for, pending

ROOT = Path(__file__).parent.parent.parent


def test_migrate_applies_every_migration_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/ledger.sqlite3"
    assert main(["--database-url", url, "migrate"]) == 0
    assert "applied 0001_event_store" in capsys.readouterr().out
    assert main(["--database-url", url, "migrate"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert pending(Backend.from_url(url)) == []


@pytest.mark.postgres
def test_migrate_applies_on_postgresql(postgres_database: Backend, capsys: pytest.CaptureFixture[str]) -> None:
    url = postgres_database.url + "?schema=cli_migrate"
    assert pending(Backend.from_url(url)) == [f"{m.version}_{m.name}" for m in migrations_for("postgresql")]
    assert main(["--database-url", url, "migrate"]) == 0
    assert pending(Backend.from_url(url)) == []


@pytest.mark.postgres
def test_serve_refuses_a_postgresql_schema_that_is_behind(postgres_database: Backend) -> None:
    url = postgres_database.url + "?schema=cli_behind"
    with pytest.raises(SystemExit, match="run `gakuseki migrate`"):
        main(["--database-url", url, "serve"])


def test_an_unsupported_database_url_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database-url", "mysql://x", "migrate"]) == 2
    assert "unsupported database URL" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _health_when_up(port: int, attempts: int = 100) -> bytes:
    """GET /health of a server starting on ``port``, tried every 0.1 s (b"" if it never answered)."""
    for _ in range(attempts):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                return bytes(r.read())
        except OSError:
            time.sleep(0.1)
    return b""


def test_serve_on_the_embedded_default_migrates_and_answers_health(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "GAKUSEKI_PORT": str(port)}
    env.pop("GAKUSEKI_DATABASE_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve"], cwd=tmp_path, env=env | {
        "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        body = _health_when_up(port)
        assert b'"status":"ok"' in body
        # The ledger is one SQLite file in the working directory.
        assert (tmp_path / "gakuseki.sqlite3").exists()
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_token_prints_a_verifiable_token_alone_on_its_last_line(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from api.auth import Verifier
    from api.devkeys import AUDIENCE, DEV_ISSUER, DevKey

    key_file = tmp_path / "dev.pem"
    os.environ["GAKUSEKI_DEV_KEY"] = str(key_file)
    try:
        assert main(["token", "--role", "homeroom_teacher", "--school", "B131220000013", "--staff", "T-1",
                     "--class", "2026/1/1", "--no-mfa"]) == 0
    finally:
        del os.environ["GAKUSEKI_DEV_KEY"]
    token = capsys.readouterr().out.strip().splitlines()[-1]
    verifier = Verifier(DevKey.load_or_create(key_file).jwks(), issuer=DEV_ISSUER, audience=AUDIENCE)
    principal = verifier.verify(token)
    assert principal.staff_id == "T-1"
    assert not principal.mfa
    assert principal.grants[0].classes == ("2026/1/1",)


def test_token_refuses_an_unknown_role(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "--role", "janitor"]) == 2
    assert "--role is one of" in capsys.readouterr().err


def test_projections_status_and_rebuild(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from domain.ledger import Ledger
    from tests import builders as b

    url = f"sqlite:///{tmp_path}/ledger.sqlite3"
    assert main(["--database-url", url, "migrate"]) == 0
    with Ledger.open(Backend.from_url(url)) as ledger:
        b.school_with_calendar(ledger)
        b.class_with_students(ledger, count=2)
        head = ledger.position()
    capsys.readouterr()
    assert main(["--database-url", url, "projections", "status"]) == 0
    assert f"roster: position 0 of {head} (lag {head})" in capsys.readouterr().out
    assert main(["--database-url", url, "projections", "rebuild", "roster"]) == 0
    out = capsys.readouterr().out
    assert "roster: rebuilt, sha256" in out
    assert "rebuilt 1 projections from" in out
    assert f"roster: position {head} of {head} (lag 0)" in out
    assert main(["--database-url", url, "projections", "rebuild", "nonesuch"]) == 2


def test_a_rebuild_reports_that_the_documents_are_identical(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from domain.ledger import Ledger
    from tests import builders as b

    url = f"sqlite:///{tmp_path}/ledger.sqlite3"
    assert main(["--database-url", url, "migrate"]) == 0
    with Ledger.open(Backend.from_url(url)) as ledger:
        b.school_with_calendar(ledger)
        b.class_with_students(ledger, count=2)
    assert main(["--database-url", url, "projections", "rebuild"]) == 0
    assert "(first build)" in capsys.readouterr().out
    assert main(["--database-url", url, "projections", "rebuild"]) == 0
    assert "roster: rebuilt, sha256" in (out := capsys.readouterr().out)
    assert "(identical to before)" in out


def test_demo_seeds_the_year_of_a_past_day_and_refuses_a_day_not_yet_come(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/ledger.sqlite3"
    with pytest.raises(SystemExit, match="--today 2999-04-10 has not come yet"):
        main(["--database-url", url, "demo", "--no-progress", "--today", "2999-04-10"])
    assert main(["--database-url", url, "demo", "--no-progress", "--today", "2026-04-10"]) == 0
    assert "demo jurisdiction ready" in capsys.readouterr().out
    with pytest.raises(SystemExit):  # not a day: argparse's usage error
        main(["--database-url", url, "demo", "--today", "2026-02-30"])
    assert "invalid fromisoformat value" in capsys.readouterr().err


def test_a_rebuild_of_the_merkle_log_reports_the_same_tiles(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from domain.ledger import Ledger
    from tests import builders as b

    url = f"sqlite:///{tmp_path}/ledger.sqlite3"
    assert main(["--database-url", url, "migrate"]) == 0
    with Ledger.open(Backend.from_url(url)) as ledger:
        b.school_with_calendar(ledger)
        head = ledger.position()
    assert main(["--database-url", url, "projections", "rebuild", "merkle_log"]) == 0
    assert "merkle_log: rebuilt, sha256" in (out := capsys.readouterr().out)
    assert "(first build)" in out
    assert main(["--database-url", url, "projections", "rebuild"]) == 0  # every one, the Merkle log among them
    out = capsys.readouterr().out
    [line] = [line for line in out.splitlines() if line.startswith("merkle_log: rebuilt, sha256")]
    assert line.endswith("(identical to before)")
    assert f"merkle_log: position {head} of {head} (lag 0)" in out


def test_serve_refuses_more_than_one_worker_on_the_embedded_default(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/ledger.sqlite3"
    assert main(["--database-url", url, "serve", "--workers", "2"]) == 2
    assert "--workers needs PostgreSQL" in capsys.readouterr().err
    assert not (tmp_path / "ledger.sqlite3").exists()  # refused before anything was made
    assert main(["--database-url", url, "serve", "--workers", "0"]) == 2
    assert "--workers is at least 1" in capsys.readouterr().err


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


@pytest.mark.postgres
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="counts the worker processes in /proc")
def test_serve_with_two_workers_on_postgresql_answers_from_two_processes(postgres_database: Backend,
                                                                         tmp_path: Path) -> None:
    url = postgres_database.url.split("?")[0] + "?schema=cli_workers"
    assert main(["--database-url", url, "migrate"]) == 0
    port = _free_port()
    env = {**os.environ, "GAKUSEKI_PORT": str(port), "PYTHONPATH": str(ROOT)}
    env.pop("GAKUSEKI_DATABASE_URL", None)  # --database-url is what the workers must use
    server = subprocess.Popen([sys.executable, "-m", "api.cli", "--database-url", url, "serve", "--workers", "2"],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        body = _health_when_up(port, attempts=300)
        assert b'"status":"ok"' in body
        assert b'"backend":"postgresql"' in body
        workers = [p for p in _children(server.pid)
                   if b"multiprocessing" in Path(f"/proc/{p}/cmdline").read_bytes()
                   and b"resource_tracker" not in Path(f"/proc/{p}/cmdline").read_bytes()]
        assert len(workers) == 2
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
    assert b"in 2 worker processes" in out
    assert b'"GET /health HTTP/1.1" 200 OK' in out  # the request line, written by the worker that answered


@pytest.mark.postgres
def test_a_rebuild_in_two_processes_on_postgresql_reports_the_same_documents_and_tiles(
        postgres_backend: Backend, capsys: pytest.CaptureFixture[str]) -> None:
    from domain.ledger import Ledger
    from tests import builders as b

    url = postgres_backend.url
    with Ledger.open(postgres_backend) as ledger:
        b.school_with_calendar(ledger)
        b.class_with_students(ledger, count=2)
    assert main(["--database-url", url, "projections", "rebuild"]) == 0  # one process: a short log
    assert "two processes" not in capsys.readouterr().out
    assert main(["--database-url", url, "projections", "rebuild", "--processes", "2"]) == 0
    out = capsys.readouterr().out
    assert "rebuilding in two processes at once: attendance_register, attendance_index, dashboards; roster" in out
    for name in ("roster", "attendance_register", "dashboards", "merkle_log"):
        [line] = [line for line in out.splitlines() if line.startswith(f"{name}: rebuilt, sha256")]
        assert line.endswith("(identical to before)"), line
