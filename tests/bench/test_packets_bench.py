"""`python -m bench.packets` keeps running: a short round at the tiny scale exports and imports packets
over HTTP beside another code tree (here the same one), finds them byte-identical, and drops its schemas.

No timing is asserted (the figures of a test run on a busy machine mean nothing); docs/benchmarks.md
has the measured ones."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from bench.packets import main
from domain.backend import Backend


@pytest.mark.postgres
def test_the_packet_bench_exports_and_imports_beside_another_tree_and_drops_what_it_built(
        postgres_database: Backend, capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(__file__).resolve().parents[2]
    assert main(["--scale", "tiny", "--rounds", "1", "--packets", "2", "--before", str(root),
                 "--url", postgres_database.url]) == 0
    out = capsys.readouterr().out
    assert "byte-identical: True" in out
    assert "| export_server_cpu_ms |" in out
    assert "| import_p50_ms |" in out
    with psycopg.connect(postgres_database.psycopg_conninfo()) as conn:
        left = conn.execute("SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE "
                            "'bench_packets_%%'").fetchall()
    assert left == []
